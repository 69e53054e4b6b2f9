import { createHash } from 'node:crypto';
import { ErrorCode, RegistryError } from '../core/index.ts';

const KEY_PATTERN = /^[\w.:-]{1,128}$/;

/** A key is 1-128 letters, digits, `_ . : -`; anything else is refused before it is used. */
export function checkIdempotencyKey(key: string): void {
  if (!KEY_PATTERN.test(key)) throw new RegistryError(ErrorCode.INVALID_INPUT, 'idempotencyKey must be 1-128 letters, digits, _ . : -', { details: { argument: 'idempotencyKey' } });
}

/** One call's own slot: the same key from another principal, model or operation is another slot. */
export const idempotencyScope = (registry: string, model: string | null, operation: string, principal: string, key: string) =>
  JSON.stringify([registry, model, operation, principal, key]);

/** SHA-256 of the arguments in a canonical form (object keys sorted), so a key is bound to what it was first sent with. */
export function argumentsHash(input: unknown): string {
  return createHash('sha256').update(canonicalJson(input)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

const DATE_FIELDS = new Set(['createdAt', 'updatedAt', 'requestedAt', 'decidedAt', 'expiresAt', 'at']);

/** Stored results are JSON: their date fields become dates again (tag values stay text). */
export function reviveDates(value: unknown, key = ''): unknown {
  if (typeof value === 'string' && DATE_FIELDS.has(key)) return new Date(value);
  if (Array.isArray(value)) return value.map((item) => reviveDates(item));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, reviveDates(v, k)]));
  return value;
}
