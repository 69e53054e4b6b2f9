export * from './types.ts';
export { SqliteStore } from './sqlite-store.ts';
export { PostgresStore } from './postgres-store.ts';
export { verifyChain, auditHash, toStoredFields, GENESIS_HASH, BROKEN_LIMIT, type StoredAuditFields, type StoredAuditLink } from './audit-chain.ts';
export { AUDIT_KEY_ENV, auditKey, issueCheckpoint, signCheckpoint, verifyAgainstCheckpoint } from './audit-checkpoint.ts';

import { PostgresStore } from './postgres-store.ts';
import { SqliteStore } from './sqlite-store.ts';
import type { GatewayStore } from './types.ts';

/** SQLite under the data directory by default; PostgreSQL when the url says postgres://. */
export async function openStore(url: string | undefined, defaultSqlitePath: string): Promise<GatewayStore> {
  if (url && /^postgres(ql)?:\/\//.test(url)) return PostgresStore.open(url);
  return new SqliteStore(url?.replace(/^sqlite:/, '') || defaultSqlitePath);
}
