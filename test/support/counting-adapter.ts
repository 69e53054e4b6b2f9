import type { RegistryAdapter } from '../../src/core/index.ts';

/** Wraps an adapter and counts calls per port method, to prove batching. */
export function countingAdapter(inner: RegistryAdapter): { adapter: RegistryAdapter; calls: Map<string, number>; reset(): void } {
  const calls = new Map<string, number>();
  const adapter = new Proxy(inner, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      return (...args: unknown[]) => {
        calls.set(property, (calls.get(property) ?? 0) + 1);
        return value.apply(target, args);
      };
    },
  });
  return { adapter, calls, reset: () => calls.clear() };
}
