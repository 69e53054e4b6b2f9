import { randomUUID } from 'node:crypto';
import type { Stage } from '../core/index.ts';
import pg from 'pg';
import { GENESIS_HASH, auditHash, toStoredFields, verifyChain } from './audit-chain.ts';
import { KeyLock } from './key-lock.ts';
import {
  deliveryId, fromApprovalRow, fromAuditRow, fromCheckpointRow, fromDeliveryRow, fromIntentRow, intentOf, outboxCursorKey, storedLinkOf,
  type ApprovalRow, type AuditRow, type CheckpointRow, type DeliveryRow, type IntentRow,
} from './rows.ts';
import { AuditNotifications } from './pg-notifications.ts';
import { Slots } from './slots.ts';
import {
  ApprovalStatus,
  type ApprovalRequest,
  type AuditCheckpoint,
  type AuditEvent,
  type AuditQuery,
  type GatewayStore,
  type NewAuditEvent,
  type CommandOutcome,
  type IdempotentOutcome,
  type OpenIntent,
  type ProductionRecord,
  type DeliveryAttempt,
  type DeliveryQuery,
  type Leadership,
  type NewDelivery,
  type WebhookDelivery,
  type MigrationJob,
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
  `
  CREATE TABLE IF NOT EXISTS modelgate_intents (
    id TEXT PRIMARY KEY, seq BIGINT NOT NULL, owner TEXT NOT NULL, opened_at TEXT NOT NULL, principal TEXT NOT NULL,
    action TEXT NOT NULL, registry TEXT NOT NULL, model TEXT NOT NULL, version TEXT, plan TEXT NOT NULL, closed_by BIGINT
  );
  CREATE INDEX IF NOT EXISTS modelgate_intents_open ON modelgate_intents (opened_at) WHERE closed_by IS NULL;
  DROP TABLE IF EXISTS modelgate_outcomes;
  CREATE TABLE IF NOT EXISTS modelgate_idempotency (scope TEXT PRIMARY KEY, args_hash TEXT NOT NULL, value TEXT NOT NULL, at TEXT NOT NULL);
  `,
  // Audit integrity: TRUNCATE refused; an insert must extend the head (this also refuses
  // INSERT ... ON CONFLICT DO UPDATE of an existing seq); signed checkpoints, append-only too.
  `
  CREATE TRIGGER modelgate_audit_no_truncate BEFORE TRUNCATE ON modelgate_audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION modelgate_audit_append_only();
  CREATE OR REPLACE FUNCTION modelgate_audit_append_at_head() RETURNS trigger AS $$
    DECLARE last RECORD;
    BEGIN
      SELECT seq, hash INTO last FROM modelgate_audit_events ORDER BY seq DESC LIMIT 1;
      IF NEW.seq IS DISTINCT FROM COALESCE(last.seq, 0) + 1 OR NEW.prev_hash IS DISTINCT FROM COALESCE(last.hash, '${GENESIS_HASH}') THEN
        RAISE EXCEPTION 'audit events are append-only: a new event must have seq = last seq + 1 and prev_hash = the last hash';
      END IF;
      RETURN NEW;
    END $$ LANGUAGE plpgsql;
  CREATE TRIGGER modelgate_audit_append_at_head BEFORE INSERT ON modelgate_audit_events
    FOR EACH ROW EXECUTE FUNCTION modelgate_audit_append_at_head();
  CREATE TABLE modelgate_audit_checkpoints (id BIGSERIAL PRIMARY KEY, seq BIGINT NOT NULL, hash TEXT NOT NULL, at TEXT NOT NULL, signature TEXT NOT NULL);
  CREATE TRIGGER modelgate_audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON modelgate_audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION modelgate_audit_append_only();
  CREATE TRIGGER modelgate_audit_checkpoints_no_truncate BEFORE TRUNCATE ON modelgate_audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION modelgate_audit_append_only();
  `,
  `
  ALTER TABLE modelgate_approval_requests ADD COLUMN IF NOT EXISTS from_stage TEXT;
  ALTER TABLE modelgate_approval_requests ADD COLUMN IF NOT EXISTS expires_at TEXT;
  CREATE INDEX IF NOT EXISTS modelgate_approvals_open ON modelgate_approval_requests (registry, model, version, target_stage) WHERE status = 'PENDING';
  `,
  // The webhook outbox: one row per webhook and audit event; modelgate_state holds cursors and watcher snapshots.
  `
  CREATE TABLE IF NOT EXISTS modelgate_webhook_deliveries (
    id TEXT PRIMARY KEY, webhook TEXT NOT NULL, seq BIGINT NOT NULL, event_id TEXT NOT NULL, type TEXT NOT NULL,
    registry TEXT NOT NULL, model TEXT NOT NULL, payload TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL,
    next_attempt_at TEXT NOT NULL, last_error TEXT, last_status INTEGER, created_at TEXT NOT NULL, delivered_at TEXT
  );
  CREATE INDEX IF NOT EXISTS modelgate_webhook_deliveries_pending ON modelgate_webhook_deliveries (webhook, registry, model, seq) WHERE status = 'PENDING';
  CREATE INDEX IF NOT EXISTS modelgate_webhook_deliveries_by_seq ON modelgate_webhook_deliveries (webhook, seq);
  CREATE TABLE IF NOT EXISTS modelgate_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  `,
  `
  CREATE TABLE IF NOT EXISTS modelgate_migrations (id TEXT PRIMARY KEY, owner TEXT NOT NULL, status TEXT NOT NULL, job TEXT NOT NULL, created_at TEXT NOT NULL);
  CREATE INDEX IF NOT EXISTS modelgate_migrations_running ON modelgate_migrations (created_at) WHERE status = 'RUNNING';
  `,
];

