import type { Logger } from 'pino';
import type { RegistrySet, TraceScope } from '../core/index.ts';
import type { GatewayStore } from '../store/index.ts';
import type { AuditFeed } from '../events/audit-feed.ts';
import type { WebhookAdmin } from '../events/webhooks/admin.ts';
import type { Catalog } from '../workflows/catalog.ts';
import type { Caller } from '../workflows/command.ts';
import type { Lifecycle } from '../workflows/lifecycle.ts';
import type { Copies } from '../workflows/copy.ts';
import type { Migrations } from '../workflows/migrate.ts';
import { LOCAL_ADMIN, authorize, readable, type Action, type AuthorizeOptions, type Principal } from './access.ts';
import { RequestLoaders } from './loaders.ts';

/** What every resolver gets for one request. */
export interface GatewayContext extends GatewayServices {
  loaders: RequestLoaders;
  /** The caller as the command pipeline sees it: who, what they may do, which caches to drop after a change. */
  caller: Caller;
  requestId: string;
  /** Who is asking ('anonymous' without authentication), as recorded in audit events. */
  principal: string;
  access: Principal;
  /** NOT_FOUND (as if absent) when the caller cannot read the model, FORBIDDEN when it can but the action is not granted. */
  authorize(action: Action, registry: string, model: string | null, options?: AuthorizeOptions): void;
  log: Logger;
  /** Filled in as the request runs, for metrics and the access log; an object of its own, so Apollo's per-operation copy of the context shares it. */
  readonly seen: { operation?: { name: string | null; type: string } };
  /** The request's trace (tracing on): its registries, loaders and commands make their spans under it. */
  trace?: TraceScope;
}

export interface GatewayServices {
  registries: RegistrySet;
  store: GatewayStore;
  lifecycle: Lifecycle;
  catalog: Catalog;
  /** This process's reader of the audit log's tail, which subscriptions follow. */
  feed: AuditFeed;
  webhooks: WebhookAdmin;
  copies: Copies;
  migrations: Migrations;
}

export function createContext(services: GatewayServices, requestId: string, log: Logger, access: Principal = LOCAL_ADMIN, trace?: TraceScope): GatewayContext {
  // Traced, the request sees each registry through a view whose backend calls are spans under its own.
  const registries = services.registries.inScope(trace);
  const loaders = new RequestLoaders(registries);
  const check = (action: Action, registry: string, model: string | null, options?: AuthorizeOptions) => authorize(access, action, registry, model, options);
  return {
    ...services,
    registries,
    loaders,
    requestId,
    principal: access.id,
    access,
    authorize: check,
    caller: {
      principal: access.id,
      authorize: check,
      sees: (registry, model) => readable(access, registry, model),
      changed: (registry) => loaders.for(registry).clear(),
      trace,
    },
    log,
    seen: {},
    trace,
  };
}
