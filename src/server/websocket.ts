import { createRequire } from 'node:module';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { ErrorCode, unstorableText, describeFlaw, isRegistryError } from '../core/index.ts';
import { createContext, type GatewayServices } from '../graphql/context.ts';
import { formatError } from '../graphql/errors.ts';
import { queryLimitRefusal, type QueryLimits } from '../graphql/limits.ts';
import type { Principal } from '../graphql/access.ts';
import type { Authenticator } from './authenticate.ts';
import { hostRefusal, originRefusal } from './http.ts';
import { SharedExecution } from './shared-execution.ts';

/*
 * graphql-ws and type-graphql load graphql through Node's resolution (its CommonJS build); under
 * vitest this file's own `import 'graphql'` would be the ESM build, another realm whose
 * GraphQLError graphql-ws does not recognise. Everything handed to graphql-ws comes from Node's copy.
 */
const graphql = createRequire(import.meta.url)('graphql') as typeof import('graphql');

/** Subscriptions one connection may hold at once. */
export const MAX_SUBSCRIPTIONS_PER_CONNECTION = 100;

/** Every connection is pinged this often; one that has not answered the previous ping by then is too slow. */
export const PING_INTERVAL_MS = 12_000;
/** The close code a consumer gets when it stopped reading (1008: policy violation); resume with `after`. */
export const SLOW_CONSUMER_CLOSE = 1008;

export interface WebSocketOptions {
  httpServer: Server;
  schema: GraphQLSchema;
  services: GatewayServices;
  authenticator: Authenticator;
  log: Logger;
  limits: QueryLimits & { maxTokens: number };
  corsOrigins: readonly string[];
  allowedHosts: readonly string[];
  maxPayloadBytes: number;
}

type Extra = {
  request: IncomingMessage;
  principal?: Principal;
};

const refusal = (message: string, code: ErrorCode, extensions: Record<string, unknown> = {}) =>
  new graphql.GraphQLError(message, { extensions: { code, ...extensions } });

/**
 * GraphQL over WebSocket (the graphql-ws protocol) on /graphql, next to HTTP: the same Host and
 * Origin checks on the upgrade, the same credentials at connection_init (a `authorization`
 * connection param, or the upgrade's Authorization header), the same query limits on every
 * document. Only subscriptions run here; queries and mutations go over HTTP.
 */
