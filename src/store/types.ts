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
  /** The chain holds and, when a checkpoint was given, the log still extends it. */
  ok: boolean;
  checked: number;
  /** Sequence number of the first event whose hash does not follow from the chain. */
  brokenAt: number | null;
  /** Every event that does not follow from its stored predecessor, in order, at most BROKEN_LIMIT. */
  broken: number[];
  /** More events are broken than `broken` lists. */
  truncated: boolean;
  /** The last event read, null for an empty log. */
  head: { seq: number; hash: string } | null;
  /** The result against the checkpoint asked about, if any. */
  checkpoint: CheckpointCheck | null;
}

/** A signed statement that the log had `hash` at `seq`; the log must always extend it. */
export interface AuditCheckpoint {
  seq: number;
  hash: string;
  /** ISO-8601 time of issue, exactly the text that was signed. */
  at: string;
  /** HMAC-SHA256 (hex) with MODELGATE_AUDIT_KEY over seq, hash and at. */
  signature: string;
}

export enum CheckpointFailure {
  SIGNATURE_INVALID = 'SIGNATURE_INVALID',
  /** The log no longer has an event at the checkpoint's seq: it was truncated. */
  EVENT_MISSING = 'EVENT_MISSING',
  /** The event at the checkpoint's seq has another hash: the log was rewritten. */
  HASH_DIFFERS = 'HASH_DIFFERS',
}

export interface CheckpointCheck {
  seq: number;
  holds: boolean;
  reason: CheckpointFailure | null;
}

export enum ApprovalStatus {
  PENDING = 'PENDING',
  APPROVED = 'APPROVED',
  REJECTED = 'REJECTED',
  /** Its version left the stage it was gated from, or another version reached the target stage. */
  SUPERSEDED = 'SUPERSEDED',
  /** Not decided within the policy's approvalTtl. */
  EXPIRED = 'EXPIRED',
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
  /** The stage the version was in when the request was opened (null for requests from before it was kept). */
  fromStage: Stage | null;
  /** When an undecided request expires (the policy's approvalTtl), or null. */
  expiresAt: Date | null;
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

/** A write-ahead intent: appended before a command's first backend write, closed by its outcome. */
export interface OpenIntent {
  id: string;
  /** The audit event that opened it. */
  seq: number;
  /** The gateway process that opened it; another process reconciles it only once that one is gone. */
  owner: string;
  openedAt: Date;
  principal: string;
  action: string;
  registry: string;
  model: string;
  version: string | null;
  /** What the command set out to do, for reconciliation (JSON). */
  plan: unknown;
}

/** The stored result of a call made with an idempotency key, bound to a hash of its arguments. */
export interface IdempotentOutcome {
  /** registry, model, operation, principal and key: one call's own slot. */
  scope: string;
  argsHash: string;
  value: unknown;
}

export type MigrationStatus = 'RUNNING' | 'DONE' | 'FAILED';

/** One source version in a migration and what became of it. */
export interface MigrationItem {
  version: string;
  status: 'PENDING' | 'CREATED' | 'EXISTING' | 'FAILED';
  /** The copy's version in the target registry. */
  target: string | null;
  transformed: number;
  dropped: number;
  error: string | null;
}

/** A migration job: the versions to copy in order, and how far it got (JSON in the store). */
export interface MigrationJob {
  id: string;
  principal: string;
  from: { registry: string; name: string };
  to: { registry: string; name: string };
  strict: boolean;
  status: MigrationStatus;
  /** The gateway process driving it; another one resumes it only once that one is gone. */
  owner: string;
  createdAt: string;
  updatedAt: string;
  items: MigrationItem[];
}

/** Everything a command's outcome writes, in one store transaction. */
export interface CommandOutcome {
  event: NewAuditEvent;
  /** The intent this outcome closes. */
  closes?: string | null;
  production?: Omit<ProductionRecord, 'at'> | null;
  idempotency?: IdempotentOutcome | null;
}

/** The gateway's own state, the same on SQLite and PostgreSQL. */
export interface GatewayStore extends EventStore {
  readonly kind: 'sqlite' | 'postgres';
  appendAudit(event: NewAuditEvent): Promise<AuditEvent>;
  listAudit(query: AuditQuery): Promise<AuditEvent[]>;
  /** Walks the whole chain; with a checkpoint, also whether the event at its seq still has its hash (the signature is checked by the caller, who has the key). */
  verifyAudit(checkpoint?: Pick<AuditCheckpoint, 'seq' | 'hash'> | null): Promise<AuditVerification>;
  /** The last event's seq and hash, null for an empty log. */
  auditHead(): Promise<{ seq: number; hash: string } | null>;
  saveCheckpoint(checkpoint: AuditCheckpoint): Promise<void>;
  /** Stored checkpoints, newest first. */
  listCheckpoints(limit: number): Promise<AuditCheckpoint[]>;

