import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, ApolloServerPluginCacheControlDisabled, ApolloServerPluginDrainHttpServer, ApolloServerPluginLandingPageDisabled } from '../graphql/apollo.ts';
import type { Logger } from 'pino';
import { ErrorCode, type RegistrySet } from '../core/index.ts';
import type { GatewayContext } from '../graphql/context.ts';
import { formatError, internalErrorsNameRequest } from '../graphql/errors.ts';
import { clientErrorCode } from '../graphql/fault-log.ts';
import { gatewaySchema } from '../graphql/schema.ts';
import { queryLimitsPlugin } from '../graphql/limits.ts';
import { useWellFormedInput } from '../graphql/unicode.ts';
import { ConfigError, type ResolvedConfig } from './config.ts';
import { Authenticator, type AuthConfig } from './authenticate.ts';
import { createRequestHandler } from './http.ts';
import { loadWebApps } from './web-assets.ts';
import { createLogger } from './logger.ts';
import { createRegistries } from './registries.ts';
import { GatewayMetrics } from './metrics.ts';
import { observeStore } from './observed-store.ts';
import { operationTelemetry } from './operation-telemetry.ts';
import { startTracing } from './tracing.ts';
import { toPolicies } from './policies.ts';
import { claimDataDir, isPostgresUrl, openStore, sqliteStorePath, type GatewayStore } from '../store/index.ts';
import type { Reconciler } from '../workflows/reconcile.ts';
import { createWorkflows } from '../workflows/services.ts';
import type { GatewayServices } from '../graphql/context.ts';
import { dirname, join, resolve } from 'node:path';
import { AuditFeed } from '../events/audit-feed.ts';
import { WebhookAdmin } from '../events/webhooks/admin.ts';
import { WebhookDispatcher } from '../events/webhooks/dispatcher.ts';
import { BackendWatcher } from '../events/watcher.ts';
import { resolveWebhooks } from './webhooks.ts';
import { attachWebSocketOnDemand } from './websocket-on-demand.ts';

export interface RunningGateway {
  /** http://host:port/graphql */
  url: string;
  registries: RegistrySet;
  store: GatewayStore;
  log: Logger;
  stop(): Promise<void>;
}

