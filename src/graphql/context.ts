import type { Logger } from 'pino';
import type { RegistrySet } from '../core/index.ts';
import type { GatewayStore } from '../store/index.ts';
import type { Lifecycle } from '../workflows/lifecycle.ts';
import { RequestLoaders } from './loaders.ts';

/** What every resolver gets for one request. */
export interface GatewayContext {
  registries: RegistrySet;
  store: GatewayStore;
  lifecycle: Lifecycle;
  loaders: RequestLoaders;
  requestId: string;
  /** Who is asking; 'anonymous' until authentication is configured. */
  principal: string;
  log: Logger;
}

export interface GatewayServices {
  registries: RegistrySet;
  store: GatewayStore;
  lifecycle: Lifecycle;
}

export function createContext(services: GatewayServices, requestId: string, log: Logger, principal = 'anonymous'): GatewayContext {
  return { ...services, loaders: new RequestLoaders(services.registries), requestId, principal, log };
}