  createApproval(
    request: Omit<ApprovalRequest, 'id' | 'requestedAt' | 'status' | 'approvals' | 'decidedBy' | 'decidedAt' | 'reason' | 'fromStage' | 'expiresAt'> &
      Partial<Pick<ApprovalRequest, 'fromStage' | 'expiresAt'>>,
  ): Promise<ApprovalRequest>;
  getApproval(id: string): Promise<ApprovalRequest | null>;
  /** Newest first (ties by id, descending); with `before`, only requests that come after that one in this order. */
  listApprovals(filter: ApprovalQuery): Promise<ApprovalRequest[]>;
  /** The open request for this version and target stage, if any (at most one is open). */
  findPendingApproval(registry: string, model: string, version: string, targetStage: Stage): Promise<ApprovalRequest | null>;
  /** Marks pending requests past their expiry EXPIRED; returns how many. */
  expireApprovals(now: Date): Promise<number>;
  /** Saves a changed request only if it is still in `expected` status; false when another caller got there first. */
  saveApproval(request: ApprovalRequest, expected: ApprovalStatus): Promise<boolean>;

  recordProduction(record: Omit<ProductionRecord, 'at'>): Promise<void>;
  /** Versions that were promoted to PRODUCTION, newest first. */
  productionHistory(registry: string, model: string): Promise<ProductionRecord[]>;

  /** This process's id as an intent owner. */
  readonly owner: string;
  /** Appends the intent's audit event and records it as open, in one transaction. */
  openIntent(event: NewAuditEvent, plan: unknown): Promise<OpenIntent>;
  /** Appends the outcome event and, in the same transaction, closes its intent, records production and the idempotent result. */
  recordOutcome(outcome: CommandOutcome): Promise<AuditEvent>;
  openIntents(): Promise<OpenIntent[]>;
  /** Whether the process that opened intents as `owner` may still be working on them. */
  ownerAlive(owner: string): Promise<boolean>;

  getIdempotent(scope: string): Promise<IdempotentOutcome | null>;

  saveMigration(job: MigrationJob): Promise<void>;
  getMigration(id: string): Promise<MigrationJob | null>;
  /** Jobs still RUNNING (or whose driver died), oldest first. */
  runningMigrations(): Promise<MigrationJob[]>;
  /** Makes `owner` the job's driver if `expected` still is; false when another process claimed it first. */
  claimMigration(id: string, expected: string, owner: string): Promise<boolean>;

  /** Runs `work` while holding `key` exclusively (across processes on PostgreSQL). */
  withLock<T>(key: string, work: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export enum DeliveryStatus {
  PENDING = 'PENDING',
  DELIVERED = 'DELIVERED',
  /** Every attempt failed; kept for inspection and `redeliver`. */
  DEAD = 'DEAD',
}

/** One event on its way to one webhook: a row of the outbox. */
export interface WebhookDelivery {
  /** `<webhook>:<seq>`: one delivery per webhook and audit event. */
  id: string;
  webhook: string;
  seq: number;
  /** What receivers de-duplicate on (the audit event's hash). */
  eventId: string;
  type: string;
  registry: string;
  model: string;
  /** The request body, exactly as signed and sent. */
  payload: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: Date;
  lastError: string | null;
  lastStatus: number | null;
  createdAt: Date;
  deliveredAt: Date | null;
}

export type NewDelivery = Pick<WebhookDelivery, 'webhook' | 'seq' | 'eventId' | 'type' | 'registry' | 'model' | 'payload'>;

export interface DeliveryQuery {
  webhook?: string | null;
  status?: DeliveryStatus | null;
  /** Deliveries with seq below this (newest first paging). */
  beforeSeq?: number | null;
  limit: number;
}

/** What an attempt changed on a delivery. */
export type DeliveryAttempt = Pick<WebhookDelivery, 'status' | 'attempts' | 'nextAttemptAt' | 'lastError' | 'lastStatus' | 'deliveredAt'>;

/** A role (the outbox dispatcher, a registry's watcher) held by one gateway process at a time. */
export interface Leadership {
  /** False once the session that held it is gone. */
  readonly held: boolean;
  release(): Promise<void>;
}

/** The durable webhook outbox and small keyed state (cursors, watcher snapshots), the same on SQLite and PostgreSQL. */
export interface EventStore {
  /** Calls `listener` after every committed audit append, in this process and (PostgreSQL) every other; returns the unsubscribe. */
  onAudit(listener: () => void): Promise<() => Promise<void>>;
  /** The role if no other live process holds it, else null. */
  tryLead(role: string): Promise<Leadership | null>;
  getState(key: string): Promise<string | null>;
  putState(key: string, value: string): Promise<void>;
  /** Adds the deliveries (one per webhook and seq; repeats ignored) and moves the webhook's cursor, in one transaction. */
  enqueueDeliveries(webhook: string, deliveries: NewDelivery[], cursor: number): Promise<void>;
  /** Pending deliveries due by `now`, each the oldest pending one of its webhook and model (order per model). */
  dueDeliveries(now: Date, limit: number): Promise<WebhookDelivery[]>;
  recordAttempt(id: string, attempt: DeliveryAttempt): Promise<void>;
  listDeliveries(query: DeliveryQuery): Promise<WebhookDelivery[]>;
  getDelivery(id: string): Promise<WebhookDelivery | null>;
}
