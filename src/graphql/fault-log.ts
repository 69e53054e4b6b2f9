import type { GraphQLError } from 'graphql';
import { ApolloServerErrorCode } from './apollo.ts';
import { ErrorCode, isRegistryError } from '../core/index.ts';
import { isArgumentCoercionError } from './errors.ts';

/** Apollo's codes for requests the client got wrong (parse, validation, variables, operation name). */
const APOLLO_CLIENT_CODES = new Set<string>([
  ApolloServerErrorCode.GRAPHQL_PARSE_FAILED,
  ApolloServerErrorCode.GRAPHQL_VALIDATION_FAILED,
  ApolloServerErrorCode.BAD_USER_INPUT,
  ApolloServerErrorCode.OPERATION_RESOLUTION_FAILURE,
  ApolloServerErrorCode.PERSISTED_QUERY_NOT_FOUND,
  ApolloServerErrorCode.PERSISTED_QUERY_NOT_SUPPORTED,
  ApolloServerErrorCode.BAD_REQUEST,
]);
const OUR_CODES = new Set<string>(Object.values(ErrorCode).filter((code) => code !== ErrorCode.INTERNAL));

/**
 * The code of an error the client caused or expects (bad document, bad input, NOT_FOUND,
 * GATE_FAILED...), or null for a fault of ours that the log must show with its stack.
 */
export function clientErrorCode(error: GraphQLError): string | null {
  const original = error.originalError;
  if (isRegistryError(original)) return original.code;
  if (isArgumentCoercionError(original)) return ErrorCode.INVALID_INPUT;
  const code = error.extensions?.code;
  if (typeof code !== 'string') return null;
  // A resolver's plain Error also arrives with a code (INTERNAL_SERVER_ERROR): that is ours.
  if (APOLLO_CLIENT_CODES.has(code) || OUR_CODES.has(code)) return code;
  return null;
}
