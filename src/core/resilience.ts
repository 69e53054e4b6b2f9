import { BrokenCircuitError, CircuitState, ConsecutiveBreaker, TimeoutStrategy, circuitBreaker, handleWhen, timeout } from 'cockatiel';
import type { CallContext, RegistryAdapter } from './adapter.ts';
import { ErrorCode, RegistryError, isRegistryError } from './errors.ts';
import { callSite, type CallSite, type CallTrace, type TraceScope } from './tracing.ts';

export interface ResilienceOptions {
  /** No call may take longer: at the deadline it is cancelled and the caller gets BACKEND_UNAVAILABLE. */
  deadlineMs: number;
  /** Consecutive BACKEND_UNAVAILABLE failures that open the circuit. */
  failureThreshold: number;
  /** How long an open circuit fails fast before letting exactly one call through to probe. */
  cooldownMs: number;
  /** Told whenever the circuit changes state (metrics). */
  onCircuitChange?(state: CircuitStateName): void;
}

export type CircuitStateName = 'closed' | 'open' | 'half_open';

/** Port methods that change the backend: past their deadline their outcome is unknown. */
const WRITES: ReadonlySet<string> = new Set<keyof RegistryAdapter>([
  'createModel',
  'updateModel',
  'renameModel',
  'deleteModel',
  'createVersion',
  'updateVersion',
  'updateCard',
  'deleteVersion',
  'setTags',
  'setAlias',
  'deleteAlias',
  'setStage',
]);

/** Local to the process: no deadline, no breaker. */
const LOCAL: ReadonlySet<string | symbol> = new Set(['capabilities', 'close', 'withCall']);

const isUnavailable = (error: unknown) => isRegistryError(error) && error.code === ErrorCode.BACKEND_UNAVAILABLE;

/** Whatever the backend answered, success or a refusal: either proves it is up. */
type Answer<T> = { value: T } | { refusal: unknown };

/**
 * Wraps an adapter with a deadline on every call and a circuit breaker (cockatiel), so one
 * backend that hangs or is down answers quickly with BACKEND_UNAVAILABLE and leaves the others
 * unharmed. The deadline aborts the call's signal, which the adapter hands to its transport.
 */
export function withResilience(adapter: RegistryAdapter, options: ResilienceOptions): RegistryAdapter {
  return resilience(adapter, options)();
}

/**
 * withResilience as views sharing one breaker: without a scope the adapter as everyone uses it; with
 * one, the same calls each in a span under that request's trace, the span's headers in the CallContext.
 */
export function resilience(adapter: RegistryAdapter, options: ResilienceOptions): (scope?: TraceScope) => RegistryAdapter {
  const breaker = circuitBreaker(handleWhen(isUnavailable), {
    halfOpenAfter: options.cooldownMs,
    breaker: new ConsecutiveBreaker(options.failureThreshold),
  });
  // Cooperative: cockatiel aborts the signal and waits for the call; the race below answers at the deadline anyway.
  // No abort after a normal return: nothing is left in flight then, and dispatching it would double the cost per call.
  const deadline = timeout(options.deadlineMs, { strategy: TimeoutStrategy.Cooperative, abortOnReturn: false });
  const unavailable = (message: string, outcome?: 'UNKNOWN') =>
    new RegistryError(ErrorCode.BACKEND_UNAVAILABLE, message, { registry: adapter.id, outcome });

  async function guarded<T>(method: string, call: (target: RegistryAdapter) => Promise<T>, trace?: CallTrace): Promise<T> {
    if (breaker.state === CircuitState.Open && remainingCooldown() > 0) {
      throw unavailable(`Registry '${adapter.id}' is failing; not calling it for ${Math.ceil(remainingCooldown() / 1000)} s more (circuit open)`);
    }
    // cockatiel makes callers wait for the half-open probe; ours fail fast instead, so the probe is the only call.
    if (breaker.state === CircuitState.HalfOpen) {
      throw unavailable(`Registry '${adapter.id}' is failing; one probe call is checking whether it is back (circuit open)`);
    }
    const answer = await breaker.execute(() =>
      !adapter.withCall ? inProcess(method, call) : deadline.execute(async ({ signal }): Promise<Answer<T>> => {
        const context: CallContext = { signal, deadline: Date.now() + options.deadlineMs, trace };
        const target = adapter.withCall?.(context) ?? adapter;
        try {
          return { value: await untilAborted(Promise.resolve(call(target)), signal) };
        } catch (error) {
          if (signal.aborted) throw late(method);
          if (isUnavailable(error)) throw error;
          return { refusal: error };
        }
      }),
    ).catch((error: unknown) => {
      // Only on a millisecond's disagreement with the check above about when the cooldown ends.
      if (error instanceof BrokenCircuitError) throw unavailable(`Registry '${adapter.id}' is failing; not calling it (circuit open)`);
      throw error;
    });
    if ('refusal' in answer) throw answer.refusal;
    return answer.value;
  }

  const late = (method: string) => {
    const write = WRITES.has(method);
    return unavailable(
      `Registry '${adapter.id}' did not answer ${method} within ${options.deadlineMs} ms; the call was cancelled` +
        (write ? ', but the change may have been applied: read it back before retrying' : ''),
      write ? 'UNKNOWN' : undefined,
    );
  };

  /**
   * An in-process adapter (no withCall) has no transport to cancel: the deadline is a plain timer
   * raced with the call, without the AbortController and listeners cockatiel's timeout costs each call.
   */
  function inProcess<T>(method: string, call: (target: RegistryAdapter) => Promise<T>): Promise<Answer<T>> {
    return new Promise<Answer<T>>((resolve, reject) => {
      const timer = setTimeout(() => reject(late(method)), options.deadlineMs);
      const settle = (answer: Answer<T> | null, error?: unknown) => {
        clearTimeout(timer);
        if (answer) resolve(answer);
        else reject(error);
      };
      Promise.resolve()
        .then(() => call(adapter))
        .then(
          (value) => settle({ value }),
          (error: unknown) => (isUnavailable(error) ? settle(null, error) : settle({ refusal: error })),
        );
    });
  }

  // cockatiel keeps when the circuit opened private; we track it to say how long is left.
  let openedAt = 0;
  breaker.onBreak(() => (openedAt = Date.now()));
  if (options.onCircuitChange) {
    const tell = options.onCircuitChange;
    breaker.onStateChange((state) => tell(state === CircuitState.Closed ? 'closed' : state === CircuitState.HalfOpen ? 'half_open' : 'open'));
  }
  const remainingCooldown = () => openedAt + options.cooldownMs - Date.now();
  // Each method's span name and attributes, made on its first traced call: no string or object built per call, and the adapter (a metrics proxy) read once.
  const sites = new Map<string, CallSite>();
  const siteOf = (method: string) => sites.get(method) ?? sites.set(method, callSite(adapter, method)).get(method)!;

  return (scope) =>
    new Proxy(adapter, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (typeof value !== 'function' || typeof property !== 'string' || LOCAL.has(property)) return value;
        const call = (bound: RegistryAdapter, args: unknown[]) => Reflect.get(bound, property).apply(bound, args);
        if (!scope) return (...args: unknown[]) => guarded(property, (bound) => call(bound, args));
        return (...args: unknown[]) => scope.call(siteOf(property), (trace) => guarded(property, (bound) => call(bound, args), trace));
      },
    });
}

/** Settles at the latest when `signal` aborts, whether or not the call heeds it. */
export function untilAborted<T>(call: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    call.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
