import type { Logger } from 'pino';
import type { RegistrySet } from '../core/index.ts';
import { RequestLoaders } from './loaders.ts';

/** What every resolver gets for one request. */
export interface GatewayContext {
  registries: RegistrySet;
  loaders: RequestLoaders;
  requestId: string;
  /** Who is asking; 'anonymous' until authentication is configured. */
  principal: string;
  log: Logger;
}

export function createContext(registries: RegistrySet, requestId: string, log: Logger, principal = 'anonymous'): GatewayContext {
  return { registries, loaders: new RequestLoaders(registries), requestId, principal, log };
}
