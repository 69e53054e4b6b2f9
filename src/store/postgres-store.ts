import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { GENESIS_HASH, auditHash, verifyChain } from './audit-chain.ts';
import { KeyLock } from './key-lock.ts';
import { fromApprovalRow, fromAuditRow, type ApprovalRow, type AuditRow } from './rows.ts';
import {
  ApprovalStatus,
  type ApprovalRequest,
  type AuditEvent,
  type AuditQuery,
  type GatewayStore,
  type NewAuditEvent,
  type ProductionRecord,
  type StoredOutcome,
} from './types.ts';

/** Advisory lock key that serialises audit appends across gateway processes. */
const AUDIT_LOCK = 7_410_003_001;

const MIGRATIONS = [
  `
  CREATE TABLE IF NOT EXISTS modelgate_audit_events (
    seq BIGINT PRIMARY KEY, at TEXT NOT NULL, principal TEXT NOT NULL, action TEXT NOT NULL,
    registry TEXT, model TEXT, version TEXT, before TEXT, after TEXT, result TEXT NOT NULL, detail TEXT,
    prev_hash TEXT NOT NULL, hash TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS modelgate_audit_by_model ON modelgate_audit_events (registry, model, seq);
  CREATE OR REPLACE FUNCTION modelgate_audit_append_only() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION 'audit events are append-only'; END $$ LANGUAGE plpgsql;
  DROP TRIGGER IF EXISTS modelgate_audit_append_only ON modelgate_audit_events;
  CREATE TRIGGER modelgate_audit_append_only BEFORE UPDATE OR DELETE ON modelgate_audit_events
    FOR EACH ROW EXECUTE FUNCTION modelgate_audit_append_only();
  CREATE TABLE IF NOT EXISTS modelgate_approval_requests (
    id TEXT PRIMARY KEY, registry TEXT NOT NULL, model TEXT NOT NULL, version TEXT NOT NULL, target_stage TEXT NOT NULL,
    requested_by TEXT NOT NULL, requested_at TEXT NOT NULL, comment TEXT, status TEXT NOT NULL, required_approvals INTEGER NOT NULL,
    allow_self_approval BOOLEAN NOT NULL, approvals TEXT NOT NULL, report TEXT, decided_by TEXT, decided_at TEXT, reason TEXT
  );
  CREATE INDEX IF NOT EXISTS modelgate_approvals_by_model ON modelgate_approval_requests (registry, model, status);
  CREATE TABLE IF NOT EXISTS modelgate_production_history (
    id BIGSERIAL PRIMARY KEY, registry TEXT NOT NULL, model TEXT NOT NULL, version TEXT NOT NULL, at TEXT NOT NULL, by TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS modelgate_production_by_model ON modelgate_production_history (registry, model, id);
  CREATE TABLE IF NOT EXISTS modelgate_outcomes (scope TEXT NOT NULL, key TEXT NOT NULL, outcome TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (scope, key));
  `,
];

/** The store in PostgreSQL: shared by several gateway processes, locks are advisory locks. */
export class PostgresStore implements GatewayStore {
  readonly kind = 'postgres' as const;
  private readonly pool: pg.Pool;
  private readonly locks = new KeyLock();

  private constructor(url: string) {
    this.pool = new pg.Pool({ connectionString: url, max: 10 });
  }

  static async open(url: string): Promise<PostgresStore> {
    const store = new PostgresStore(url);
    await store.migrate();
    return store;
  }