/** Builds the registries and serves GraphQL; resolves once the port is bound. */
export async function startGateway(config: ResolvedConfig, options: { log?: Logger; registries?: RegistrySet } = {}): Promise<RunningGateway> {
  // Before anything else: backend wrappers and the logger look at whether tracing is on.
  const tracingStarted = await startTracing(process.env);
  const log = options.log ?? createLogger(config.log.level);
  if (tracingStarted) log.info('tracing: spans exported over OTLP/HTTP as the OTEL_* environment variables say');
  const authenticator = new Authenticator(config.auth as AuthConfig | undefined);
  if (!authenticator.enabled) {
    if (!isLoopback(config.server.host)) {
      throw new ConfigError(
        `Refusing to serve on ${config.server.host} without authentication: anyone who can reach it could move models into production. ` +
          'Configure auth.apiKeys or auth.jwt, or bind 127.0.0.1.',
      );
    }
    log.warn({ host: config.server.host }, 'no authentication configured: serving loopback only, every caller is an administrator');
  }
  const metrics = new GatewayMetrics();
  // The embedded store's locks are in-process: its directory gets one owner, or two processes could hand out one semver twice.
  const defaultStorePath = join(config.dataDir, 'modelgate-store.db');
  const claim = isPostgresUrl(config.store.url) ? null : claimDataDir(dirname(resolve(sqliteStorePath(config.store.url, defaultStorePath))));
  let services: GatewayServices;
  let reconciler: Reconciler;
  let dispatcher: WebhookDispatcher;
  let watcher: BackendWatcher | null = null;
  try {
    const webhooks = resolveWebhooks(config.webhooks, process.env);
    const registries = options.registries ?? (await createRegistries(config, process.env, metrics));
    const opened = await openStore(config.store.url, defaultStorePath, { poolSize: config.store.poolSize });
    metrics.watchStore(opened, config.metrics.auditCheckIntervalMs);
    const store = observeStore(opened, metrics, [...new Set(config.policies.map((p) => p.models))]);
    const workflows = createWorkflows(registries, store, toPolicies(config.policies), { graceMs: config.store.reconcile.graceMs, log, artifactLocations: config.artifactLocations });
    reconciler = workflows.reconciler;
    const feed = new AuditFeed(store, (error) => log.warn({ err: error }, 'reading the audit log tail failed; read again on the next append'));
    dispatcher = new WebhookDispatcher(store, webhooks, { intervalMs: WEBHOOK_POLL_MS, concurrency: 8, log });
    if (config.watch) watcher = new BackendWatcher(registries, store, workflows.commands, config.watch, log);
    services = { registries, store, lifecycle: workflows.lifecycle, catalog: workflows.catalog, feed, webhooks: new WebhookAdmin(store, workflows.commands, dispatcher), copies: workflows.copies, migrations: workflows.migrations };
  } catch (error) {
    claim?.release();
    await tracingStarted?.stop();
    throw error;
  }
  const { registries, store } = services;
  // What a crash or a late write left open is settled before the first request is served.
  const reconciled = await reconciler.sweep();
  if (reconciled) log.info({ reconciled }, 'reconciled open intents left by an earlier run');
  reconciler.start(config.store.reconcile.intervalMs);
  await services.feed.start();
  // Every committed audit event wakes the outbox (coalesced): deliveries leave without waiting for the poll.
  services.feed.listen(() => dispatcher.wake());
  dispatcher.start();
  watcher?.start();
  // Migrations whose process died carry on here, after reconciliation settled their last copy.
  const resumed = await services.migrations.resumeOrphans();
  if (resumed) log.info({ resumed }, 'resumed migrations left by an earlier run');
  const httpServer: Server = createServer();
  const schema = await gatewaySchema();
  const apollo = new ApolloServer<GatewayContext>({
    schema,
    formatError,
    parseOptions: { maxTokens: config.server.limits.maxTokens },
    includeStacktraceInErrorResponses: false,
    // Signals are ours (src/server/shutdown.ts): Apollo's own handler would re-raise the signal and kill the process before the stores close.
    stopOnTerminationSignals: false,
    introspection: config.server.introspection,
    plugins: [
      // In-flight requests get the grace period; connections still open after it are closed.
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: config.server.shutdownGraceMs }),
      ApolloServerPluginLandingPageDisabled(),
      // No cache hints in this schema: the default plugin would still wrap every field resolver.
      ApolloServerPluginCacheControlDisabled(),
      internalErrorsNameRequest(),
      queryLimitsPlugin(schema, config.server.limits),
      useWellFormedInput(),
      operationTelemetry(metrics),
      {
        async requestDidStart() {
          return {
            async didEncounterErrors({ errors, contextValue }) {
              for (const error of errors) {
                // The client's mistakes and expected outcomes are info without a stack; only our faults are errors.
                const code = clientErrorCode(error);
                const entry = { code, reason: error.extensions?.reason, message: error.message, path: error.path };
                if (code === ErrorCode.BACKEND_UNAVAILABLE) contextValue.log.warn(entry, 'backend unavailable');
                else if (code) contextValue.log.info(entry, 'request refused');
                else contextValue.log.error({ err: error.originalError ?? error, path: error.path }, 'unexpected error in resolver');
              }
            },
          };
        },
      },
    ],
  });
  await apollo.start();
  httpServer.on(
    'request',
    createRequestHandler({
      apollo,
      services,
      log,
      corsOrigins: config.server.corsOrigins,
      allowedHosts: config.server.allowedHosts,
      authenticator,
      metrics,
      bodyLimitBytes: config.server.bodyLimitBytes,
      web: loadWebApps(),
      introspection: config.server.introspection,
    }),
  );
  const websocket = attachWebSocketOnDemand({
    httpServer,
    schema,
    services,
    authenticator,
    log,
    limits: config.server.limits,
    corsOrigins: config.server.corsOrigins,
    allowedHosts: config.server.allowedHosts,
    maxPayloadBytes: config.server.bodyLimitBytes,
  });
  const stop = async () => {
    // Subscribers are told the server is going away before anything they follow closes.
    await websocket.close();
    await watcher?.stop();
    await dispatcher.stop();
    await services.feed.stop();
    await reconciler.stop();
    await services.migrations.stop();
    await apollo.stop();
    await registries.close();
    await store.close();
    claim?.release();
    await tracingStarted?.stop();
  };
  try {
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(config.server.port, config.server.host, () => resolve());
    });
  } catch (error) {
    // A taken port must not leave timers running, stores open or the data directory claimed.
    await stop().catch((cleanup: unknown) => log.warn({ err: cleanup }, 'cleaning up after a failed start'));
    claim?.release();
    throw error;
  }
  const address = httpServer.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}/graphql`;
  return {
    url,
    registries,
    store,
    log,
    stop,
  };
}

/** How often the webhook outbox is read when no new event wakes it (retries falling due). */
const WEBHOOK_POLL_MS = 500;

/** Addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}
