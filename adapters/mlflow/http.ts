import { setTimeout as sleep } from 'node:timers/promises';
import { Pool, errors as undiciErrors } from 'undici';
import { ErrorCode, RegistryError, type CallContext } from '../../src/core/index.ts';

export type MlflowAuth =
  | { type: 'none' }
  | { type: 'bearer'; token: string }
  | { type: 'basic'; username: string; password: string };

export interface MlflowHttpOptions {
  registryId: string;
  /** Tracking server base URL, e.g. http://127.0.0.1:5000 */
  trackingUri: string;
  auth: MlflowAuth;
  timeoutMs: number;
  /** Attempts for reads (GET); writes are sent once. */
  readAttempts: number;
  connections: number;
  /** Called once per HTTP request sent, for metrics and tests. */
  onRequest?: (method: string, path: string, body?: unknown) => void;
}

/** MLflow's error body: `{"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "..."}`. */
interface MlflowErrorBody {
  error_code?: string;
  message?: string;
}

const API = '/api/2.0/mlflow/';

/** A keep-alive connection pool to one tracking server that speaks MLflow's JSON REST API. */
export class MlflowHttp {
  private readonly pool: Pool;
  private readonly basePath: string;
  private readonly authorization: string | undefined;
  /** Set only on a per-call view (forCall): cancels that call's requests at its deadline. */
  private context: CallContext | undefined;

  constructor(private readonly options: MlflowHttpOptions) {
    const url = new URL(options.trackingUri);
    this.basePath = url.pathname.replace(/\/$/, '');
    this.pool = new Pool(url.origin, {
      connections: options.connections,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      connectTimeout: Math.min(options.timeoutMs, 10_000),
    });
    const { auth } = options;
    if (auth.type === 'bearer') this.authorization = `Bearer ${auth.token}`;
    if (auth.type === 'basic') this.authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
  }

  /** The same pool, with every request of the view carrying the call's abort signal. */
  forCall(context: CallContext): MlflowHttp {
    const view = Object.create(this) as MlflowHttp;
    view.context = context;
    return view;
  }

