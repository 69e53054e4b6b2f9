import { failSpan, type TraceScope } from '../core/index.ts';
import type { GatewayStore, NewAuditEvent } from '../store/index.ts';
import { overlayStore } from '../store/overlay.ts';

/**
 * The store as one traced request's commands use it: the wait for a model's lock and each audit
 * append are spans under the command's. Everything else is the store itself.
 */
export function tracedStore(store: GatewayStore, scope: TraceScope): GatewayStore {
  const append = (kind: string, event: NewAuditEvent) => ({
    'modelgate.audit.kind': kind,
    'modelgate.action': event.action,
    'modelgate.registry.id': event.registry ?? '*',
    'modelgate.audit.result': event.result,
    'modelgate.store': store.kind,
  });
  const overrides: Partial<GatewayStore> = {
    withLock<T>(key: string, work: () => Promise<T>): Promise<T> {
      const span = scope.start('store.lock.wait', { 'modelgate.lock.key': key, 'modelgate.store': store.kind });
      let waiting = true;
      const acquired = () => {
        waiting = false;
        span.end();
        return work();
      };
      return store.withLock(key, acquired).catch((error: unknown) => {
        // Failing to get the lock (a PostgreSQL connection lost) ends the wait span as failed.
        if (waiting) {
          failSpan(span, error);
          span.end();
        }
        throw error;
      });
    },
    appendAudit: (event) => scope.within('store.audit.append', append('event', event), () => store.appendAudit(event)),
    openIntent: (event, plan) => scope.within('store.audit.append', append('intent', event), () => store.openIntent(event, plan)),
    recordOutcome: (outcome) => scope.within('store.audit.append', append('outcome', outcome.event), () => store.recordOutcome(outcome)),
  };
  return overlayStore(store, overrides);
}
