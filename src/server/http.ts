import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApolloServer, HTTPGraphQLRequest } from '@apollo/server';
import { HeaderMap } from '../graphql/apollo.ts';
import type { Logger } from 'pino';
import { ErrorCode, tracing, type RegistrySet, type TraceScope } from '../core/index.ts';
import { createContext, type GatewayContext, type GatewayServices } from '../graphql/context.ts';
import { probe } from '../graphql/registry/registry.resolver.ts';
import type { Authenticator } from './authenticate.ts';
import type { GatewayMetrics } from './metrics.ts';
import { inOperationSpan } from './operation-telemetry.ts';
import { wantsHtml, type WebApps } from './web-assets.ts';

export interface HttpOptions {
  apollo: ApolloServer<GatewayContext>;
  services: GatewayServices;
  log: Logger;
  corsOrigins: readonly string[];
  /** With auth, the Host names answered (`*` any); without auth only loopback names on the bound port. */
  allowedHosts?: readonly string[];
  bodyLimitBytes: number;
  authenticator: Authenticator;
  metrics: GatewayMetrics;
  /** The console at `/` and GraphiQL (served only while introspection is on); absent when not built. */
  web?: WebApps;
  introspection?: boolean;
}

class BodyTooLarge extends Error {}

/** Routes /graphql to Apollo, answers /healthz and /readyz, serves the console and GraphiQL; everything else is 404. */
export function createRequestHandler(options: HttpOptions) {
  const { apollo, services, log } = options;
  const { registries } = services;

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = pickRequestId(req.headers['x-request-id']);
    res.setHeader('x-request-id', requestId);
    const url = new URL(req.url ?? '/', 'http://gateway');
    const started = performance.now();
    let gatewayContext: GatewayContext | undefined;
    let traceId: string | undefined;
    res.once('finish', () => {
      options.metrics.recordRequest(url.pathname, res.statusCode, (performance.now() - started) / 1000);
      const operation = gatewayContext?.seen.operation?.name;
      const entry = { requestId, method: req.method, path: url.pathname, ...(operation ? { operation } : {}), ...(traceId ? { traceId } : {}), status: res.statusCode, ms: Math.round(performance.now() - started) };
      // Probes and scrapes hit often; keep them out of the info stream.
      if (url.pathname === '/healthz' || url.pathname === '/readyz' || url.pathname === '/metrics') log.debug(entry, 'request');
      else log.info(entry, 'request');
    });
    try {
      if (!applyCors(req, res, options.corsOrigins)) return;
      if (url.pathname === '/healthz') return sendJson(res, 200, { status: 'ok' });
      if (url.pathname === '/readyz') return await ready(res, registries);
      // Probes above come from orchestrators with any Host; everything below is what a rebound page could reach.
      const wrongHost = hostRefusal(req, options.authenticator.enabled, options.allowedHosts ?? ['*']);
      if (wrongHost) return sendJson(res, 421, graphqlError(wrongHost, ErrorCode.FORBIDDEN, { reason: 'HOST_NOT_ALLOWED' }));
      if (url.pathname === '/metrics') {
        res.setHeader('content-type', options.metrics.registry.contentType);
        res.end(await options.metrics.registry.metrics());
        return;
      }
      if (serveWeb(req, res, url.pathname, options)) return;
      if (url.pathname !== '/graphql') return sendJson(res, 404, { error: 'not found; the API is at /graphql' });
      const wrongOrigin = originRefusal(req, options.corsOrigins);
      if (wrongOrigin) return sendJson(res, 403, graphqlError(wrongOrigin, ErrorCode.FORBIDDEN, { reason: 'ORIGIN_NOT_ALLOWED' }));
      if (req.method === 'POST' && isFormPost(req.headers['content-type'])) {
        return sendJson(res, 415, graphqlError('POST a JSON body (content-type: application/json); form posts are never run', ErrorCode.INVALID_INPUT, { reason: 'FORM_POST' }));
      }

      let access;
      try {
        access = await options.authenticator.authenticate(req.headers.authorization);
      } catch (error) {
        const message = error instanceof Error ? error.message : 'Not authenticated';
        res.setHeader('www-authenticate', 'Bearer');
        return sendJson(res, 401, graphqlError(message, ErrorCode.UNAUTHENTICATED));
      }
      const body = await readBody(req, options.bodyLimitBytes);
      const headers = new HeaderMap();
      for (const [key, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
      }
      const request: HTTPGraphQLRequest = {
        method: (req.method ?? 'GET').toUpperCase(),
        headers,
        search: url.search,
        body: parseBody(body, headers.get('content-type')),
      };
      const execute = (scope?: TraceScope) =>
        apollo.executeHTTPGraphQLRequest({
          httpGraphQLRequest: request,
          // One child logger per request, not two: pino copies the bindings into each. Traced, its lines carry the trace.
          context: async () =>
            (gatewayContext = createContext(services, requestId, log.child(scope ? { requestId, principal: access.id, traceId: scope.traceId, spanId: scope.operation.spanContext().spanId } : { requestId, principal: access.id }), access, scope)),
        });
      const traced = (scope: TraceScope) => ((traceId = scope.traceId), execute(scope));
      const response = tracing.enabled ? await inOperationSpan(req.headers, access.id, requestId, traced) : await execute();
      for (const [key, value] of response.headers) res.setHeader(key, value);
      res.statusCode = response.status ?? 200;
      if (response.body.kind === 'complete') {
        res.end(response.body.string);
      } else {
        for await (const chunk of response.body.asyncIterator) res.write(chunk);
        res.end();
      }
    } catch (error) {
      if (error instanceof BodyTooLarge) {
        return sendJson(res, 413, graphqlError(`Request body is larger than ${options.bodyLimitBytes} bytes`, ErrorCode.INVALID_INPUT));
      }
      if (error instanceof SyntaxError) {
        return sendJson(res, 400, graphqlError(`Request body is not valid JSON: ${error.message}`, ErrorCode.INVALID_INPUT));
      }
      log.error({ err: error, requestId }, 'request failed');
      if (!res.headersSent) sendJson(res, 500, graphqlError(`Internal error; request id ${requestId}`, ErrorCode.INTERNAL, { requestId }));
      else res.end();
    }
  };
}

