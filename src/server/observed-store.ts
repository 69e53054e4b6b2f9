import { inSpan, tracer, tracing, failSpan } from '../core/index.ts';
import type { AuditEvent, GatewayStore, NewAuditEvent } from '../store/index.ts';
import { globMatches } from '../workflows/policy.ts';
import type { GatewayMetrics } from './metrics.ts';

/** Lock keys are `model:<registry>:<model>` (src/workflows/command.ts); registry ids hold no `:`. */
const registryOfLock = (key: string) => (key.startsWith('model:') ? key.slice(6, key.indexOf(':', 6)) : 'other');

/**
 * The store as the gateway uses it: lock waits timed (metric and span), audit appends in spans,
 * and every command outcome counted into the governance metrics. The store itself is untouched.
 */
export function observeStore(store: GatewayStore, metrics: GatewayMetrics, modelPatterns: readonly string[]): GatewayStore {
  // Bounded labels: a model counts under the first configured policy glob it matches, else `other`.
  const patternOf = (model: string | null) => (model === null ? 'other' : (modelPatterns.find((glob) => globMatches(glob, model)) ?? 'other'));
  const count = (event: AuditEvent) => countOutcome(metrics, event, patternOf(event.model));
  const append = (kind: string, event: NewAuditEvent) => ({
    'modelgate.audit.kind': kind,
    'modelgate.action': event.action,
    'modelgate.registry.id': event.registry ?? '*',
    'modelgate.audit.result': event.result,
    'modelgate.store': store.kind,
  });
  const overrides: Partial<GatewayStore> = {
    withLock<T>(key: string, work: () => Promise<T>): Promise<T> {
      const started = performance.now();
      const span = tracing.enabled ? tracer().startSpan('store.lock.wait', { attributes: { 'modelgate.lock.key': key, 'modelgate.store': store.kind } }) : undefined;
      let waiting = true;
      const acquired = () => {
        waiting = false;
        metrics.recordLockWait(registryOfLock(key), (performance.now() - started) / 1000);
        span?.end();
        return work();
      };
      return store.withLock(key, acquired).catch((error: unknown) => {
        // Failing to get the lock (a PostgreSQL connection lost) ends the wait span as failed.
        if (waiting && span) {
          failSpan(span, error);
          span.end();
        }
        throw error;
      });
    },
    appendAudit: (event) => inSpan('store.audit.append', append('event', event), () => store.appendAudit(event)).then((stored) => (count(stored), stored)),
    openIntent: (event, plan) => inSpan('store.audit.append', append('intent', event), () => store.openIntent(event, plan)),
    recordOutcome: (outcome) =>
      inSpan('store.audit.append', append('outcome', outcome.event), () => store.recordOutcome(outcome)).then((stored) => (count(stored), stored)),
  };
  return new Proxy(store, {
    get: (target, property, receiver) =>
      typeof property === 'string' && Object.hasOwn(overrides, property) ? overrides[property as keyof GatewayStore] : Reflect.get(target, property, receiver),
  });
}

/** Promotions, gate failures, rollbacks and auto-rollbacks, read off the audit event that records them. */
function countOutcome(metrics: GatewayMetrics, event: AuditEvent, pattern: string): void {
  const labels = { registry: event.registry ?? '*', model_pattern: pattern };
  if (event.result === 'GATE_FAILED' && (event.action === 'promote' || event.action === 'approve')) metrics.gateFailures.inc(labels);
  else if (event.result === 'OK' && (event.action === 'promote' || event.action === 'approve')) {
    const stage = stageOf(event.after);
    if (stage) metrics.promotions.inc({ ...labels, stage });
  } else if (event.result === 'OK' && event.action === 'rollback') metrics.rollbacks.inc(labels);
  else if (event.result === 'ROLLED_BACK' && event.action === 'checkDegradation') metrics.autoRollbacks.inc(labels);
}

/** A promotion's outcome records `{stage, archived}` as `after` (JSON text or value). */
function stageOf(after: unknown): string | null {
  let value = after;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return null;
    }
  }
  const stage = value && typeof value === 'object' ? (value as { stage?: unknown }).stage : undefined;
  return typeof stage === 'string' ? stage : null;
}