  private async migrate(): Promise<void> {
    await this.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_LOCK + 1]);
      await client.query('CREATE TABLE IF NOT EXISTS modelgate_schema (version INTEGER NOT NULL)');
      const { rows } = await client.query<{ version: number }>('SELECT version FROM modelgate_schema');
      const applied = rows[0]?.version ?? 0;
      if (applied > MIGRATIONS.length) throw new Error(`Store schema ${applied} is newer than this modelgate`);
      for (const sql of MIGRATIONS.slice(applied)) await client.query(sql);
      await client.query('DELETE FROM modelgate_schema');
      await client.query('INSERT INTO modelgate_schema (version) VALUES ($1)', [MIGRATIONS.length]);
    });
  }

  async appendAudit(event: NewAuditEvent): Promise<AuditEvent> {
    return this.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_LOCK]);
      const { rows } = await client.query<{ seq: string; hash: string }>('SELECT seq, hash FROM modelgate_audit_events ORDER BY seq DESC LIMIT 1');
      const seq = Number(rows[0]?.seq ?? 0) + 1;
      const prevHash = rows[0]?.hash ?? GENESIS_HASH;
      const at = new Date();
      const hash = auditHash(prevHash, seq, at, event);
      await client.query(
        `INSERT INTO modelgate_audit_events (seq, at, principal, action, registry, model, version, before, after, result, detail, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
        [seq, at.toISOString(), event.principal, event.action, event.registry, event.model, event.version, json(event.before), json(event.after), event.result, event.detail, prevHash, hash],
      );
      return { ...event, seq, at, prevHash, hash };
    });
  }

  async listAudit(query: AuditQuery): Promise<AuditEvent[]> {
    const { rows } = await this.pool.query<AuditRow>(
      `SELECT * FROM modelgate_audit_events WHERE ($1::text IS NULL OR registry = $1) AND ($2::text IS NULL OR model = $2) AND seq > $3 ORDER BY seq LIMIT $4`,
      [query.registry ?? null, query.model ?? null, query.after ?? 0, query.limit],
    );
    return rows.map(fromAuditRow);
  }

  async verifyAudit() {
    const { rows } = await this.pool.query<AuditRow>('SELECT * FROM modelgate_audit_events ORDER BY seq');
    return verifyChain(rows.map(fromAuditRow));
  }

  async createApproval(input: Parameters<GatewayStore['createApproval']>[0]): Promise<ApprovalRequest> {
    const request: ApprovalRequest = { ...input, id: randomUUID(), requestedAt: new Date(), status: ApprovalStatus.PENDING, approvals: [], decidedBy: null, decidedAt: null, reason: null };
    await this.pool.query(
      `INSERT INTO modelgate_approval_requests (id, registry, model, version, target_stage, requested_by, requested_at, comment, status,
         required_approvals, allow_self_approval, approvals, report) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, '[]', $12)`,
      [request.id, request.registry, request.model, request.version, request.targetStage, request.requestedBy, request.requestedAt.toISOString(),
        request.comment, request.status, request.requiredApprovals, request.allowSelfApproval, json(request.report)],
    );
    return request;
  }

  async getApproval(id: string): Promise<ApprovalRequest | null> {
    const { rows } = await this.pool.query<ApprovalRow>('SELECT * FROM modelgate_approval_requests WHERE id = $1', [id]);
    return rows[0] ? fromApprovalRow(rows[0]) : null;
  }

  async listApprovals(filter: Parameters<GatewayStore['listApprovals']>[0]): Promise<ApprovalRequest[]> {
    const { rows } = await this.pool.query<ApprovalRow>(
      `SELECT * FROM modelgate_approval_requests WHERE ($1::text IS NULL OR registry = $1) AND ($2::text IS NULL OR model = $2)
       AND ($3::text IS NULL OR status = $3) AND ($5::text IS NULL OR requested_at < $5 OR (requested_at = $5 AND id < $6))
       ORDER BY requested_at DESC, id DESC LIMIT $4`,
      [filter.registry ?? null, filter.model ?? null, filter.status ?? null, filter.limit, filter.before?.requestedAt.toISOString() ?? null, filter.before?.id ?? null],
    );
    return rows.map(fromApprovalRow);
  }

  async saveApproval(request: ApprovalRequest, expected: ApprovalStatus): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE modelgate_approval_requests SET status = $1, approvals = $2, decided_by = $3, decided_at = $4, reason = $5 WHERE id = $6 AND status = $7`,
      [request.status, JSON.stringify(request.approvals), request.decidedBy, request.decidedAt?.toISOString() ?? null, request.reason, request.id, expected],
    );
    return rowCount === 1;
  }

  async recordProduction(record: Omit<ProductionRecord, 'at'>): Promise<void> {
    await this.pool.query('INSERT INTO modelgate_production_history (registry, model, version, at, by) VALUES ($1, $2, $3, $4, $5)', [
      record.registry, record.model, record.version, new Date().toISOString(), record.by]);
  }

  async productionHistory(registry: string, model: string): Promise<ProductionRecord[]> {
    const { rows } = await this.pool.query<{ registry: string; model: string; version: string; at: string; by: string }>(
      'SELECT registry, model, version, at, by FROM modelgate_production_history WHERE registry = $1 AND model = $2 ORDER BY id DESC',
      [registry, model],
    );
    return rows.map((r) => ({ ...r, at: new Date(r.at) }));
  }

  async getOutcome(scope: string, key: string): Promise<StoredOutcome | null> {
    const { rows } = await this.pool.query<{ outcome: string }>('SELECT outcome FROM modelgate_outcomes WHERE scope = $1 AND key = $2', [scope, key]);
    return rows[0] ? (JSON.parse(rows[0].outcome) as StoredOutcome) : null;
  }

  async saveOutcome(scope: string, key: string, outcome: StoredOutcome): Promise<void> {
    await this.pool.query('INSERT INTO modelgate_outcomes (scope, key, outcome, at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [
      scope, key, JSON.stringify(outcome), new Date().toISOString()]);
  }

  /** In-process first (so one process holds one connection per key), then a session advisory lock. */
  withLock<T>(key: string, work: () => Promise<T>): Promise<T> {
    return this.locks.run(key, async () => {
      const client = await this.pool.connect();
      try {
        await client.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [key]);
        try {
          return await work();
        } finally {
          await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [key]);
        }
      } finally {
        client.release();
      }
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}

const json = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));
