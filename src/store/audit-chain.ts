import { createHash } from 'node:crypto';
import type { AuditEvent, NewAuditEvent } from './types.ts';

export const GENESIS_HASH = '0'.repeat(64);

/** The hash of an event: SHA-256 over the previous hash and the event's fields in a fixed order. */
export function auditHash(prevHash: string, seq: number, at: Date, event: NewAuditEvent): string {
  const canonical = JSON.stringify([
    seq,
    at.toISOString(),
    event.principal,
    event.action,
    event.registry,
    event.model,
    event.version,
    event.before ?? null,
    event.after ?? null,
    event.result,
    event.detail,
  ]);
  return createHash('sha256').update(prevHash).update(canonical).digest('hex');
}

/** Walks events in order; the first whose link or hash does not hold breaks the chain. */
export function verifyChain(events: Iterable<AuditEvent>): { ok: boolean; checked: number; brokenAt: number | null } {
  let prev = GENESIS_HASH;
  let checked = 0;
  for (const event of events) {
    checked++;
    if (event.prevHash !== prev || auditHash(prev, event.seq, event.at, event) !== event.hash) {
      return { ok: false, checked, brokenAt: event.seq };
    }
    prev = event.hash;
  }
  return { ok: true, checked, brokenAt: null };
}
