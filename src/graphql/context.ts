import type { Logger } from 'pino';
import type { RegistrySet } from '../core/index.ts';
import type { GatewayStore } from '../store/index.ts';
import type { Lifecycle } from '../workflows/lifecycle.ts';
import { LOCAL_ADMIN, authorize, type Action, type Principal } from './access.ts';
import { RequestLoaders } from './loaders.ts';

/** What every resolver gets for one request. */
export interface GatewayContext {
  registries: RegistrySet;
  store: GatewayStore;
  lifecycle: Lifecycle;
  loaders: RequestLoaders;
  requestId: string;
  /** Who is asking ('anonymous' without authentication), as recorded in audit events. */
  principal: string;
  access: Principal;
  /** FORBIDDEN unless the caller's grants cover the action here. */
  authorize(action: Action, registry: string, model: string | null): void;
  log: Logger;
}

export interface GatewayServices {
  registries: RegistrySet;
  store: GatewayStore;
  lifecycle: Lifecycle;
}

export function createContext(services: GatewayServices, requestId: string, log: Logger, access: Principal = LOCAL_ADMIN): GatewayContext {
  return {
    ...services,
    loaders: new RequestLoaders(services.registries),
    requestId,
    principal: access.id,
    access,
    authorize: (action, registry, model) => authorize(access, action, registry, model),
    log,
  };
}
