import type { GraphQLFormattedError } from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from './apollo.ts';
import { ErrorCode, isRegistryError } from '../core/index.ts';

/** Apollo's own codes for malformed operations, spoken as our INVALID_INPUT. */
const INPUT_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'BAD_REQUEST',
]);

/**
 * Gives every error a code from our enum. Expected errors keep their message; anything
 * else is masked as INTERNAL with the request id, and its detail stays in the log.
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  if (isRegistryError(original)) {
    return {
      message: original.message,
      locations: formatted.locations,
      path: formatted.path,
      extensions: {
        code: original.code,
        ...(original.registry ? { registry: original.registry } : {}),
        ...(original.details ? { details: original.details } : {}),
        ...(original.outcome === 'UNKNOWN' ? { outcome: original.outcome } : {}),
      },
    };
  }
  if (isArgumentCoercionError(original)) {
    return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions: { code: ErrorCode.INVALID_INPUT, reason: 'BAD_USER_INPUT' } };
  }
  const apolloCode = formatted.extensions?.code;
  if (typeof apolloCode === 'string' && INPUT_CODES.has(apolloCode)) {
    return { ...formatted, extensions: { code: ErrorCode.INVALID_INPUT, reason: apolloCode } };
  }
  // Our own GraphQLErrors (query limits) already speak the enum; pass them on without transport detail.
  if (typeof apolloCode === 'string' && apolloCode !== ErrorCode.INTERNAL && (Object.values(ErrorCode) as string[]).includes(apolloCode)) {
    const { http: _http, stacktrace: _stack, ...extensions } = formatted.extensions ?? {};
    return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions };
  }
  return { message: 'Internal error', locations: formatted.locations, path: formatted.path, extensions: { code: ErrorCode.INTERNAL } };
}

/** Kinds of the AST node graphql-js names when an argument's value cannot be coerced (a variable or a literal). */
const ARGUMENT_VALUE_KINDS = new Set(['Variable', 'NullValue', 'IntValue', 'FloatValue', 'StringValue', 'BooleanValue', 'EnumValue', 'ListValue', 'ObjectValue']);

/**
 * graphql-js's own error for an argument it cannot coerce at execution (an explicit null through a
 * nullable variable into `merge: Boolean! = false`): the caller's input, so INVALID_INPUT, not INTERNAL.
 * It has no original error and points at the argument's value; a resolver's failure points at a field.
 */
export function isArgumentCoercionError(error: unknown): boolean {
  const candidate = error as { name?: unknown; originalError?: unknown; nodes?: readonly { kind?: unknown }[] } | null;
  return (
    error instanceof Error &&
    candidate!.name === 'GraphQLError' &&
    candidate!.originalError == null &&
    candidate!.nodes?.length === 1 &&
    ARGUMENT_VALUE_KINDS.has(String(candidate!.nodes[0]!.kind)) &&
    error.message.startsWith('Argument "')
  );
}

/**
 * Names the request id in every INTERNAL error, from the request's context. formatError sees
 * no context, and AsyncLocalStorage would tax every promise of every request to carry it there.
 */
export function internalErrorsNameRequest(): ApolloServerPlugin<{ requestId: string }> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, contextValue }) {
          if (response.body.kind !== 'single') return;
          const { requestId } = contextValue;
          const errors = response.body.singleResult.errors;
          if (!errors?.some((error) => error.extensions?.code === ErrorCode.INTERNAL)) return;
          response.body.singleResult.errors = errors.map((error) =>
            error.extensions?.code === ErrorCode.INTERNAL
              ? { ...error, message: `Internal error; request id ${requestId}`, extensions: { ...error.extensions, requestId } }
              : error,
          );
        },
      };
    },
  };
}
