import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { GENESIS_HASH, auditHash, verifyChain } from './audit-chain.ts';
import { KeyLock } from './key-lock.ts';
import {
  ApprovalStatus,
  type ApprovalQuery,
  type ApprovalRequest,
  type AuditEvent,
  type AuditQuery,
  type GatewayStore,
  type NewAuditEvent,
  type ProductionRecord,
  type StoredOutcome,
} from './types.ts';
import { fromApprovalRow, fromAuditRow, type ApprovalRow, type AuditRow } from './rows.ts';

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
];

/** The store in one SQLite file under the data directory; locks are in-process. */
export class SqliteStore implements GatewayStore {
  readonly kind = 'sqlite' as const;
  private readonly db: Database.Database;
  private readonly locks = new KeyLock();

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    const applied = this.db.pragma('user_version', { simple: true }) as number;
    if (applied > MIGRATIONS.length) throw new Error(`Store schema ${applied} is newer than this modelgate`);
    this.db.transaction(() => {
      MIGRATIONS.slice(applied).forEach((sql, i) => {
        this.db.exec(sql);
        this.db.pragma(`user_version = ${applied + i + 1}`);
      });
    }).immediate();
  }

  async appendAudit(event: NewAuditEvent): Promise<AuditEvent> {
    return this.db
      .transaction(() => {
        const last = this.db.prepare('SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string } | undefined;
        const seq = (last?.seq ?? 0) + 1;
        const prevHash = last?.hash ?? GENESIS_HASH;
        const at = new Date();
        const hash = auditHash(prevHash, seq, at, event);
        this.db
          .prepare(
            `INSERT INTO audit_events (seq, at, principal, action, registry, model, version, before, after, result, detail, prev_hash, hash)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(seq, at.toISOString(), event.principal, event.action, event.registry, event.model, event.version, json(event.before), json(event.after), event.result, event.detail, prevHash, hash);
        return { ...event, seq, at, prevHash, hash };
      })
      .immediate();
  }

  async listAudit(query: AuditQuery): Promise<AuditEvent[]> {
    const rows = this.db
      .prepare(
        `SELECT * FROM audit_events WHERE (? IS NULL OR registry = ?) AND (? IS NULL OR model = ?) AND seq > ? ORDER BY seq LIMIT ?`,
      )
      .all(query.registry ?? null, query.registry ?? null, query.model ?? null, query.model ?? null, query.after ?? 0, query.limit) as AuditRow[];
    return rows.map(fromAuditRow);
  }

  async verifyAudit() {
    const rows = this.db.prepare('SELECT * FROM audit_events ORDER BY seq').iterate() as Iterable<AuditRow>;
    return verifyChain((function* () {
      for (const row of rows) yield fromAuditRow(row);
    })());
  }

  async createApproval(input: Parameters<GatewayStore['createApproval']>[0]): Promise<ApprovalRequest> {
    const request: ApprovalRequest = {
      ...input,
      id: randomUUID(),
      requestedAt: new Date(),
      status: ApprovalStatus.PENDING,
      approvals: [],
      decidedBy: null,
      decidedAt: null,
      reason: null,
    };
    this.db
      .prepare(
        `INSERT INTO approval_requests (id, registry, model, version, target_stage, requested_by, requested_at, comment, status,
           required_approvals, allow_self_approval, approvals, report, decided_by, decided_at, reason)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL)`,
      )
      .run(request.id, request.registry, request.model, request.version, request.targetStage, request.requestedBy, request.requestedAt.toISOString(),
        request.comment, request.status, request.requiredApprovals, request.allowSelfApproval ? 1 : 0, '[]', json(request.report));
    return request;
  }

  async getApproval(id: string): Promise<ApprovalRequest | null> {
    const row = this.db.prepare('SELECT * FROM approval_requests WHERE id = ?').get(id) as ApprovalRow | undefined;
    return row ? fromApprovalRow(row) : null;
  }

  async listApprovals(filter: Parameters<GatewayStore['listApprovals']>[0]): Promise<ApprovalRequest[]> {
    const rows = this.db
      .prepare(
        `SELECT * FROM approval_requests WHERE (? IS NULL OR registry = ?) AND (? IS NULL OR model = ?) AND (? IS NULL OR status = ?)
         AND (? IS NULL OR requested_at < ? OR (requested_at = ? AND id < ?))
         ORDER BY requested_at DESC, id DESC LIMIT ?`,
      )
      .all(filter.registry ?? null, filter.registry ?? null, filter.model ?? null, filter.model ?? null, filter.status ?? null, filter.status ?? null,
        ...beforeArgs(filter.before), filter.limit) as ApprovalRow[];
    return rows.map(fromApprovalRow);
  }

  async saveApproval(request: ApprovalRequest, expected: ApprovalStatus): Promise<boolean> {
    const { changes } = this.db
      .prepare(
        `UPDATE approval_requests SET status = ?, approvals = ?, decided_by = ?, decided_at = ?, reason = ? WHERE id = ? AND status = ?`,
      )
      .run(request.status, JSON.stringify(request.approvals), request.decidedBy, request.decidedAt?.toISOString() ?? null, request.reason, request.id, expected);
    return changes === 1;
  }

  async recordProduction(record: Omit<ProductionRecord, 'at'>): Promise<void> {
    this.db.prepare('INSERT INTO production_history (registry, model, version, at, by) VALUES (?, ?, ?, ?, ?)').run(
      record.registry, record.model, record.version, new Date().toISOString(), record.by);
  }

  async productionHistory(registry: string, model: string): Promise<ProductionRecord[]> {
    const rows = this.db
      .prepare('SELECT registry, model, version, at, by FROM production_history WHERE registry = ? AND model = ? ORDER BY id DESC')
      .all(registry, model) as { registry: string; model: string; version: string; at: string; by: string }[];
    return rows.map((r) => ({ ...r, at: new Date(r.at) }));
  }

  async getOutcome(scope: string, key: string): Promise<StoredOutcome | null> {
    const row = this.db.prepare('SELECT outcome FROM outcomes WHERE scope = ? AND key = ?').get(scope, key) as { outcome: string } | undefined;
    return row ? (JSON.parse(row.outcome) as StoredOutcome) : null;
  }

  async saveOutcome(scope: string, key: string, outcome: StoredOutcome): Promise<void> {
    this.db.prepare('INSERT OR IGNORE INTO outcomes (scope, key, outcome, at) VALUES (?, ?, ?, ?)').run(scope, key, JSON.stringify(outcome), new Date().toISOString());
  }

  withLock<T>(key: string, work: () => Promise<T>): Promise<T> {
    return this.locks.run(key, work);
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

const json = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));

const beforeArgs = (before: ApprovalQuery['before']) => {
  const at = before ? before.requestedAt.toISOString() : null;
  return [at, at, at, before?.id ?? null];
};
