import type { RegistryAdapter } from './adapter.ts';
import { ErrorCode, RegistryError, isRegistryError } from './errors.ts';

export interface ResilienceOptions {
  /** No call may take longer; past it the caller gets BACKEND_UNAVAILABLE (the call itself may still finish). */
  deadlineMs: number;
  /** Consecutive BACKEND_UNAVAILABLE failures that open the circuit. */
  failureThreshold: number;
  /** How long an open circuit fails fast before letting one call through to probe. */
  cooldownMs: number;
  now?: () => number;
}

/**
 * Wraps an adapter with a deadline on every call and a circuit breaker, so one backend that
 * hangs or is down answers quickly with BACKEND_UNAVAILABLE and leaves the others unharmed.
 */
export function withResilience(adapter: RegistryAdapter, options: ResilienceOptions): RegistryAdapter {
  const now = options.now ?? Date.now;
  let failures = 0;
  let openUntil = 0;

  const unavailable = (message: string) => new RegistryError(ErrorCode.BACKEND_UNAVAILABLE, message, { registry: adapter.id });

  async function guarded<T>(method: string, call: () => Promise<T>): Promise<T> {
    if (openUntil > now()) {
      throw unavailable(`Registry '${adapter.id}' is failing; not calling it for ${Math.ceil((openUntil - now()) / 1000)} s more (circuit open)`);
    }
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(unavailable(`Registry '${adapter.id}' did not answer ${method} within ${options.deadlineMs} ms`)), options.deadlineMs);
    });
    try {
      const result = await Promise.race([call(), deadline]);
      failures = 0;
      return result;
    } catch (error) {
      if (isRegistryError(error) && error.code === ErrorCode.BACKEND_UNAVAILABLE) {
        failures++;
        if (failures >= options.failureThreshold) openUntil = now() + options.cooldownMs;
      }
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  return new Proxy(adapter, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      // Identity, capabilities and shutdown are local: no deadline, no breaker.
      if (typeof value !== 'function' || property === 'capabilities' || property === 'close' || typeof property !== 'string') return value;
      return (...args: unknown[]) => guarded(property, () => value.apply(target, args));
    },
  });
}