/**
 * GraphiQL for a browser navigating to /graphql or /graphiql (only with introspection on), the console's files
 * for GET and HEAD. True when answered; a GET of /graphql that is not a navigation goes on to Apollo (and its CSRF check).
 */
function serveWeb(req: IncomingMessage, res: ServerResponse, pathname: string, options: HttpOptions): boolean {
  const graphiql = options.introspection !== false ? options.web?.graphiql : null;
  const ide = pathname === '/graphiql' || pathname.startsWith('/graphiql/') || (pathname === '/graphql' && wantsHtml(req));
  if (ide) {
    if (graphiql && graphiql.send(req, res, pathname === '/graphql' || pathname === '/graphiql' ? '/graphiql/' : pathname)) return true;
    if (pathname === '/graphql') return false;
    sendJson(res, 404, { error: graphiql ? 'not found' : 'GraphiQL is off: it is served only while server.introspection is on' });
    return true;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  return options.web?.console?.send(req, res, pathname) ?? false;
}

async function ready(res: ServerResponse, registries: RegistrySet): Promise<void> {
  const checks = await Promise.all(registries.list().map(async (r) => ({ id: r.id, kind: r.kind, ...(await probe(r)) })));
  const ok = checks.every((c) => c.ok);
  sendJson(res, ok ? 200 : 503, { status: ok ? 'ready' : 'unavailable', registries: checks });
}

/** Sets CORS headers for allowed origins; answers preflights. Returns false when the response is done. */
function applyCors(req: IncomingMessage, res: ServerResponse, allowed: readonly string[]): boolean {
  const origin = req.headers.origin;
  res.setHeader('vary', 'Origin');
  const permitted = origin !== undefined && (allowed.includes('*') || allowed.includes(origin));
  if (permitted) {
    res.setHeader('access-control-allow-origin', allowed.includes('*') ? '*' : origin);
    res.setHeader('access-control-expose-headers', 'x-request-id');
  }
  if (req.method === 'OPTIONS') {
    if (permitted) {
      res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
      res.setHeader('access-control-allow-headers', 'content-type, authorization, apollo-require-preflight, x-request-id');
      res.setHeader('access-control-max-age', '600');
    }
    res.statusCode = permitted ? 204 : 403;
    res.end();
    return false;
  }
  return true;
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);
const HOST_HEADER = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?$/;

/**
 * Why the Host header is refused, or null. A page that rebinds its own name to 127.0.0.1
 * still sends that name, so without auth only loopback names on the bound port pass.
 */
export function hostRefusal(req: IncomingMessage, authenticated: boolean, allowed: readonly string[]): string | null {
  const header = (req.headers.host ?? '').toLowerCase();
  const match = HOST_HEADER.exec(header);
  if (!match) return 'The request has no usable Host header';
  const name = match[1]!;
  const port = Number(match[2] ?? 80);
  if (!authenticated) {
    if (LOOPBACK_NAMES.has(name) && port === req.socket.localPort) return null;
    return `Host ${header} is not served: without auth this gateway answers only to localhost, 127.0.0.1 or [::1] on port ${req.socket.localPort}`;
  }
  if (allowed.some((entry) => entry === '*' || entry.toLowerCase() === name || entry.toLowerCase() === `${name}:${port}`)) return null;
  return `Host ${header} is not in server.allowedHosts`;
}

/** Why a browser call is refused, or null: its Origin must be allowed by CORS or be this gateway itself. */
export function originRefusal(req: IncomingMessage, allowed: readonly string[]): string | null {
  const origin = req.headers.origin;
  if (origin === undefined || allowed.includes('*') || allowed.includes(origin)) return null;
  try {
    if (new URL(origin).host === req.headers.host?.toLowerCase()) return null;
  } catch {
    // `null` and other opaque origins are never allowed.
  }
  return `Origin ${origin} is not allowed to call this gateway (server.corsOrigins)`;
}

/** The content types an HTML form can send without a preflight. */
function isFormPost(contentType: string | undefined): boolean {
  const type = contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'application/x-www-form-urlencoded' || type === 'multipart/form-data' || type === 'text/plain';
}

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw new BodyTooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new BodyTooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseBody(body: string, contentType: string | undefined): unknown {
  if (body.length === 0) return undefined;
  if (contentType?.toLowerCase().startsWith('application/json') || contentType?.toLowerCase().includes('+json')) {
    return JSON.parse(body);
  }
  return body;
}

function pickRequestId(header: string | string[] | undefined): string {
  const given = Array.isArray(header) ? header[0] : header;
  return given && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
}

function graphqlError(message: string, code: ErrorCode, extra: Record<string, unknown> = {}) {
  return { errors: [{ message, extensions: { code, ...extra } }] };
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(value));
}