export function attachWebSocket(options: WebSocketOptions) {
  const { log, services } = options;
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayloadBytes });
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(req.url ?? '/', 'http://gateway').pathname;
    const refused =
      path !== '/graphql'
        ? { status: 404, message: 'not found; the API is at /graphql' }
        : (() => {
            const host = hostRefusal(req, options.authenticator.enabled, options.allowedHosts);
            if (host) return { status: 421, message: host };
            const origin = originRefusal(req, options.corsOrigins);
            return origin ? { status: 403, message: origin } : null;
          })();
    if (refused) {
      socket.end(`HTTP/1.1 ${refused.status} Refused\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n${refused.message}\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  };
  options.httpServer.on('upgrade', onUpgrade);

  /*
   * A consumer that stops reading holds at most: its sockets' kernel buffers, one message in
   * flight per subscription (graphql-ws awaits each send) and 1,000 buffered events per
   * subscription. It is closed once it misses a ping: told why with a close frame (it reads it
   * when it reads again), cut a second later if it does not answer the close.
   */
  const awaitingPong = new WeakSet<WebSocket>();
  const pinger = setInterval(() => {
    for (const ws of wss.clients) {
      if (ws.readyState !== ws.OPEN) continue;
      if (awaitingPong.has(ws)) {
        log.warn({ bufferedBytes: ws.bufferedAmount }, 'websocket consumer too slow: no answer to a ping; closing');
        ws.close(SLOW_CONSUMER_CLOSE, `Too slow: no answer to a ping within ${PING_INTERVAL_MS / 1000} s; reconnect and resume with after`);
        setTimeout(() => ws.terminate(), 1_000).unref();
        continue;
      }
      awaitingPong.add(ws);
      ws.ping();
    }
  }, PING_INTERVAL_MS);
  pinger.unref();
  wss.on('connection', (ws: WebSocket) => ws.on('pong', () => awaitingPong.delete(ws)));

  // A registry event is identified by its audit hash: the same event executes to the same result for a whole group.
  const shared = new SharedExecution(graphql, (event) => (typeof (event as { id?: unknown })?.id === 'string' ? (event as { id: string }).id : null));
  const measured = new WeakMap();

  const cleanup = useServer<Record<string, unknown>, Extra>(
    {
      // graphql-ws's default (3 s) closes slow but legitimate clients on a loaded host.
      connectionInitWaitTimeout: 10_000,
      onConnect: async (ctx) => {
        const params = ctx.connectionParams ?? {};
        const given = params.authorization ?? params.Authorization ?? ctx.extra.request.headers.authorization;
        try {
          ctx.extra.principal = await options.authenticator.authenticate(typeof given === 'string' ? given : undefined);
          return true;
        } catch (error) {
          log.info({ reason: isRegistryError(error) ? error.message : 'refused' }, 'websocket connection refused at connection_init');
          return false;
        }
      },
      onSubscribe: (ctx, id, payload) => {
        if (Object.keys(ctx.subscriptions).length > MAX_SUBSCRIPTIONS_PER_CONNECTION) {
          return [refusal(`At most ${MAX_SUBSCRIPTIONS_PER_CONNECTION} subscriptions per connection`, ErrorCode.INVALID_INPUT, { reason: 'TOO_MANY_SUBSCRIPTIONS' })];
        }
        let checked;
        try {
          checked = shared.document(payload.query, () => {
            const document = graphql.parse(payload.query, { maxTokens: options.limits.maxTokens });
            return { document, errors: graphql.validate(options.schema, document) };
          });
        } catch (error) {
          return [refusal((error as Error).message, ErrorCode.INVALID_INPUT, { reason: 'GRAPHQL_PARSE_FAILED' })];
        }
        const { document } = checked;
        if (checked.errors.length) return checked.errors.map((e) => refusal(e.message, ErrorCode.INVALID_INPUT, { reason: 'GRAPHQL_VALIDATION_FAILED' }));
        const operation = graphql.getOperationAST(document, payload.operationName);
        if (!operation) return [refusal('Name the operation to run (operationName)', ErrorCode.INVALID_INPUT)];
        if (operation.operation !== 'subscription') {
          return [refusal('Only subscriptions run over WebSocket; send queries and mutations over HTTP POST', ErrorCode.INVALID_INPUT, { reason: 'NOT_A_SUBSCRIPTION' })];
        }
        const variables = payload.variables ?? {};
        // Coerced here, not at execution, so a variable of the wrong type is a coded refusal rather than a masked error.
        const coerced = graphql.getVariableValues(options.schema, operation.variableDefinitions ?? [], variables, { maxErrors: 10 });
        if (coerced.errors) return coerced.errors.map((e) => refusal(e.message, ErrorCode.INVALID_INPUT, { reason: 'BAD_VARIABLE' }));
        for (const [name, value] of Object.entries(variables)) {
          const flawed = unstorableText(value, `$${name}`);
          if (flawed) return [refusal(`Argument ${flawed.path} ${describeFlaw(flawed.flaw)}; nothing was run`, ErrorCode.INVALID_INPUT, { reason: flawed.flaw, details: { argument: flawed.path } })];
        }
        const limit = queryLimitRefusal(options.schema, options.limits, document, operation, variables, { registryCount: services.registries.list().length }, measured);
        if (limit) return [refusal(limit.message, ErrorCode.INVALID_INPUT, { reason: limit.reason, details: limit.details })];
        const principal = ctx.extra.principal!;
        const requestId = `ws-${id}`;
        const contextValue = createContext(services, requestId, log.child({ requestId, principal: principal.id }), principal);
        shared.join(contextValue, { principal, query: payload.query, operationName: payload.operationName, variables });
        return { schema: options.schema, document, operationName: payload.operationName, variableValues: variables, contextValue };
      },
      // Each event is executed once per group of alike subscriptions; who gets which event is still decided per subscriber.
      subscribe: (args) => shared.subscribe(args),
      // Errors speak our enum, as over HTTP: expected ones keep their message, anything else is masked.
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors ? { ...result, errors: result.errors.map((error) => formatError(error.toJSON(), error)) } : undefined,
      onError: (_ctx, _id, _payload, errors) => errors.map((error) => formatError(error.toJSON(), error)),
    },
    wss,
    // Our own keep-alive above closes a slow consumer with a code; graphql-ws's would only cut it.
    0,
  );

  return {
    /** Open connections, for tests and metrics. */
    get connections(): number {
      return wss.clients.size;
    },
    /** Closes every connection (1001 going away) and stops accepting new ones. */
    async close(): Promise<void> {
      options.httpServer.off('upgrade', onUpgrade);
      clearInterval(pinger);
      const clients = [...wss.clients];
      // Each client is told 1001 (going away); one that does not answer the close is cut after a second.
      // dispose waits for every client to close (ws waits 30 s for a silent one), so the cut runs beside it, not after.
      const cut = setTimeout(() => {
        for (const client of clients) client.terminate();
      }, 1_000);
      try {
        await cleanup.dispose();
      } finally {
        clearTimeout(cut);
      }
    },
  };
}
