import type { Stage } from '../core/index.ts';
import { randomUUID } from 'node:crypto';
import type { StoredAuditLink } from './audit-chain.ts';
import type { ApprovalRequest, ApprovalStatus, AuditCheckpoint, AuditEvent, DeliveryStatus, OpenIntent, WebhookDelivery } from './types.ts';

export interface AuditRow {
  seq: number | string;
  at: string | Date;
  principal: string;
  action: string;
  registry: string | null;
  model: string | null;
  version: string | null;
  before: string | null;
  after: string | null;
  result: string;
  detail: string | null;
  prev_hash: string;
  hash: string;
}

export interface ApprovalRow {
  id: string;
  registry: string;
  model: string;
  version: string;
  target_stage: string;
  from_stage: string | null;
  expires_at: string | Date | null;
  requested_by: string;
  requested_at: string | Date;
  comment: string | null;
  status: string;
  required_approvals: number;
  allow_self_approval: number | boolean;
  approvals: string;
  report: string | null;
  decided_by: string | null;
  decided_at: string | Date | null;
  reason: string | null;
}

const parse = (text: string | null): unknown => (text === null ? null : JSON.parse(text));

export function fromAuditRow(row: AuditRow): AuditEvent {
  return {
    seq: Number(row.seq),
    at: new Date(row.at),
    principal: row.principal,
    action: row.action,
    registry: row.registry,
    model: row.model,
    version: row.version,
    before: parse(row.before),
    after: parse(row.after),
    result: row.result,
    detail: row.detail,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/** The row's columns as stored, for hashing: nothing parsed, nothing re-serialised. */
export function storedLinkOf(row: AuditRow): StoredAuditLink {
  return {
    seq: Number(row.seq),
    at: row.at instanceof Date ? row.at.toISOString() : row.at,
    principal: row.principal,
    action: row.action,
    registry: row.registry,
    model: row.model,
    version: row.version,
    before: row.before,
    after: row.after,
    result: row.result,
    detail: row.detail,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

export interface CheckpointRow {
  seq: number | string;
  hash: string;
  at: string;
  signature: string;
}

export const fromCheckpointRow = (row: CheckpointRow): AuditCheckpoint => ({ seq: Number(row.seq), hash: row.hash, at: row.at, signature: row.signature });

export function fromApprovalRow(row: ApprovalRow): ApprovalRequest {
  return {
    id: row.id,
    registry: row.registry,
    model: row.model,
    version: row.version,
    targetStage: row.target_stage as Stage,
    fromStage: (row.from_stage as Stage | null) ?? null,
    expiresAt: row.expires_at ? new Date(row.expires_at) : null,
    requestedBy: row.requested_by,
    requestedAt: new Date(row.requested_at),
    comment: row.comment,
    status: row.status as ApprovalStatus,
    requiredApprovals: row.required_approvals,
    allowSelfApproval: Boolean(row.allow_self_approval),
    approvals: (JSON.parse(row.approvals) as { principal: string; at: string; comment: string | null }[]).map((v) => ({ ...v, at: new Date(v.at) })),
    report: parse(row.report),
    decidedBy: row.decided_by,
    decidedAt: row.decided_at ? new Date(row.decided_at) : null,
    reason: row.reason,
  };
}

export interface IntentRow {
  id: string;
  seq: number | string;
  owner: string;
  opened_at: string | Date;
  principal: string;
  action: string;
  registry: string;
  model: string;
  version: string | null;
  plan: string;
}

export function fromIntentRow(row: IntentRow): OpenIntent {
  return {
    id: row.id,
    seq: Number(row.seq),
    owner: row.owner,
    openedAt: new Date(row.opened_at),
    principal: row.principal,
    action: row.action,
    registry: row.registry,
    model: row.model,
    version: row.version,
    plan: JSON.parse(row.plan),
  };
}

/** The intent an appended audit event opens. */
export function intentOf(event: AuditEvent, owner: string, plan: unknown): OpenIntent {
  return {
    id: randomUUID(),
    seq: event.seq,
    owner,
    openedAt: event.at,
    principal: event.principal,
    action: event.action,
    registry: event.registry ?? '',
    model: event.model ?? '',
    version: event.version,
    plan,
  };
}

export interface DeliveryRow {
  id: string;
  webhook: string;
  seq: number | string;
  event_id: string;
  type: string;
  registry: string;
  model: string;
  payload: string;
  status: string;
  attempts: number;
  next_attempt_at: string;
  last_error: string | null;
  last_status: number | null;
  created_at: string;
  delivered_at: string | null;
}

export function fromDeliveryRow(row: DeliveryRow): WebhookDelivery {
  return {
    id: row.id,
    webhook: row.webhook,
    seq: Number(row.seq),
    eventId: row.event_id,
    type: row.type,
    registry: row.registry,
    model: row.model,
    payload: row.payload,
    status: row.status as DeliveryStatus,
    attempts: Number(row.attempts),
    nextAttemptAt: new Date(row.next_attempt_at),
    lastError: row.last_error,
    lastStatus: row.last_status === null ? null : Number(row.last_status),
    createdAt: new Date(row.created_at),
    deliveredAt: row.delivered_at ? new Date(row.delivered_at) : null,
  };
}

export const deliveryId = (webhook: string, seq: number) => `${webhook}:${seq}`;

/** Where a webhook's outbox cursor (the last seq turned into deliveries) is kept in the state table. */
export const outboxCursorKey = (webhook: string) => `outbox-cursor:${webhook}`;
