import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { isRegistryError, type CallContext, type RegistryAdapter } from '../core/index.ts';

/** Prometheus metrics for operators: HTTP traffic and every call the gateway makes to a backend. */
export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'modelgate_http_requests_total',
    help: 'HTTP requests by path and status',
    labelNames: ['path', 'status'] as const,
    registers: [this.registry],
  });
  private readonly requestSeconds = new Histogram({
    name: 'modelgate_http_request_duration_seconds',
    help: 'HTTP request latency by path',
    labelNames: ['path'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private readonly backendCalls = new Counter({
    name: 'modelgate_registry_calls_total',
    help: 'Calls to backend registries by registry, port method and result (ok or the error code)',
    labelNames: ['registry', 'method', 'result'] as const,
    registers: [this.registry],
  });
  private readonly backendSeconds = new Histogram({
    name: 'modelgate_registry_call_duration_seconds',
    help: 'Latency of calls to backend registries',
    labelNames: ['registry', 'method'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'modelgate_' });
  }

  /** Label children by their values: prom-client hashes a label object on every call otherwise. */
  private readonly children = new Map<string, unknown>();
  private child<T>(key: string, make: () => T): T {
    let found = this.children.get(key) as T | undefined;
    if (!found) this.children.set(key, (found = make()));
    return found;
  }

  /** Known paths keep their name; anything else is one label, so scanners cannot blow up cardinality. */
  recordRequest(path: string, status: number, seconds: number): void {
    const label = ['/graphql', '/healthz', '/readyz', '/metrics'].includes(path) ? path : 'other';
    this.child(`requests ${label} ${status}`, () => this.requests.labels(label, String(status))).inc();
    this.child(`requestSeconds ${label}`, () => this.requestSeconds.labels(label)).observe(seconds);
  }

  /** Counts and times every port call of an adapter. */
  instrument(adapter: RegistryAdapter): RegistryAdapter {
    const metrics = this;
    return new Proxy(adapter, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        // A per-call view (cancellation) is measured like the adapter itself.
        if (property === 'withCall' && typeof value === 'function') return (context: CallContext) => metrics.instrument(value.call(target, context));
        if (typeof value !== 'function' || typeof property !== 'string' || property === 'capabilities' || property === 'close') return value;
        const seconds = metrics.child(`backendSeconds ${adapter.id} ${property}`, () => metrics.backendSeconds.labels(adapter.id, property));
        const ok = metrics.child(`backendCalls ${adapter.id} ${property}`, () => metrics.backendCalls.labels(adapter.id, property, 'ok'));
        return async (...args: unknown[]) => {
          const started = performance.now();
          try {
            const result = await value.apply(target, args);
            ok.inc();
            return result;
          } catch (error) {
            metrics.backendCalls.inc({ registry: adapter.id, method: property, result: isRegistryError(error) ? error.code : 'INTERNAL' });
            throw error;
          } finally {
            seconds.observe((performance.now() - started) / 1000);
          }
        };
      },
    });
  }
}
