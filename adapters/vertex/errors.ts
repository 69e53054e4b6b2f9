import { ErrorCode, RegistryError } from '../../src/core/index.ts';

/** gRPC status codes (google.rpc.Code). */
const GRPC = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

export interface GrpcCall {
  /** The RPC changes Vertex: given up on after sending, its outcome is unknown. */
  write: boolean;
  /** The call's deadline passed and its signal cancelled the RPC. */
  aborted: boolean;
  rpc?: string;
}

/** Maps a gRPC/gax error to the core codes, naming the registry. */
export function mapGrpcError(error: unknown, registry: string, call: GrpcCall = { write: false, aborted: false }): RegistryError {
  if (error instanceof RegistryError) return error.withRegistry(registry);
  const grpc = (error ?? {}) as { code?: number; details?: string; message?: string };
  const message = grpc.details || grpc.message || String(error);
  const fail = (code: ErrorCode, text = message) => new RegistryError(code, text, { registry, details: { backendCode: grpc.code ?? 'unknown' } });
  // Sent, then given up on (the call's deadline or gRPC's own): Vertex may have applied it.
  if (call.aborted || grpc.code === GRPC.DEADLINE_EXCEEDED || grpc.code === GRPC.CANCELLED) {
    const rpc = call.rpc ?? 'the call';
    const what = call.aborted ? `Vertex AI did not answer ${rpc} before the deadline; it was cancelled` : `Vertex AI is unavailable: ${message}`;
    return new RegistryError(ErrorCode.BACKEND_UNAVAILABLE, call.write ? `${what}; it may have been applied` : what, {
      registry,
      details: { backendCode: grpc.code ?? 'unknown' },
      outcome: call.write ? 'UNKNOWN' : undefined,
    });
  }
  switch (grpc.code) {
    case GRPC.NOT_FOUND:
      return fail(ErrorCode.NOT_FOUND);
    case GRPC.INVALID_ARGUMENT:
    case GRPC.FAILED_PRECONDITION:
      return fail(ErrorCode.INVALID_INPUT);
    case GRPC.ALREADY_EXISTS:
      return fail(ErrorCode.ALREADY_EXISTS);
    case GRPC.ABORTED:
      return fail(ErrorCode.CONFLICT);
    case GRPC.PERMISSION_DENIED:
      return fail(ErrorCode.FORBIDDEN, 'Vertex AI denied the operation to these credentials');
    case GRPC.UNAUTHENTICATED:
      return fail(ErrorCode.UNAUTHENTICATED, 'Vertex AI refused the credentials');
    case GRPC.UNIMPLEMENTED:
      return fail(ErrorCode.UNSUPPORTED);
    case GRPC.UNAVAILABLE:
    case GRPC.DEADLINE_EXCEEDED:
    case GRPC.RESOURCE_EXHAUSTED:
    case GRPC.CANCELLED:
      return fail(ErrorCode.BACKEND_UNAVAILABLE, `Vertex AI is unavailable: ${message}`);
    default:
      return fail(ErrorCode.BACKEND_UNAVAILABLE, `Vertex AI call failed: ${message}`);
  }
}
