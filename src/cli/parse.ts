import { InvalidArgumentError } from 'commander';
import type { ApprovalStatus, SemverBump, Stage } from '@modelgate/client';

/** Option-value parsers: a bad value is a clear usage error (exit 2), never a silent default. */
const oneOf =
  <T extends string>(what: string, values: readonly T[]) =>
  (text: string): T => {
    const upper = text.toUpperCase() as T;
    if (!values.includes(upper)) throw new InvalidArgumentError(`${what} must be one of ${values.join(', ')} (any case), not '${text}'.`);
    return upper;
  };

export const STAGES = ['NONE', 'STAGING', 'PRODUCTION', 'ARCHIVED'] as const satisfies readonly Stage[];
export const stage = oneOf<Stage>('A stage', STAGES);
export const stages = (text: string): Stage[] => text.split(',').map((s) => stage(s.trim()));
export const approvalStatus = oneOf<ApprovalStatus>('A status', ['PENDING', 'APPROVED', 'REJECTED', 'SUPERSEDED', 'EXPIRED']);
export const bump = oneOf<SemverBump>('A bump', ['MAJOR', 'MINOR', 'PATCH']);

export function positiveInt(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`Expected a whole number of at least 1, not '${text}'.`);
  return n;
}

export function number(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`Expected a number, not '${text}'.`);
  return n;
}

export function nonNegative(text: string): number {
  const n = number(text);
  if (n < 0) throw new InvalidArgumentError(`Expected a number of at least 0, not '${text}'.`);
  return n;
}

export const csv = (text: string): string[] => text.split(',').map((s) => s.trim()).filter(Boolean);

/** `key=value`, repeatable: each use adds one pair. */
export function pair(text: string, previous: [string, string][] | undefined): [string, string][] {
  const at = text.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError(`Expected key=value, not '${text}'.`);
  return [...(previous ?? []), [text.slice(0, at), text.slice(at + 1)]];
}

/** Like pair, but the value must be a number (metrics). */
export function metricPair(text: string, previous: [string, string][] | undefined): [string, string][] {
  const pairs = pair(text, previous);
  const value = pairs.at(-1)![1];
  if (value.trim() === '' || !Number.isFinite(Number(value))) throw new InvalidArgumentError(`A metric needs a number: key=0.91, not '${text}'.`);
  return pairs;
}
