import { createHash } from 'node:crypto';
import { ErrorCode, RegistryError } from '../core/index.ts';
import { CheckpointFailure, type AuditCheckpoint, type AuditVerification, type CheckpointCheck, type NewAuditEvent } from './types.ts';

export const GENESIS_HASH = '0'.repeat(64);

/** How many broken seqs verification lists before it only says there are more. */
export const BROKEN_LIMIT = 100;

/** An audit event exactly as its row stores it: text columns, before/after as JSON text. */
export interface StoredAuditFields {
  seq: number;
  at: string;
  principal: string;
  action: string;
  registry: string | null;
  model: string | null;
  version: string | null;
  before: string | null;
  after: string | null;
  result: string;
  detail: string | null;
}

/**
 * The stored form of a new event. Refuses a string that is not well-formed Unicode: the
 * database would keep U+FFFD instead, and the hash would no longer match what it holds.
 */
export function toStoredFields(seq: number, at: Date, event: NewAuditEvent): StoredAuditFields {
  const fields: StoredAuditFields = {
    seq,
    at: at.toISOString(),
    principal: event.principal,
    action: event.action,
    registry: event.registry,
    model: event.model,
    version: event.version,
    // JSON.stringify escapes lone surrogates, so these texts are always well-formed.
    before: jsonText(event.before),
    after: jsonText(event.after),
    result: event.result,
    detail: event.detail,
  };
  for (const [column, value] of Object.entries(fields)) {
    if (typeof value === 'string' && (!value.isWellFormed() || value.includes('\0'))) {
      throw new RegistryError(ErrorCode.INVALID_INPUT, `Audit event field '${column}' holds a lone surrogate or U+0000; refused rather than stored altered`, {
        details: { field: column },
      });
    }
  }
  return fields;
}

const jsonText = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));

/**
 * SHA-256 over the previous hash and the stored columns in a fixed order. before/after go
 * in as their stored JSON text, unparsed, so verification hashes exactly what it reads.
 * (The same bytes as JSON.stringify of the parsed values, so older rows still verify.)
 */
export function auditHash(prevHash: string, fields: StoredAuditFields): string {
  const canonical =
    `[${fields.seq},${JSON.stringify(fields.at)},${JSON.stringify(fields.principal)},${JSON.stringify(fields.action)},` +
    `${JSON.stringify(fields.registry)},${JSON.stringify(fields.model)},${JSON.stringify(fields.version)},` +
    `${fields.before ?? 'null'},${fields.after ?? 'null'},${JSON.stringify(fields.result)},${JSON.stringify(fields.detail)}]`;
  return createHash('sha256').update(prevHash).update(canonical).digest('hex');
}

/** A stored row: its fields plus the links it claims. */
export interface StoredAuditLink extends StoredAuditFields {
  prevHash: string;
  hash: string;
}

/**
 * Walks stored rows in seq order and lists every row that does not follow: a seq out of
 * order, a prev_hash that is not the previous row's hash, or a hash that does not match
 * the row. Each row is judged against its stored predecessor, so one break hides no other.
 * With a checkpoint, also whether the row at its seq still has its hash.
 */
export function verifyChain(rows: Iterable<StoredAuditLink>, checkpoint?: Pick<AuditCheckpoint, 'seq' | 'hash'> | null, limit = BROKEN_LIMIT): AuditVerification {
  let hashAtCheckpoint: string | null = checkpoint?.seq === 0 ? GENESIS_HASH : null;
  let prevHash = GENESIS_HASH;
  let prevSeq = 0;
  let checked = 0;
  const broken: number[] = [];
  let truncated = false;
  let head: { seq: number; hash: string } | null = null;
  for (const row of rows) {
    checked++;
    const follows = row.seq === prevSeq + 1 && row.prevHash === prevHash && isJsonOrNull(row.before) && isJsonOrNull(row.after) && auditHash(row.prevHash, row) === row.hash;
    if (!follows) {
      if (broken.length < limit) broken.push(row.seq);
      else truncated = true;
    }
    if (checkpoint && row.seq === checkpoint.seq) hashAtCheckpoint = row.hash;
    prevHash = row.hash;
    prevSeq = row.seq;
    head = { seq: row.seq, hash: row.hash };
  }
  const againstCheckpoint = checkpoint ? checkpointCheck(checkpoint, hashAtCheckpoint) : null;
  return { ok: broken.length === 0 && (againstCheckpoint?.holds ?? true), checked, brokenAt: broken[0] ?? null, broken, truncated, head, checkpoint: againstCheckpoint };
}

function checkpointCheck(checkpoint: Pick<AuditCheckpoint, 'seq' | 'hash'>, storedHash: string | null): CheckpointCheck {
  const reason = storedHash === null ? CheckpointFailure.EVENT_MISSING : storedHash !== checkpoint.hash ? CheckpointFailure.HASH_DIFFERS : null;
  return { seq: checkpoint.seq, holds: reason === null, reason };
}

function isJsonOrNull(text: string | null): boolean {
  if (text === null) return true;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
