import type { Logger } from 'pino';
import type { RegistrySet } from '../core/index.ts';
import type { GatewayStore } from '../store/index.ts';
import type { Lifecycle } from '../workflows/lifecycle.ts';
import { LOCAL_ADMIN, authorize, type Action, type AuthorizeOptions, type Principal } from './access.ts';
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
  /** NOT_FOUND (as if absent) when the caller cannot read the model, FORBIDDEN when it can but the action is not granted. */
  authorize(action: Action, registry: string, model: string | null, options?: AuthorizeOptions): void;
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
    authorize: (action, registry, model, options) => authorize(access, action, registry, model, options),
    log,
  };
}
