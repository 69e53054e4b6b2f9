import type { Stage } from '../core/index.ts';

export interface AuditEvent {
  seq: number;
  at: Date;
  principal: string;
  action: string;
  registry: string | null;
  model: string | null;
  version: string | null;
  before: unknown;
  after: unknown;
  /** OK, FAILED, PENDING, REJECTED, DRY_RUN... */
  result: string;
  detail: string | null;
  prevHash: string;
  hash: string;
}

export type NewAuditEvent = Omit<AuditEvent, 'seq' | 'at' | 'prevHash' | 'hash'>;

export interface AuditQuery {
  registry?: string | null;
  model?: string | null;
  /** Events after this sequence number. */
  after?: number | null;
  limit: number;
}

export interface AuditVerification {
  ok: boolean;
  checked: number;
  /** Sequence number of the first event whose hash does not follow from the chain. */
  brokenAt: number | null;
}

export enum ApprovalStatus {
  PENDING = 'PENDING',
  APPROVED = 'APPROVED',
  REJECTED = 'REJECTED',
}

export interface ApprovalVote {
  principal: string;
  at: Date;
  comment: string | null;
}

export interface ApprovalRequest {
  id: string;
  registry: string;
  model: string;
  version: string;
  targetStage: Stage;
  requestedBy: string;
  requestedAt: Date;
  comment: string | null;
  status: ApprovalStatus;
  requiredApprovals: number;
  allowSelfApproval: boolean;
  approvals: ApprovalVote[];
  /** The gate report when the request was opened. */
  report: unknown;
  decidedBy: string | null;
  decidedAt: Date | null;
  reason: string | null;
}

export interface ApprovalQuery {
  registry?: string | null;
  model?: string | null;
  status?: ApprovalStatus | null;
  limit: number;
  /** The request the previous page ended with (a cursor). */
  before?: { requestedAt: Date; id: string } | null;
}

export interface ProductionRecord {
  registry: string;
  model: string;
  version: string;
  at: Date;
  by: string;
}

/** A stored outcome of an idempotent call: its value, or the coded error it ended in. */
export type StoredOutcome = { ok: unknown } | { error: { code: string; message: string; details?: unknown } };

/** The gateway's own state, the same on SQLite and PostgreSQL. */
export interface GatewayStore {
  readonly kind: 'sqlite' | 'postgres';
  appendAudit(event: NewAuditEvent): Promise<AuditEvent>;
  listAudit(query: AuditQuery): Promise<AuditEvent[]>;
  verifyAudit(): Promise<AuditVerification>;

  createApproval(request: Omit<ApprovalRequest, 'id' | 'requestedAt' | 'status' | 'approvals' | 'decidedBy' | 'decidedAt' | 'reason'>): Promise<ApprovalRequest>;
  getApproval(id: string): Promise<ApprovalRequest | null>;
  /** Newest first (ties by id, descending); with `before`, only requests that come after that one in this order. */
  listApprovals(filter: ApprovalQuery): Promise<ApprovalRequest[]>;
  /** Saves a changed request only if it is still in `expected` status; false when another caller got there first. */
  saveApproval(request: ApprovalRequest, expected: ApprovalStatus): Promise<boolean>;

  recordProduction(record: Omit<ProductionRecord, 'at'>): Promise<void>;
  /** Versions that were promoted to PRODUCTION, newest first. */
  productionHistory(registry: string, model: string): Promise<ProductionRecord[]>;

  getOutcome(scope: string, key: string): Promise<StoredOutcome | null>;
  saveOutcome(scope: string, key: string, outcome: StoredOutcome): Promise<void>;

  /** Runs `work` while holding `key` exclusively (across processes on PostgreSQL). */
  withLock<T>(key: string, work: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