  get<T>(endpoint: string, query: Record<string, string | number | undefined>): Promise<T> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
    return this.withRetries(() => this.send<T>('GET', `${endpoint}?${params}`));
  }

  post<T>(endpoint: string, body: unknown): Promise<T> {
    return this.send<T>('POST', endpoint, body, true);
  }

  /** A POST that only reads (runs/search): safe to retry like a GET. */
  postRead<T>(endpoint: string, body: unknown): Promise<T> {
    return this.withRetries(() => this.send<T>('POST', endpoint, body));
  }

  patch<T>(endpoint: string, body: unknown): Promise<T> {
    return this.send<T>('PATCH', endpoint, body, true);
  }

  delete<T>(endpoint: string, body: unknown): Promise<T> {
    return this.send<T>('DELETE', endpoint, body, true);
  }

  async close(): Promise<void> {
    if (this.pool.closed || this.pool.destroyed) return;
    await this.pool.close();
  }

  /** Reads are safe to repeat: retry unavailability with jittered exponential backoff. */
  private async withRetries<T>(call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        const retryable = error instanceof RegistryError && error.code === ErrorCode.BACKEND_UNAVAILABLE;
        if (!retryable || attempt >= this.options.readAttempts || this.context?.signal.aborted) throw error;
        this.context?.trace?.retried();
        await sleep(Math.random() * 100 * 2 ** attempt, undefined, { signal: this.context?.signal }).catch(() => {
          throw error;
        });
      }
    }
  }

  /** `write`: the request changes MLflow, so a timeout after sending it leaves the outcome unknown. */
  private async send<T>(method: string, endpoint: string, body?: unknown, write = false): Promise<T> {
    const path = `${this.basePath}${API}${endpoint}`;
    // Past the deadline nothing more is sent (a later step of a multi-request change).
    if (this.context?.signal.aborted) throw this.unavailable(`MLflow did not answer before the deadline; ${method} ${endpoint} was not sent`);
    this.options.onRequest?.(method, endpoint, body);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.authorization) headers.authorization = this.authorization;
    // The caller's trace continues on the tracking server (W3C traceparent).
    if (this.context?.trace) Object.assign(headers, this.context.trace.headers);
    let status: number;
    let text: string;
    try {
      const response = await this.pool.request({
        method: method as 'GET',
        path,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: this.context?.signal,
      });
      status = response.statusCode;
      text = await response.body.text();
    } catch (error) {
      const unknown = write && mayHaveLanded(error, this.context?.signal);
      throw this.unavailable(
        describeTransportError(error, this.context?.signal) + (unknown ? `; ${method} ${endpoint} may have been applied` : ''),
        error,
        unknown ? 'UNKNOWN' : undefined,
      );
    }
    if (status >= 200 && status < 300) {
      try {
        return (text ? JSON.parse(text) : {}) as T;
      } catch (error) {
        throw this.unavailable(`MLflow answered ${method} ${endpoint} with a body that is not JSON`, error);
      }
    }
    throw this.mapError(status, text, `${method} ${endpoint}`);
  }

  private mapError(status: number, text: string, call: string): RegistryError {
    let parsed: MlflowErrorBody = {};
    try {
      parsed = JSON.parse(text) as MlflowErrorBody;
    } catch {
      // not JSON: a proxy page or a crash; the status decides
    }
    const message = parsed.message ?? `MLflow answered HTTP ${status} to ${call}`;
    const registry = this.options.registryId;
    const details = { backendCode: parsed.error_code ?? `HTTP_${status}` };
    const fail = (code: ErrorCode, text = message) => new RegistryError(code, text, { registry, details });
    switch (parsed.error_code) {
      case 'RESOURCE_DOES_NOT_EXIST':
      case 'NOT_FOUND':
        return fail(ErrorCode.NOT_FOUND);
      case 'RESOURCE_ALREADY_EXISTS':
        return fail(ErrorCode.ALREADY_EXISTS);
      case 'INVALID_PARAMETER_VALUE':
      case 'INVALID_STATE':
      case 'BAD_REQUEST':
      case 'MALFORMED_REQUEST':
        return fail(ErrorCode.INVALID_INPUT);
      case 'UNAUTHENTICATED':
        return fail(ErrorCode.UNAUTHENTICATED, 'MLflow refused the credentials');
      case 'PERMISSION_DENIED':
        return fail(ErrorCode.FORBIDDEN, 'MLflow denied the operation to these credentials');
      case 'ENDPOINT_NOT_FOUND':
      case 'FEATURE_DISABLED':
      case 'NOT_IMPLEMENTED':
        return fail(ErrorCode.UNSUPPORTED);
      case 'ABORTED':
      case 'RESOURCE_CONFLICT':
        return fail(ErrorCode.CONFLICT);
    }
    if (status === 401) return fail(ErrorCode.UNAUTHENTICATED, 'MLflow refused the credentials (HTTP 401)');
    if (status === 403) return fail(ErrorCode.FORBIDDEN, 'MLflow denied the operation (HTTP 403)');
    if (status === 404) return fail(ErrorCode.NOT_FOUND);
    if (status === 429 || status >= 500) return this.unavailable(`MLflow is unavailable: HTTP ${status} to ${call}`);
    return fail(ErrorCode.INVALID_INPUT);
  }

  private unavailable(message: string, cause?: unknown, outcome?: 'UNKNOWN'): RegistryError {
    return new RegistryError(ErrorCode.BACKEND_UNAVAILABLE, message, { registry: this.options.registryId, cause, outcome });
  }
}

/** The request was sent and then given up on (timeout, cancel, dropped connection): MLflow may have applied it. */
function mayHaveLanded(error: unknown, signal: AbortSignal | undefined): boolean {
  if (signal?.aborted) return true;
  if (error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError) return true;
  const code = (error as { code?: string }).code;
  return code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'UND_ERR_ABORTED';
}

function describeTransportError(error: unknown, signal: AbortSignal | undefined): string {
  if (signal?.aborted) return 'MLflow did not answer before the deadline; the request was cancelled';
  if (error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError) {
    return 'MLflow did not answer in time';
  }
  if (error instanceof undiciErrors.ConnectTimeoutError) return 'Timed out connecting to MLflow';
  const code = (error as { code?: string }).code;
  if (code === 'ECONNREFUSED') return 'MLflow refused the connection (is the tracking server running?)';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'MLflow closed the connection';
  if (code === 'ENOTFOUND') return 'The MLflow host name does not resolve';
  return `Cannot reach MLflow: ${(error as Error).message}`;
}
