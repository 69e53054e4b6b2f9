import type { AuditEvent, GatewayStore } from '../store/index.ts';
import { overlayStore } from '../store/overlay.ts';
import { globMatches } from '../workflows/policy.ts';
import type { GatewayMetrics } from './metrics.ts';

/** Lock keys are `model:<registry>:<model>` (src/workflows/command.ts); registry ids hold no `:`. */
const registryOfLock = (key: string) => (key.startsWith('model:') ? key.slice(6, key.indexOf(':', 6)) : 'other');

/**
 * The store as the gateway uses it: lock waits timed and every command outcome counted into the
 * governance metrics. The store itself is untouched. (Spans for this work: src/workflows/traced-store.ts.)
 */
export function observeStore(store: GatewayStore, metrics: GatewayMetrics, modelPatterns: readonly string[]): GatewayStore {
  // Bounded labels: a model counts under the first configured policy glob it matches, else `other`.
  const patternOf = (model: string | null) => (model === null ? 'other' : (modelPatterns.find((glob) => globMatches(glob, model)) ?? 'other'));
  const count = (event: AuditEvent) => countOutcome(metrics, event, patternOf(event.model));
  const overrides: Partial<GatewayStore> = {
    withLock<T>(key: string, work: () => Promise<T>): Promise<T> {
      const started = performance.now();
      return store.withLock(key, () => {
        metrics.recordLockWait(registryOfLock(key), (performance.now() - started) / 1000);
        return work();
      });
    },
    appendAudit: (event) => store.appendAudit(event).then((stored) => (count(stored), stored)),
    recordOutcome: (outcome) => store.recordOutcome(outcome).then((stored) => (count(stored), stored)),
  };
  return overlayStore(store, overrides);
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
