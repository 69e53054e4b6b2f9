import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { isRegistryError, type CallContext, type CircuitStateName, type RegistryAdapter } from '../core/index.ts';
import type { GatewayStore } from '../store/index.ts';
import { auditChainCollector, openApprovalsCollector } from './store-gauges.ts';

/** Distinct operation names kept as labels; later ones count as `other` (clients choose the names). */
const OPERATION_NAMES = 200;
const CIRCUIT_STATES: readonly CircuitStateName[] = ['closed', 'open', 'half_open'];

/**
 * Prometheus metrics for operators: HTTP traffic, GraphQL operations and errors, every call the
 * gateway makes to a backend, circuits, locks, governed changes and the state of the store.
 */
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

  private readonly operations = new Counter({
    name: 'modelgate_graphql_requests_total',
    help: 'GraphQL requests by operation name (at most 200 distinct, then "other"; "-" when anonymous or unparsed) and type',
    labelNames: ['operation', 'type'] as const,
    registers: [this.registry],
  });
  private readonly operationNames = new Set<string>();
  private readonly graphqlErrors = new Counter({
    name: 'modelgate_graphql_errors_total',
    help: 'Errors in GraphQL responses by extensions.code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  private readonly circuit = new Gauge({
    name: 'modelgate_registry_circuit_state',
    help: "A registry's circuit breaker: 1 for its current state (closed, open, half_open), 0 for the others",
    labelNames: ['registry', 'state'] as const,
    registers: [this.registry],
  });
  private readonly lockWait = new Histogram({
    name: 'modelgate_lock_wait_seconds',
    help: "Time a command waited for its model's lock (in process, and across processes on PostgreSQL)",
    labelNames: ['registry'] as const,
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  /** Governed changes by registry and the configured policy pattern the model matches (`other` if none): bounded by the config. */
  readonly promotions = new Counter({
    name: 'modelgate_promotions_total',
    help: 'Versions moved by promote or by the last approval, by registry, model pattern and target stage',
    labelNames: ['registry', 'model_pattern', 'stage'] as const,
    registers: [this.registry],
  });
  readonly gateFailures = new Counter({
    name: 'modelgate_gate_failures_total',
    help: 'promote or approve refused with GATE_FAILED, by registry and model pattern',
    labelNames: ['registry', 'model_pattern'] as const,
    registers: [this.registry],
  });
  readonly rollbacks = new Counter({
    name: 'modelgate_rollbacks_total',
    help: 'Rollbacks asked for with the rollback mutation, by registry and model pattern',
    labelNames: ['registry', 'model_pattern'] as const,
    registers: [this.registry],
  });
  readonly autoRollbacks = new Counter({
    name: 'modelgate_auto_rollbacks_total',
    help: 'Rollbacks made by checkDegradation with autoRollback, by registry and model pattern',
    labelNames: ['registry', 'model_pattern'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'modelgate_' });
  }

  /** Gauges read from the store at scrape time: open approval requests and the audit chain. */
  watchStore(store: GatewayStore, auditCheckIntervalMs: number): void {
    openApprovalsCollector(this.registry, store);
    auditChainCollector(this.registry, store, auditCheckIntervalMs);
  }

  /** One GraphQL operation; `name` null when anonymous or never parsed. */
  recordOperation(name: string | null, type: string | null): void {
    let label = name ?? '-';
    if (name !== null && !this.operationNames.has(name)) {
      if (this.operationNames.size < OPERATION_NAMES && name.length <= 100) this.operationNames.add(name);
      else label = 'other';
    }
    this.operations.inc({ operation: label, type: type ?? '-' });
  }

  recordGraphqlError(code: string): void {
    this.graphqlErrors.inc({ code });
  }

  /** The breaker's state, one-hot, so an alert can say `state="open"`. */
  recordCircuit(registry: string, state: CircuitStateName): void {
    for (const each of CIRCUIT_STATES) this.circuit.set({ registry, state: each }, each === state ? 1 : 0);
  }

  recordLockWait(registry: string, seconds: number): void {
    this.lockWait.observe({ registry }, seconds);
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