export interface PostgresStoreOptions {
  /** Connections in the pool; at most half of them ever hold a model lock, so the work under a lock always finds one. */
  poolSize?: number;
}

/** The store in PostgreSQL: shared by several gateway processes, locks are advisory locks. */
export class PostgresStore implements GatewayStore {
  readonly kind = 'postgres' as const;
  readonly owner = randomUUID();
  private readonly pool: pg.Pool;
  private readonly locks = new KeyLock();
  private readonly lockSlots: Slots;
  /** Holds this process's owner lock for its lifetime, outside the pool. */
  private readonly ownerSession: pg.Client;
  private readonly auditFeed: AuditNotifications;

  private constructor(private readonly url: string, options: PostgresStoreOptions) {
    const size = Math.max(2, options.poolSize ?? 10);
    this.pool = new pg.Pool({ connectionString: url, max: size });
    this.lockSlots = new Slots(Math.floor(size / 2));
    this.ownerSession = new pg.Client({ connectionString: url });
    this.auditFeed = new AuditNotifications(url);
  }

  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const store = new PostgresStore(url, options);
    await store.migrate();
    await store.ownerSession.connect();
    await store.ownerSession.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [ownerLockKey(store.owner)]);
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
    return this.transaction((client) => this.appendWith(client, event));
  }

  /** Appends one event inside the caller's transaction; the audit lock orders appends across processes. */
  private async appendWith(client: pg.PoolClient, event: NewAuditEvent): Promise<AuditEvent> {
    await client.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_LOCK]);
    const { rows } = await client.query<{ seq: string; hash: string }>('SELECT seq, hash FROM modelgate_audit_events ORDER BY seq DESC LIMIT 1');
    const seq = Number(rows[0]?.seq ?? 0) + 1;
    const prevHash = rows[0]?.hash ?? GENESIS_HASH;
    const at = new Date();
    const stored = toStoredFields(seq, at, event);
    const hash = auditHash(prevHash, stored);
    await client.query(
      `INSERT INTO modelgate_audit_events (seq, at, principal, action, registry, model, version, before, after, result, detail, prev_hash, hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
      [seq, stored.at, stored.principal, stored.action, stored.registry, stored.model, stored.version, stored.before, stored.after, stored.result, stored.detail, prevHash, hash],
    );
    // Sent on commit only, to every process listening on this schema's log (a rolled-back append announces nothing).
    await client.query(`SELECT pg_notify('modelgate_audit:' || current_schema(), $1)`, [String(seq)]);
    return { ...event, seq, at, prevHash, hash };
  }

  async listAudit(query: AuditQuery): Promise<AuditEvent[]> {
    const { rows } = await this.pool.query<AuditRow>(
      `SELECT * FROM modelgate_audit_events WHERE ($1::text IS NULL OR registry = $1) AND ($2::text IS NULL OR model = $2) AND seq > $3 ORDER BY seq LIMIT $4`,
      [query.registry ?? null, query.model ?? null, query.after ?? 0, query.limit],
    );
    return rows.map(fromAuditRow);
  }

  async verifyAudit(checkpoint?: Pick<AuditCheckpoint, 'seq' | 'hash'> | null) {
    const { rows } = await this.pool.query<AuditRow>('SELECT * FROM modelgate_audit_events ORDER BY seq');
    return verifyChain(rows.map(storedLinkOf), checkpoint);
  }

  async auditHead() {
    const { rows } = await this.pool.query<{ seq: string; hash: string }>('SELECT seq, hash FROM modelgate_audit_events ORDER BY seq DESC LIMIT 1');
    return rows[0] ? { seq: Number(rows[0].seq), hash: rows[0].hash } : null;
  }

  async saveCheckpoint(checkpoint: AuditCheckpoint): Promise<void> {
    await this.pool.query('INSERT INTO modelgate_audit_checkpoints (seq, hash, at, signature) VALUES ($1, $2, $3, $4)', [
      checkpoint.seq, checkpoint.hash, checkpoint.at, checkpoint.signature]);
  }

  async listCheckpoints(limit: number): Promise<AuditCheckpoint[]> {
    const { rows } = await this.pool.query<CheckpointRow>('SELECT seq, hash, at, signature FROM modelgate_audit_checkpoints ORDER BY id DESC LIMIT $1', [limit]);
    return rows.map(fromCheckpointRow);
  }

  async createApproval(input: Parameters<GatewayStore['createApproval']>[0]): Promise<ApprovalRequest> {
    const request: ApprovalRequest = { ...input, fromStage: input.fromStage ?? null, expiresAt: input.expiresAt ?? null, id: randomUUID(), requestedAt: new Date(), status: ApprovalStatus.PENDING, approvals: [], decidedBy: null, decidedAt: null, reason: null };
    await this.pool.query(
      `INSERT INTO modelgate_approval_requests (id, registry, model, version, target_stage, requested_by, requested_at, comment, status,
         required_approvals, allow_self_approval, approvals, report, from_stage, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, '[]', $12, $13, $14)`,
      [request.id, request.registry, request.model, request.version, request.targetStage, request.requestedBy, request.requestedAt.toISOString(),
        request.comment, request.status, request.requiredApprovals, request.allowSelfApproval, json(request.report), request.fromStage, request.expiresAt?.toISOString() ?? null],
    );
    return request;
  }

  async findPendingApproval(registry: string, model: string, version: string, targetStage: Stage): Promise<ApprovalRequest | null> {
    const { rows } = await this.pool.query<ApprovalRow>(
      `SELECT * FROM modelgate_approval_requests WHERE registry = $1 AND model = $2 AND version = $3 AND target_stage = $4 AND status = 'PENDING' ORDER BY requested_at LIMIT 1`,
      [registry, model, version, targetStage],
    );
    return rows[0] ? fromApprovalRow(rows[0]) : null;
  }

  async expireApprovals(now: Date): Promise<number> {
    const { rowCount } = await this.pool.query(
      `UPDATE modelgate_approval_requests SET status = 'EXPIRED', reason = 'not decided in time' WHERE status = 'PENDING' AND expires_at IS NOT NULL AND expires_at <= $1`,
      [now.toISOString()],
    );
    return rowCount ?? 0;
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
    await this.insertProduction(this.pool, record);
  }

  private async insertProduction(db: pg.Pool | pg.PoolClient, record: Omit<ProductionRecord, 'at'>): Promise<void> {
    await db.query('INSERT INTO modelgate_production_history (registry, model, version, at, by) VALUES ($1, $2, $3, $4, $5)', [
      record.registry, record.model, record.version, new Date().toISOString(), record.by]);
  }

  async productionHistory(registry: string, model: string): Promise<ProductionRecord[]> {
    const { rows } = await this.pool.query<{ registry: string; model: string; version: string; at: string; by: string }>(
      'SELECT registry, model, version, at, by FROM modelgate_production_history WHERE registry = $1 AND model = $2 ORDER BY id DESC',
      [registry, model],
    );
    return rows.map((r) => ({ ...r, at: new Date(r.at) }));
  }

  async openIntent(event: NewAuditEvent, plan: unknown): Promise<OpenIntent> {
    return this.transaction(async (client) => {
      const intent = intentOf(await this.appendWith(client, event), this.owner, plan);
      await client.query(
        'INSERT INTO modelgate_intents (id, seq, owner, opened_at, principal, action, registry, model, version, plan) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)',
        [intent.id, intent.seq, intent.owner, intent.openedAt.toISOString(), intent.principal, intent.action, intent.registry, intent.model, intent.version, JSON.stringify(plan)],
      );
      return intent;
    });
  }

  async recordOutcome(outcome: CommandOutcome): Promise<AuditEvent> {
    return this.transaction(async (client) => {
      const appended = await this.appendWith(client, outcome.event);
      if (outcome.closes) await client.query('UPDATE modelgate_intents SET closed_by = $1 WHERE id = $2 AND closed_by IS NULL', [appended.seq, outcome.closes]);
      if (outcome.production) await this.insertProduction(client, outcome.production);
      const once = outcome.idempotency;
      if (once) {
        await client.query('INSERT INTO modelgate_idempotency (scope, args_hash, value, at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [
          once.scope, once.argsHash, JSON.stringify(once.value), appended.at.toISOString()]);
      }
      return appended;
    });
  }

  async openIntents(): Promise<OpenIntent[]> {
    const { rows } = await this.pool.query<IntentRow>('SELECT * FROM modelgate_intents WHERE closed_by IS NULL ORDER BY seq');
    return rows.map(fromIntentRow);
  }

  /** A live gateway process holds its owner lock for as long as it runs; a dead one's lock went with its session. */
  async ownerAlive(owner: string): Promise<boolean> {
    if (owner === this.owner) return true;
    const client = await this.pool.connect();
    try {
      const { rows } = await client.query<{ got: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS got', [ownerLockKey(owner)]);
      if (rows[0]?.got) await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [ownerLockKey(owner)]);
      return !rows[0]?.got;
    } finally {
      client.release();
    }
  }

  async saveMigration(job: MigrationJob): Promise<void> {
    await this.pool.query(
      'INSERT INTO modelgate_migrations (id, owner, status, job, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO UPDATE SET owner = EXCLUDED.owner, status = EXCLUDED.status, job = EXCLUDED.job',
      [job.id, job.owner, job.status, JSON.stringify(job), job.createdAt],
    );
  }

  async getMigration(id: string): Promise<MigrationJob | null> {
    const { rows } = await this.pool.query<{ job: string; owner: string }>('SELECT job, owner FROM modelgate_migrations WHERE id = $1', [id]);
    return rows[0] ? { ...(JSON.parse(rows[0].job) as MigrationJob), owner: rows[0].owner } : null;
  }

  async runningMigrations(): Promise<MigrationJob[]> {
    const { rows } = await this.pool.query<{ job: string; owner: string }>("SELECT job, owner FROM modelgate_migrations WHERE status = 'RUNNING' ORDER BY created_at");
    return rows.map((row) => ({ ...(JSON.parse(row.job) as MigrationJob), owner: row.owner }));
  }

  async claimMigration(id: string, expected: string, owner: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('UPDATE modelgate_migrations SET owner = $1 WHERE id = $2 AND owner = $3', [owner, id, expected]);
    return rowCount === 1;
  }

  async getIdempotent(scope: string): Promise<IdempotentOutcome | null> {
    const { rows } = await this.pool.query<{ scope: string; args_hash: string; value: string }>(
      'SELECT scope, args_hash, value FROM modelgate_idempotency WHERE scope = $1',
      [scope],
    );
    return rows[0] ? { scope: rows[0].scope, argsHash: rows[0].args_hash, value: JSON.parse(rows[0].value) } : null;
  }

  /**
   * In-process first (one connection per key per process), then a session advisory lock on a
   * connection of its own. Lock holders never take more than half the pool, so the work under a
   * lock (audit appends, history) always finds a connection: no lock waits on its own work.
   */
  withLock<T>(key: string, work: () => Promise<T>): Promise<T> {
    return this.locks.run(key, () =>
      this.lockSlots.run(async () => {
        const client = await this.pool.connect();
        let broken = false;
        try {
          await client.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [key]);
          try {
            return await work();
          } finally {
            await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [key]).catch(() => (broken = true));
          }
        } finally {
          // A connection whose unlock failed may still hold the lock: drop it rather than pool it.
          client.release(broken);
        }
      }),
    );
  }

  onAudit(listener: () => void): Promise<() => Promise<void>> {
    return this.auditFeed.add(listener);
  }

  /** A session advisory lock on a connection of its own, held until released or the session ends. */
  async tryLead(role: string): Promise<Leadership | null> {
    const session = new pg.Client({ connectionString: this.url });
    let held = false;
    session.on('error', () => (held = false));
    await session.connect();
    const { rows } = await session.query<{ got: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS got', [`modelgate-lead:${role}`]);
    if (!rows[0]?.got) {
      await session.end().catch(() => undefined);
      return null;
    }
    held = true;
    session.once('end', () => (held = false));
    return {
      get held() {
        return held;
      },
      async release() {
        held = false;
        await session.end().catch(() => undefined);
      },
    };
  }

  async getState(key: string): Promise<string | null> {
    const { rows } = await this.pool.query<{ value: string }>('SELECT value FROM modelgate_state WHERE key = $1', [key]);
    return rows[0]?.value ?? null;
  }

  async putState(key: string, value: string): Promise<void> {
    await this.pool.query('INSERT INTO modelgate_state (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value]);
  }

  async enqueueDeliveries(webhook: string, deliveries: NewDelivery[], cursor: number): Promise<void> {
    const now = new Date().toISOString();
    await this.transaction(async (client) => {
      for (const d of deliveries) {
        await client.query(
          `INSERT INTO modelgate_webhook_deliveries (id, webhook, seq, event_id, type, registry, model, payload, status, attempts, next_attempt_at, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'PENDING', 0, $9, $9) ON CONFLICT (id) DO NOTHING`,
          [deliveryId(webhook, d.seq), webhook, d.seq, d.eventId, d.type, d.registry, d.model, d.payload, now],
        );
      }
      await client.query('INSERT INTO modelgate_state (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [outboxCursorKey(webhook), String(cursor)]);
    });
  }

  async dueDeliveries(now: Date, limit: number): Promise<WebhookDelivery[]> {
    const { rows } = await this.pool.query<DeliveryRow>(
      `SELECT * FROM modelgate_webhook_deliveries d WHERE d.status = 'PENDING' AND d.next_attempt_at <= $1
       AND NOT EXISTS (SELECT 1 FROM modelgate_webhook_deliveries e WHERE e.status = 'PENDING' AND e.webhook = d.webhook AND e.registry = d.registry AND e.model = d.model AND e.seq < d.seq)
       ORDER BY d.seq LIMIT $2`,
      [now.toISOString(), limit],
    );
    return rows.map(fromDeliveryRow);
  }

  async recordAttempt(id: string, attempt: DeliveryAttempt): Promise<void> {
    await this.pool.query(
      'UPDATE modelgate_webhook_deliveries SET status = $1, attempts = $2, next_attempt_at = $3, last_error = $4, last_status = $5, delivered_at = $6 WHERE id = $7',
      [attempt.status, attempt.attempts, attempt.nextAttemptAt.toISOString(), attempt.lastError, attempt.lastStatus, attempt.deliveredAt?.toISOString() ?? null, id],
    );
  }

  async listDeliveries(query: DeliveryQuery): Promise<WebhookDelivery[]> {
    const { rows } = await this.pool.query<DeliveryRow>(
      `SELECT * FROM modelgate_webhook_deliveries WHERE ($1::text IS NULL OR webhook = $1) AND ($2::text IS NULL OR status = $2) AND ($3::bigint IS NULL OR seq < $3)
       ORDER BY seq DESC, webhook LIMIT $4`,
      [query.webhook ?? null, query.status ?? null, query.beforeSeq ?? null, query.limit],
    );
    return rows.map(fromDeliveryRow);
  }

  async getDelivery(id: string): Promise<WebhookDelivery | null> {
    const { rows } = await this.pool.query<DeliveryRow>('SELECT * FROM modelgate_webhook_deliveries WHERE id = $1', [id]);
    return rows[0] ? fromDeliveryRow(rows[0]) : null;
  }

  async close(): Promise<void> {
    await this.auditFeed.close();
    await this.ownerSession.end().catch(() => undefined);
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

const ownerLockKey = (owner: string) => `modelgate-owner:${owner}`;

const json = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));
