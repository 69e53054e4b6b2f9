import { ErrorCode, RegistryError } from '../../src/core/index.ts';

/** What the AWS SDK throws: a ServiceException with a name, or a transport/parse failure. */
interface AwsError {
  name?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
  $response?: { statusCode?: number };
  code?: string;
}

export interface AwsCall {
  /** The operation changes SageMaker: given up on after sending, its outcome is unknown. */
  write: boolean;
  /** The call's deadline passed and its signal aborted the request. */
  aborted: boolean;
}

/** Maps an AWS SDK error to the core codes, naming the registry; never lets a SyntaxError out. */
export function mapAwsError(error: unknown, registry: string, operation: string, call: AwsCall = { write: false, aborted: false }): RegistryError {
  if (error instanceof RegistryError) return error.withRegistry(registry);
  const aws = (error ?? {}) as AwsError;
  const name = aws.name ?? '';
  const message = aws.message ?? String(error);
  const status = aws.$metadata?.httpStatusCode ?? aws.$response?.statusCode;
  const fail = (code: ErrorCode, text = message) =>
    new RegistryError(code, text, { registry, details: { backendCode: name || `HTTP_${status ?? '?'}`, operation } });

  // Sent, then given up on (deadline, the SDK's request timeout, a dropped connection): it may have landed.
  const givenUp = call.aborted || /^(AbortError|TimeoutError|RequestTimeout)/.test(name) || /ECONNRESET|socket hang up/i.test(`${aws.code} ${message}`);
  if (givenUp && !aws.$metadata?.httpStatusCode) {
    const what = call.aborted ? `SageMaker did not answer ${operation} before the deadline; the request was cancelled` : `Cannot reach SageMaker for ${operation}: ${message}`;
    return new RegistryError(ErrorCode.BACKEND_UNAVAILABLE, call.write ? `${what}; it may have been applied` : what, {
      registry,
      details: { backendCode: name || 'TRANSPORT', operation },
      outcome: call.write ? 'UNKNOWN' : undefined,
    });
  }

  if (name === 'ValidationException') {
    if (/does not exist|not found|cannot find|could not find/i.test(message)) return fail(ErrorCode.NOT_FOUND);
    if (/already exist/i.test(message)) return fail(ErrorCode.ALREADY_EXISTS);
    return fail(ErrorCode.INVALID_INPUT);
  }
  if (name === 'ResourceNotFound' || name === 'ResourceNotFoundException') return fail(ErrorCode.NOT_FOUND);
  if (name === 'ConflictException' || name === 'ResourceInUse') return fail(ErrorCode.CONFLICT);
  if (name === 'ResourceLimitExceeded') return fail(ErrorCode.INVALID_INPUT, `SageMaker limit reached: ${message}`);
  if (name === 'AccessDeniedException' || status === 403) return fail(ErrorCode.FORBIDDEN, `SageMaker denied ${operation} to these credentials`);
  if (/UnrecognizedClient|InvalidSignature|ExpiredToken|MissingAuthenticationToken/.test(name) || status === 401) {
    return fail(ErrorCode.UNAUTHENTICATED, `SageMaker refused the credentials for ${operation}`);
  }
  if (/Throttl|TooManyRequests|RequestLimitExceeded/.test(name) || status === 429) {
    return fail(ErrorCode.BACKEND_UNAVAILABLE, `SageMaker throttled ${operation} after the SDK's retries`);
  }
  // A 5xx without a JSON body reaches us as a deserialization error: say what happened instead.
  if (error instanceof SyntaxError || /Deserialization|Unexpected token|not valid JSON/i.test(message)) {
    return fail(
      ErrorCode.BACKEND_UNAVAILABLE,
      `SageMaker answered ${operation}${status ? ` with HTTP ${status}` : ''} and a body that is not JSON (an emulator without this operation answers so)`,
    );
  }
  if (aws.$fault === 'server' || (status !== undefined && status >= 500)) return fail(ErrorCode.BACKEND_UNAVAILABLE);
  if (/ECONNREFUSED|ECONNRESET|ETIMEDOUT|TimeoutError|socket hang up|EHOSTUNREACH|ENOTFOUND/i.test(`${name} ${aws.code} ${message}`)) {
    return fail(ErrorCode.BACKEND_UNAVAILABLE, `Cannot reach SageMaker for ${operation}: ${message}`);
  }
  if (aws.$fault === 'client') return fail(ErrorCode.INVALID_INPUT);
  return fail(ErrorCode.BACKEND_UNAVAILABLE, `SageMaker ${operation} failed: ${message}`);
}
