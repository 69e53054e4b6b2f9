import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';

export * from './generated.ts';

export interface GraphQLErrorShape {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; registry?: string; [key: string]: unknown };
}

/** The gateway answered with errors; `code` is the first error's `extensions.code`. */
export class GatewayError extends Error {
  override name = 'GatewayError';
  readonly code: string;
  readonly registry: string | undefined;

  constructor(
    readonly errors: GraphQLErrorShape[],
    readonly data: unknown,
  ) {
    const first = errors[0];
    super(first?.message ?? 'unknown error');
    this.code = first?.extensions?.code ?? 'INTERNAL';
    this.registry = first?.extensions?.registry;
  }
}

/** The gateway could not be reached, or did not answer with GraphQL. */
export class GatewayUnreachable extends Error {
  override name = 'GatewayUnreachable';
}

export interface ClientOptions {
  /** http://host:port/graphql */
  url: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  headers?: Record<string, string>;
}

export interface GatewayClient {
  request<TResult, TVariables>(document: TypedDocumentNode<TResult, TVariables>, variables?: TVariables): Promise<TResult>;
}

/** A minimal typed client: one POST per operation, errors thrown as GatewayError. */
export function createClient(options: ClientOptions): GatewayClient {
  const printed = new WeakMap<object, string>();
  const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;

  return {
    async request(document, variables) {
      let query = printed.get(document);
      if (!query) printed.set(document, (query = print(document)));
      let response: Response;
      try {
        response = await fetch(options.url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
      } catch (error) {
        throw new GatewayUnreachable(`Cannot reach the gateway at ${options.url}: ${(error as Error).cause ?? (error as Error).message}`);
      }
      let body: { data?: unknown; errors?: GraphQLErrorShape[] };
      try {
        body = (await response.json()) as typeof body;
      } catch {
        throw new GatewayUnreachable(`The gateway at ${options.url} answered HTTP ${response.status} without GraphQL`);
      }
      if (body.errors?.length) throw new GatewayError(body.errors, body.data ?? null);
      return body.data as never;
    },
  };
}
