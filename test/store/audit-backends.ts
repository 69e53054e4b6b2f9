import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { PostgresStore } from '../../src/store/postgres-store.ts';
import { SqliteStore, type GatewayStore } from '../../src/store/index.ts';
import { isolatedPostgres } from '../support/postgres.ts';

/** One store's database, reached behind the store's back as an attacker with database access would. */
export interface AuditBackend {
  label: 'SQLite' | 'PostgreSQL';
  open(): Promise<GatewayStore>;
  table: string;
  /** Raw SQL with `?` placeholders; returns the rows a query reads. */
  sql(text: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  /** Drops (or disables) every guard trigger on the audit table, as an attacker with DDL rights would. */
  dropGuards(): Promise<void>;
  /** Overwrites the row at `seq` with an edited copy, the way this database spells "replace". */
  replaceSql: string;
  truncateSql: string;
  cleanup(): Promise<void>;
}

export async function sqliteAuditBackend(): Promise<AuditBackend> {
  const dir = mkdtempSync(join(tmpdir(), 'modelgate-audit-'));
  const path = join(dir, 'store.db');
  const withDb = <T>(work: (db: Database.Database) => T): T => {
    const db = new Database(path);
    try {
      return work(db);
    } finally {
      db.close();
    }
  };
  return {
    label: 'SQLite',
    open: async () => new SqliteStore(path),
    table: 'audit_events',
    sql: async (text, params = []) =>
      withDb((db) => {
        const statement = db.prepare(text);
        if (statement.reader) return statement.all(...params) as Record<string, unknown>[];
        statement.run(...params);
        return [];
      }),
    dropGuards: async () => void withDb((db) => db.exec('DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete; DROP TRIGGER audit_append_at_head;')),
    replaceSql: `INSERT OR REPLACE INTO audit_events SELECT seq, at, 'mallory', action, registry, model, version, before, after, result, detail, prev_hash, hash FROM audit_events WHERE seq = ?`,
    truncateSql: 'DELETE FROM audit_events',
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

export async function postgresAuditBackend(): Promise<AuditBackend> {
  const database = await isolatedPostgres();
  const withClient = async <T>(work: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  };
  return {
    label: 'PostgreSQL',
    open: () => PostgresStore.open(database.url),
    table: 'modelgate_audit_events',
    sql: (text, params = []) =>
      withClient(async (client) => {
        let n = 0;
        return (await client.query(text.replace(/\?/g, () => `$${++n}`), params)).rows as Record<string, unknown>[];
      }),
    dropGuards: () => withClient(async (client) => void (await client.query('ALTER TABLE modelgate_audit_events DISABLE TRIGGER USER'))),
    replaceSql: `INSERT INTO modelgate_audit_events SELECT seq, at, 'mallory', action, registry, model, version, before, after, result, detail, prev_hash, hash
      FROM modelgate_audit_events WHERE seq = ? ON CONFLICT (seq) DO UPDATE SET principal = EXCLUDED.principal`,
    truncateSql: 'TRUNCATE modelgate_audit_events',
    cleanup: () => database.drop(),
  };
}

export const AUDIT_BACKENDS = [
  ['SQLite', sqliteAuditBackend],
  ['PostgreSQL', postgresAuditBackend],
] as const;
