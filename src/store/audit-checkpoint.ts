import { createHmac, timingSafeEqual } from 'node:crypto';
import { ErrorCode, RegistryError } from '../core/index.ts';
import { GENESIS_HASH } from './audit-chain.ts';
import { CheckpointFailure, type AuditCheckpoint, type AuditVerification, type GatewayStore } from './types.ts';

/** The environment variable holding the checkpoint signing key. */
export const AUDIT_KEY_ENV = 'MODELGATE_AUDIT_KEY';
/** 32 characters: a guessable key would let anyone with database access forge checkpoints. */
export const AUDIT_KEY_MIN_LENGTH = 32;

/** The signing key from the environment, or UNSUPPORTED saying how to set one. */
export function auditKey(env: NodeJS.ProcessEnv = process.env): string {
  const key = env[AUDIT_KEY_ENV];
  if (!key) {
    throw new RegistryError(ErrorCode.UNSUPPORTED, `Audit checkpoints need a signing key: set ${AUDIT_KEY_ENV} (at least ${AUDIT_KEY_MIN_LENGTH} characters) in the gateway's environment`);
  }
  if (key.length < AUDIT_KEY_MIN_LENGTH) {
    throw new RegistryError(ErrorCode.UNSUPPORTED, `${AUDIT_KEY_ENV} is ${key.length} characters; checkpoints need at least ${AUDIT_KEY_MIN_LENGTH}`);
  }
  return key;
}

/** What is signed: a domain tag (so no other HMAC with this key is a checkpoint), seq, hash, time. */
const signedText = (checkpoint: Omit<AuditCheckpoint, 'signature'>) => JSON.stringify(['modelgate-audit-checkpoint-v1', checkpoint.seq, checkpoint.hash, checkpoint.at]);

export const signCheckpoint = (key: string, checkpoint: Omit<AuditCheckpoint, 'signature'>): string =>
  createHmac('sha256', key).update(signedText(checkpoint)).digest('hex');

export function checkpointSignatureHolds(key: string, checkpoint: AuditCheckpoint): boolean {
  const expected = Buffer.from(signCheckpoint(key, checkpoint), 'hex');
  const given = Buffer.from(checkpoint.signature, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Signs the log's current head and keeps the checkpoint in the store. */
export async function issueCheckpoint(store: GatewayStore, key: string, now: Date = new Date()): Promise<AuditCheckpoint> {
  const head = (await store.auditHead()) ?? { seq: 0, hash: GENESIS_HASH };
  const unsigned = { seq: head.seq, hash: head.hash, at: now.toISOString() };
  const checkpoint = { ...unsigned, signature: signCheckpoint(key, unsigned) };
  await store.saveCheckpoint(checkpoint);
  return checkpoint;
}

/**
 * Whether the chain holds and the log still extends the checkpoint. A checkpoint whose
 * signature does not hold proves nothing, so the log is not compared with it.
 */
export async function verifyAgainstCheckpoint(store: GatewayStore, key: string, checkpoint: AuditCheckpoint): Promise<AuditVerification> {
  if (!Number.isSafeInteger(checkpoint.seq) || checkpoint.seq < 0 || !checkpointSignatureHolds(key, checkpoint)) {
    const chain = await store.verifyAudit();
    return { ...chain, ok: false, checkpoint: { seq: checkpoint.seq, holds: false, reason: CheckpointFailure.SIGNATURE_INVALID } };
  }
  return store.verifyAudit(checkpoint);
}
