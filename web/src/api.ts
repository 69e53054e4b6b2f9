// The console's only door to GraphQL: the typed documents generated from operations/*.graphql.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql/language/printer';

export * from '../../packages/client/src/generated.ts';

const TOKEN_KEY = 'modelgate.token';

/** The API key or bearer token typed into the console, for this browser tab only. */
export const session = {
  token: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  signIn: (token: string) => sessionStorage.setItem(TOKEN_KEY, token.trim()),
  signOut: () => sessionStorage.removeItem(TOKEN_KEY),
};

/** A GraphQL error as the gateway sent it: its code, message, and for INTERNAL the request id to quote. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly requestId: string | null,
    readonly details: Record<string, unknown> | null,
    readonly registry: string | null,
  ) {
    super(message);
  }
}

const printed = new WeakMap<object, string>();

export async function request<R, V>(document: TypedDocumentNode<R, V>, variables?: V): Promise<R> {
  let query = printed.get(document);
  if (!query) printed.set(document, (query = print(document)));
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const token = session.token();
  if (token) headers.authorization = `Bearer ${token}`;
  let response: Response;
  try {
    response = await fetch('/graphql', { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  } catch (error) {
    throw new ApiError(`The gateway cannot be reached: ${(error as Error).message}`, 'UNREACHABLE', null, null, null);
  }
  const requestId = response.headers.get('x-request-id');
  let body: { data?: R; errors?: { message: string; extensions?: Record<string, unknown> }[] };
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`The gateway answered HTTP ${response.status} without GraphQL`, 'INTERNAL', requestId, null, null);
  }
  const first = body.errors?.[0];
  if (first) {
    const ext = first.extensions ?? {};
    const id = typeof ext.requestId === 'string' ? ext.requestId : requestId;
    throw new ApiError(first.message, String(ext.code ?? 'INTERNAL'), id, (ext.details as Record<string, unknown>) ?? null, (ext.registry as string) ?? null);
  }
  return body.data as R;
}
