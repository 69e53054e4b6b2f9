import type { AuditEvent } from '../store/index.ts';

/** What a subscriber or a webhook is told about. */
export enum RegistryEventType {
  VERSION_REGISTERED = 'VERSION_REGISTERED',
  STAGE_CHANGED = 'STAGE_CHANGED',
  ALIAS_CHANGED = 'ALIAS_CHANGED',
  TAGS_CHANGED = 'TAGS_CHANGED',
  APPROVAL_REQUESTED = 'APPROVAL_REQUESTED',
  APPROVAL_DECIDED = 'APPROVAL_DECIDED',
  ROLLED_BACK = 'ROLLED_BACK',
  DEGRADATION_DETECTED = 'DEGRADATION_DETECTED',
  /** A change made directly in the backend, found by the watcher. */
  EXTERNAL_CHANGE = 'EXTERNAL_CHANGE',
}

/** One event, derived from one audit event: `seq` is that event's, so a stream resumes exactly after it. */
export interface RegistryEvent {
  /** The audit event's hash: unique and stable, what receivers de-duplicate on. */
  id: string;
  seq: number;
  type: RegistryEventType;
  registry: string;
  model: string;
  version: string | null;
  before: unknown;
  after: unknown;
  principal: string;
  at: Date;
  detail: string | null;
}

/** The audit action written by the watcher for a change found in a backend. */
export const EXTERNAL_CHANGE_ACTION = 'externalChange';

/** Which audit outcomes are events: only what changed something (refusals, dry runs and intents are not). */
function typeOf(event: AuditEvent): RegistryEventType | null {
  const ok = event.result === 'OK';
  switch (event.action) {
    case 'registerVersion':
      return ok ? RegistryEventType.VERSION_REGISTERED : null;
    case 'transitionStage':
      return ok ? RegistryEventType.STAGE_CHANGED : null;
    case 'promote':
      if (ok) return RegistryEventType.STAGE_CHANGED;
      return event.result === 'PENDING_APPROVAL' ? RegistryEventType.APPROVAL_REQUESTED : null;
    case 'approve':
      // A vote short of the required count decides nothing yet.
      return ok ? RegistryEventType.APPROVAL_DECIDED : null;
    case 'reject':
      return event.result === 'REJECTED' ? RegistryEventType.APPROVAL_DECIDED : null;
    case 'setAlias':
    case 'deleteAlias':
      return ok ? RegistryEventType.ALIAS_CHANGED : null;
    case 'setTags':
    case 'deleteTags':
      return ok ? RegistryEventType.TAGS_CHANGED : null;
    case 'rollback':
      return ok ? RegistryEventType.ROLLED_BACK : null;
    case 'checkDegradation':
      return event.result === 'DEGRADED' || event.result === 'ROLLED_BACK' ? RegistryEventType.DEGRADATION_DETECTED : null;
    case EXTERNAL_CHANGE_ACTION:
      return ok ? RegistryEventType.EXTERNAL_CHANGE : null;
    default:
      return null;
  }
}

/** The event an audit event announces, or null when it announces none. */
export function toRegistryEvent(audit: AuditEvent): RegistryEvent | null {
  const type = typeOf(audit);
  if (!type || !audit.registry || !audit.model) return null;
  const registered = type === RegistryEventType.VERSION_REGISTERED ? (audit.after as { version?: string } | null)?.version : undefined;
  return {
    id: audit.hash,
    seq: audit.seq,
    type,
    registry: audit.registry,
    model: audit.model,
    version: registered ?? audit.version,
    before: audit.before,
    after: audit.after,
    principal: audit.principal,
    at: audit.at,
    detail: audit.detail,
  };
}

/** The JSON a webhook receives (and `events tail --json` prints). */
export const eventJson = (event: RegistryEvent) => JSON.stringify({ ...event, at: event.at.toISOString() });
