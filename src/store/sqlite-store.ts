import { randomUUID } from 'node:crypto';
import type { Stage } from '../core/index.ts';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { GENESIS_HASH, auditHash, toStoredFields, verifyChain } from './audit-chain.ts';
import { KeyLock } from './key-lock.ts';
import {
  ApprovalStatus,
  type ApprovalQuery,
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
import {
  deliveryId, fromApprovalRow, fromAuditRow, fromCheckpointRow, fromDeliveryRow, fromIntentRow, intentOf, outboxCursorKey, storedLinkOf,
  type ApprovalRow, type AuditRow, type CheckpointRow, type DeliveryRow, type IntentRow,
} from './rows.ts';

const MIGRATIONS = [
  `
  CREATE TABLE audit_events (
    seq INTEGER PRIMARY KEY, at TEXT NOT NULL, principal TEXT NOT NULL, action TEXT NOT NULL,
    registry TEXT, model TEXT, version TEXT, before TEXT, after TEXT, result TEXT NOT NULL, detail TEXT,
    prev_hash TEXT NOT NULL, hash TEXT NOT NULL
  );
  CREATE INDEX audit_by_model ON audit_events (registry, model, seq);
  -- append-only: the database itself refuses edits and deletes
  CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_events BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
  CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_events BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
  CREATE TABLE approval_requests (
    id TEXT PRIMARY KEY, registry TEXT NOT NULL, model TEXT NOT NULL, version TEXT NOT NULL, target_stage TEXT NOT NULL,
    requested_by TEXT NOT NULL, requested_at TEXT NOT NULL, comment TEXT, status TEXT NOT NULL, required_approvals INTEGER NOT NULL,
    allow_self_approval INTEGER NOT NULL, approvals TEXT NOT NULL, report TEXT, decided_by TEXT, decided_at TEXT, reason TEXT
  );
  CREATE INDEX approvals_by_model ON approval_requests (registry, model, status);
  CREATE TABLE production_history (
    id INTEGER PRIMARY KEY, registry TEXT NOT NULL, model TEXT NOT NULL, version TEXT NOT NULL, at TEXT NOT NULL, by TEXT NOT NULL
  );
  CREATE INDEX production_by_model ON production_history (registry, model, id);
  CREATE TABLE outcomes (scope TEXT NOT NULL, key TEXT NOT NULL, outcome TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (scope, key));
  `,
  `
  CREATE TABLE intents (
    id TEXT PRIMARY KEY, seq INTEGER NOT NULL, owner TEXT NOT NULL, opened_at TEXT NOT NULL, principal TEXT NOT NULL,
    action TEXT NOT NULL, registry TEXT NOT NULL, model TEXT NOT NULL, version TEXT, plan TEXT NOT NULL, closed_by INTEGER
  );
  CREATE INDEX intents_open ON intents (opened_at) WHERE closed_by IS NULL;
  -- keys were global per registry; a key now belongs to one call (registry, model, operation, principal) and its arguments
  DROP TABLE outcomes;
  CREATE TABLE idempotency (scope TEXT PRIMARY KEY, args_hash TEXT NOT NULL, value TEXT NOT NULL, at TEXT NOT NULL);
  `,
  // Audit integrity: an insert must extend the head (this also refuses INSERT OR REPLACE /
  // REPLACE INTO of an existing seq, whose implicit delete fires no delete trigger); signed checkpoints.
  `
  CREATE TRIGGER audit_append_at_head BEFORE INSERT ON audit_events
  WHEN NEW.seq IS NOT (SELECT COALESCE(MAX(seq), 0) + 1 FROM audit_events)
    OR NEW.prev_hash IS NOT COALESCE((SELECT hash FROM audit_events ORDER BY seq DESC LIMIT 1), '${GENESIS_HASH}')
  BEGIN SELECT RAISE(ABORT, 'audit events are append-only: a new event must have seq = last seq + 1 and prev_hash = the last hash'); END;
  CREATE TABLE audit_checkpoints (id INTEGER PRIMARY KEY, seq INTEGER NOT NULL, hash TEXT NOT NULL, at TEXT NOT NULL, signature TEXT NOT NULL);
  CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;
  CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;
  `,
  `
  -- one open request per version and target stage; superseded and expired requests
  ALTER TABLE approval_requests ADD COLUMN from_stage TEXT;
  ALTER TABLE approval_requests ADD COLUMN expires_at TEXT;
  CREATE INDEX approvals_open ON approval_requests (registry, model, version, target_stage) WHERE status = 'PENDING';
  `,
  `
  -- the webhook outbox: one row per webhook and audit event; gateway_state holds cursors and watcher snapshots
  CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY, webhook TEXT NOT NULL, seq INTEGER NOT NULL, event_id TEXT NOT NULL, type TEXT NOT NULL,
    registry TEXT NOT NULL, model TEXT NOT NULL, payload TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL,
    next_attempt_at TEXT NOT NULL, last_error TEXT, last_status INTEGER, created_at TEXT NOT NULL, delivered_at TEXT
  );
  CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (webhook, registry, model, seq) WHERE status = 'PENDING';
  CREATE INDEX webhook_deliveries_by_seq ON webhook_deliveries (webhook, seq);
  CREATE TABLE gateway_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  `,
  `
  -- migrateModel jobs: progress survives a restart so a job resumes where it stopped
  CREATE TABLE migrations (id TEXT PRIMARY KEY, owner TEXT NOT NULL, status TEXT NOT NULL, job TEXT NOT NULL, created_at TEXT NOT NULL);
  CREATE INDEX migrations_running ON migrations (created_at) WHERE status = 'RUNNING';
  `,
];

/** The store in one SQLite file under the data directory; locks are in-process. */
/**
 * A bare `LIMIT ?` lets SQLite's planner depend on the bound value, so the statement is compiled
 * again on every run (5-6x the cost of a small list); behind a CAST the prepared plan is reused
 * (plans checked identical with EXPLAIN QUERY PLAN).
 */
const BOUND_LIMIT = 'CAST(? AS INTEGER)';

export class SqliteStore implements GatewayStore {
  readonly kind = 'sqlite' as const;
  readonly owner = randomUUID();
  private readonly db: Database.Database;
  private readonly locks = new KeyLock();
  private readonly statements = new Map<string, Database.Statement>();
  private readonly writeTransaction: Database.Transaction<(work: () => unknown) => unknown>;
  private readonly auditListeners = new Set<() => void>();
  private readonly roles = new Set<string>();

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.writeTransaction = this.db.transaction((work: () => unknown) => work());
    const applied = this.db.pragma('user_version', { simple: true }) as number;
    if (applied > MIGRATIONS.length) throw new Error(`Store schema ${applied} is newer than this modelgate`);
    this.db.transaction(() => {
      MIGRATIONS.slice(applied).forEach((sql, i) => {
        this.db.exec(sql);
        this.db.pragma(`user_version = ${applied + i + 1}`);
      });
    }).immediate();
  }

  /** Runs `work` in one write transaction (BEGIN IMMEDIATE), built once rather than per call. */
  private write<T>(work: () => T): T {
    return this.writeTransaction.immediate(work) as T;
  }

  /** A prepared statement, compiled once: the command pipeline runs a handful per mutation. */
  private sql(text: string): Database.Statement {
    let statement = this.statements.get(text);
    if (!statement) this.statements.set(text, (statement = this.db.prepare(text)));
    return statement;
  }

  async appendAudit(event: NewAuditEvent): Promise<AuditEvent> {
    return this.announced(this.write(() => this.appendRow(event)));
  }

  /** Tells the audit listeners once the append is committed. */
  private announced<T>(value: T): T {
    for (const listener of this.auditListeners) listener();
    return value;
  }

  /** Appends one event; the caller holds the write transaction. */
  private appendRow(event: NewAuditEvent): AuditEvent {
    const last = this.sql('SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string } | undefined;
    const seq = (last?.seq ?? 0) + 1;
    const prevHash = last?.hash ?? GENESIS_HASH;
    const at = new Date();
    const stored = toStoredFields(seq, at, event);
    const hash = auditHash(prevHash, stored);
    this.sql(
        `INSERT INTO audit_events (seq, at, principal, action, registry, model, version, before, after, result, detail, prev_hash, hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(seq, stored.at, stored.principal, stored.action, stored.registry, stored.model, stored.version, stored.before, stored.after, stored.result, stored.detail, prevHash, hash);
    return { ...event, seq, at, prevHash, hash };
  }

  async listAudit(query: AuditQuery): Promise<AuditEvent[]> {
    const rows = this.sql(
        `SELECT * FROM audit_events WHERE (? IS NULL OR registry = ?) AND (? IS NULL OR model = ?) AND seq > ? ORDER BY seq LIMIT ${BOUND_LIMIT}`,
      )
      .all(query.registry ?? null, query.registry ?? null, query.model ?? null, query.model ?? null, query.after ?? 0, query.limit) as AuditRow[];
    return rows.map(fromAuditRow);
  }

  async verifyAudit(checkpoint?: Pick<AuditCheckpoint, 'seq' | 'hash'> | null) {
    const rows = this.db.prepare('SELECT * FROM audit_events ORDER BY seq').iterate() as Iterable<AuditRow>;
    return verifyChain((function* () {
      for (const row of rows) yield storedLinkOf(row);
    })(), checkpoint);
  }

  async auditHead() {
    const row = this.sql('SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string } | undefined;
    return row ? { seq: row.seq, hash: row.hash } : null;
  }

  async saveCheckpoint(checkpoint: AuditCheckpoint): Promise<void> {
    this.sql('INSERT INTO audit_checkpoints (seq, hash, at, signature) VALUES (?, ?, ?, ?)').run(checkpoint.seq, checkpoint.hash, checkpoint.at, checkpoint.signature);
  }

  async listCheckpoints(limit: number): Promise<AuditCheckpoint[]> {
    const rows = this.sql(`SELECT seq, hash, at, signature FROM audit_checkpoints ORDER BY id DESC LIMIT ${BOUND_LIMIT}`).all(limit) as CheckpointRow[];
    return rows.map(fromCheckpointRow);
  }

  async createApproval(input: Parameters<GatewayStore['createApproval']>[0]): Promise<ApprovalRequest> {
    const request: ApprovalRequest = {
      ...input,
      fromStage: input.fromStage ?? null,
      expiresAt: input.expiresAt ?? null,
      id: randomUUID(),
      requestedAt: new Date(),
      status: ApprovalStatus.PENDING,
      approvals: [],
      decidedBy: null,
      decidedAt: null,
      reason: null,
    };
    this.sql(
        `INSERT INTO approval_requests (id, registry, model, version, target_stage, requested_by, requested_at, comment, status,
           required_approvals, allow_self_approval, approvals, report, decided_by, decided_at, reason, from_stage, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, ?, ?)`,
      )
      .run(request.id, request.registry, request.model, request.version, request.targetStage, request.requestedBy, request.requestedAt.toISOString(),
        request.comment, request.status, request.requiredApprovals, request.allowSelfApproval ? 1 : 0, '[]', json(request.report),
        request.fromStage, request.expiresAt?.toISOString() ?? null);
    return request;
  }

  async findPendingApproval(registry: string, model: string, version: string, targetStage: Stage): Promise<ApprovalRequest | null> {
    const row = this.sql(
      `SELECT * FROM approval_requests WHERE registry = ? AND model = ? AND version = ? AND target_stage = ? AND status = 'PENDING' ORDER BY requested_at LIMIT 1`,
    ).get(registry, model, version, targetStage) as ApprovalRow | undefined;
    return row ? fromApprovalRow(row) : null;
  }

  async expireApprovals(now: Date): Promise<number> {
    return this.sql(`UPDATE approval_requests SET status = 'EXPIRED', reason = 'not decided in time' WHERE status = 'PENDING' AND expires_at IS NOT NULL AND expires_at <= ?`).run(now.toISOString()).changes;
  }

  async getApproval(id: string): Promise<ApprovalRequest | null> {
    const row = this.sql('SELECT * FROM approval_requests WHERE id = ?').get(id) as ApprovalRow | undefined;
    return row ? fromApprovalRow(row) : null;
  }

  async listApprovals(filter: Parameters<GatewayStore['listApprovals']>[0]): Promise<ApprovalRequest[]> {
    const rows = this.sql(
        `SELECT * FROM approval_requests WHERE (? IS NULL OR registry = ?) AND (? IS NULL OR model = ?) AND (? IS NULL OR status = ?)
         AND (? IS NULL OR requested_at < ? OR (requested_at = ? AND id < ?))
         ORDER BY requested_at DESC, id DESC LIMIT ${BOUND_LIMIT}`,
      )
      .all(filter.registry ?? null, filter.registry ?? null, filter.model ?? null, filter.model ?? null, filter.status ?? null, filter.status ?? null,
        ...beforeArgs(filter.before), filter.limit) as ApprovalRow[];
    return rows.map(fromApprovalRow);
  }

  async saveApproval(request: ApprovalRequest, expected: ApprovalStatus): Promise<boolean> {
    const { changes } = this.sql(
        `UPDATE approval_requests SET status = ?, approvals = ?, decided_by = ?, decided_at = ?, reason = ? WHERE id = ? AND status = ?`,
      )
      .run(request.status, JSON.stringify(request.approvals), request.decidedBy, request.decidedAt?.toISOString() ?? null, request.reason, request.id, expected);
    return changes === 1;
  }

  async recordProduction(record: Omit<ProductionRecord, 'at'>): Promise<void> {
    this.insertProduction(record);
  }

  private insertProduction(record: Omit<ProductionRecord, 'at'>): void {
    this.sql('INSERT INTO production_history (registry, model, version, at, by) VALUES (?, ?, ?, ?, ?)').run(
      record.registry, record.model, record.version, new Date().toISOString(), record.by);
  }

  async productionHistory(registry: string, model: string): Promise<ProductionRecord[]> {
    const rows = this.sql('SELECT registry, model, version, at, by FROM production_history WHERE registry = ? AND model = ? ORDER BY id DESC')
      .all(registry, model) as { registry: string; model: string; version: string; at: string; by: string }[];
    return rows.map((r) => ({ ...r, at: new Date(r.at) }));
  }

  async openIntent(event: NewAuditEvent, plan: unknown): Promise<OpenIntent> {
    return this.announced(this.write(() => {
      const appended = this.appendRow(event);
      const intent = intentOf(appended, this.owner, plan);
      this.sql('INSERT INTO intents (id, seq, owner, opened_at, principal, action, registry, model, version, plan) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(intent.id, intent.seq, intent.owner, intent.openedAt.toISOString(), intent.principal, intent.action, intent.registry, intent.model, intent.version, JSON.stringify(plan));
      return intent;
    }));
  }

  async recordOutcome(outcome: CommandOutcome): Promise<AuditEvent> {
    return this.announced(this.write(() => {
      const appended = this.appendRow(outcome.event);
      if (outcome.closes) this.sql('UPDATE intents SET closed_by = ? WHERE id = ? AND closed_by IS NULL').run(appended.seq, outcome.closes);
      if (outcome.production) this.insertProduction(outcome.production);
      const once = outcome.idempotency;
      if (once) {
        this.sql('INSERT OR IGNORE INTO idempotency (scope, args_hash, value, at) VALUES (?, ?, ?, ?)').run(once.scope, once.argsHash, JSON.stringify(once.value), appended.at.toISOString());
      }
      return appended;
    }));
  }

  async openIntents(): Promise<OpenIntent[]> {
    const rows = this.sql('SELECT * FROM intents WHERE closed_by IS NULL ORDER BY seq').all() as IntentRow[];
    return rows.map(fromIntentRow);
  }

  /** One process owns a data directory (see data-dir.ts), so intents of any other owner are orphans. */
  async ownerAlive(owner: string): Promise<boolean> {
    return owner === this.owner;
  }

  async saveMigration(job: MigrationJob): Promise<void> {
    this.sql('INSERT INTO migrations (id, owner, status, job, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET owner = excluded.owner, status = excluded.status, job = excluded.job')
      .run(job.id, job.owner, job.status, JSON.stringify(job), job.createdAt);
  }

  async getMigration(id: string): Promise<MigrationJob | null> {
    const row = this.sql('SELECT job, owner FROM migrations WHERE id = ?').get(id) as { job: string; owner: string } | undefined;
    return row ? { ...(JSON.parse(row.job) as MigrationJob), owner: row.owner } : null;
  }

  async runningMigrations(): Promise<MigrationJob[]> {
    const rows = this.sql("SELECT job, owner FROM migrations WHERE status = 'RUNNING' ORDER BY created_at").all() as { job: string; owner: string }[];
    return rows.map((row) => ({ ...(JSON.parse(row.job) as MigrationJob), owner: row.owner }));
  }

  async claimMigration(id: string, expected: string, owner: string): Promise<boolean> {
    return this.sql('UPDATE migrations SET owner = ? WHERE id = ? AND owner = ?').run(owner, id, expected).changes === 1;
  }

  async getIdempotent(scope: string): Promise<IdempotentOutcome | null> {
    const row = this.sql('SELECT scope, args_hash, value FROM idempotency WHERE scope = ?').get(scope) as { scope: string; args_hash: string; value: string } | undefined;
    return row ? { scope: row.scope, argsHash: row.args_hash, value: JSON.parse(row.value) } : null;
  }

  withLock<T>(key: string, work: () => Promise<T>): Promise<T> {
    return this.locks.run(key, work);
  }

  async onAudit(listener: () => void): Promise<() => Promise<void>> {
    const own = () => listener();
    this.auditListeners.add(own);
    return async () => void this.auditListeners.delete(own);
  }

  /** One process owns the data directory, so a role is this process's unless it already holds it. */
  async tryLead(role: string): Promise<Leadership | null> {
    if (this.roles.has(role)) return null;
    this.roles.add(role);
    const roles = this.roles;
    let held = true;
    return {
      get held() {
        return held;
      },
      async release() {
        held = false;
        roles.delete(role);
      },
    };
  }

  async getState(key: string): Promise<string | null> {
    const row = this.sql('SELECT value FROM gateway_state WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value ?? null;
  }

  async putState(key: string, value: string): Promise<void> {
    this.sql('INSERT INTO gateway_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  async enqueueDeliveries(webhook: string, deliveries: NewDelivery[], cursor: number): Promise<void> {
    const now = new Date().toISOString();
    this.write(() => {
      for (const d of deliveries) {
        this.sql(
          `INSERT OR IGNORE INTO webhook_deliveries (id, webhook, seq, event_id, type, registry, model, payload, status, attempts, next_attempt_at, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'PENDING', 0, ?, ?)`,
        ).run(deliveryId(webhook, d.seq), webhook, d.seq, d.eventId, d.type, d.registry, d.model, d.payload, now, now);
      }
      this.sql('INSERT INTO gateway_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(outboxCursorKey(webhook), String(cursor));
    });
  }

  async dueDeliveries(now: Date, limit: number): Promise<WebhookDelivery[]> {
    const rows = this.sql(
      `SELECT * FROM webhook_deliveries d WHERE d.status = 'PENDING' AND d.next_attempt_at <= ?
       AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e WHERE e.status = 'PENDING' AND e.webhook = d.webhook AND e.registry = d.registry AND e.model = d.model AND e.seq < d.seq)
       ORDER BY d.seq LIMIT ${BOUND_LIMIT}`,
    ).all(now.toISOString(), limit) as DeliveryRow[];
    return rows.map(fromDeliveryRow);
  }

  async recordAttempt(id: string, attempt: DeliveryAttempt): Promise<void> {
    this.sql('UPDATE webhook_deliveries SET status = ?, attempts = ?, next_attempt_at = ?, last_error = ?, last_status = ?, delivered_at = ? WHERE id = ?').run(
      attempt.status, attempt.attempts, attempt.nextAttemptAt.toISOString(), attempt.lastError, attempt.lastStatus, attempt.deliveredAt?.toISOString() ?? null, id);
  }

  async listDeliveries(query: DeliveryQuery): Promise<WebhookDelivery[]> {
    const rows = this.sql(
      `SELECT * FROM webhook_deliveries WHERE (? IS NULL OR webhook = ?) AND (? IS NULL OR status = ?) AND (? IS NULL OR seq < ?) ORDER BY seq DESC, webhook LIMIT ${BOUND_LIMIT}`,
    ).all(query.webhook ?? null, query.webhook ?? null, query.status ?? null, query.status ?? null, query.beforeSeq ?? null, query.beforeSeq ?? null, query.limit) as DeliveryRow[];
    return rows.map(fromDeliveryRow);
  }

  async getDelivery(id: string): Promise<WebhookDelivery | null> {
    const row = this.sql('SELECT * FROM webhook_deliveries WHERE id = ?').get(id) as DeliveryRow | undefined;
    return row ? fromDeliveryRow(row) : null;
  }

  async close(): Promise<void> {
    this.auditListeners.clear();
    this.db.close();
  }
}

const json = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));

const beforeArgs = (before: ApprovalQuery['before']) => {
  const at = before ? before.requestedAt.toISOString() : null;
  return [at, at, at, before?.id ?? null];
};
