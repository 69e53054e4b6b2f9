import type { GatewayStore } from './types.ts';

/** The store with some methods replaced (metrics, spans); every other property is the store's own. */
export function overlayStore(store: GatewayStore, overrides: Partial<GatewayStore>): GatewayStore {
  return new Proxy(store, {
    get: (target, property, receiver) =>
      typeof property === 'string' && Object.hasOwn(overrides, property) ? overrides[property as keyof GatewayStore] : Reflect.get(target, property, receiver),
  });
}
