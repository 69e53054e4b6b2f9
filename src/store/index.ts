export * from './types.ts';
export { SqliteStore } from './sqlite-store.ts';
export { verifyChain, auditHash, toStoredFields, GENESIS_HASH, BROKEN_LIMIT, type StoredAuditFields, type StoredAuditLink } from './audit-chain.ts';
export { AUDIT_KEY_ENV, auditKey, issueCheckpoint, signCheckpoint, verifyAgainstCheckpoint } from './audit-checkpoint.ts';
export { claimDataDir, DataDirInUse } from './data-dir.ts';

import { SqliteStore } from './sqlite-store.ts';
import type { GatewayStore } from './types.ts';

/** SQLite under the data directory by default; PostgreSQL when the url says postgres://. */
export const isPostgresUrl = (url: string | undefined): url is string => Boolean(url && /^postgres(ql)?:\/\//.test(url));

/** Where the embedded store lives: `store.url` as a path (or `sqlite:` path), else the default. */
export const sqliteStorePath = (url: string | undefined, defaultPath: string) => url?.replace(/^sqlite:/, '') || defaultPath;

export async function openStore(url: string | undefined, defaultSqlitePath: string, options: { poolSize?: number } = {}): Promise<GatewayStore> {
  if (isPostgresUrl(url)) {
    // pg loads only for a PostgreSQL store: the embedded default never pays for it (import PostgresStore from ./postgres-store.ts).
    const { PostgresStore } = await import('./postgres-store.ts');
    return PostgresStore.open(url, options);
  }
  return new SqliteStore(sqliteStorePath(url, defaultSqlitePath));
}
export { outboxCursorKey, deliveryId } from './rows.ts';
