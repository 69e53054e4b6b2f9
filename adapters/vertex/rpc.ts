import type { v1 } from '@google-cloud/aiplatform';
import { ErrorCode, RegistryError, type CallContext } from '../../src/core/index.ts';
import { mapGrpcError } from './errors.ts';

/** Vertex RPCs that change something; given up on after sending, their outcome is unknown. */
const WRITES: ReadonlySet<string> = new Set(['updateModel', 'deleteModel', 'uploadModel', 'importModelEvaluation', 'deleteModelVersion', 'mergeVersionAliases']);
const READS: ReadonlySet<string> = new Set(['getModel', 'listModels', 'listModelVersions', 'listModelEvaluations']);

type GaxOptions = { timeout?: number; otherArgs?: { headers?: Record<string, string> } };
type GaxCall = (request: unknown, options?: GaxOptions) => Promise<unknown> & { cancel?: () => void };

/**
 * The gax client as the adapter calls it: every RPC's errors mapped (a write's timeout or cancel
 * is an UNKNOWN outcome) and, for one call's view, its gRPC deadline capped at what is left of the
 * call's deadline and the RPC cancelled when the call's signal aborts.
 */
export function rpcClient(client: v1.ModelServiceClient, registry: string, context?: CallContext): v1.ModelServiceClient {
  return new Proxy(client, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof property !== 'string' || typeof value !== 'function' || !(WRITES.has(property) || READS.has(property))) return value;
      const write = WRITES.has(property);
      return async (request: unknown, options: GaxOptions = {}) => {
        const signal = context?.signal;
        if (signal?.aborted) {
          throw new RegistryError(ErrorCode.BACKEND_UNAVAILABLE, `Vertex AI did not answer before the deadline; ${property} was not sent`, { registry });
        }
        const left = context ? Math.max(1, context.deadline - Date.now()) : undefined;
        const timeout = left === undefined ? options.timeout : Math.min(options.timeout ?? left, left);
        // The caller's trace continues as gRPC metadata (W3C traceparent), which Google's front ends accept.
        const traced = context?.trace ? { otherArgs: { ...options.otherArgs, headers: { ...options.otherArgs?.headers, ...context.trace.headers } } } : {};
        const pending = (value as GaxCall).call(target, request, { ...options, timeout, ...traced });
        const cancel = () => pending.cancel?.();
        signal?.addEventListener('abort', cancel, { once: true });
        try {
          return await pending;
        } catch (error) {
          throw mapGrpcError(error, registry, { write, aborted: signal?.aborted ?? false, rpc: property });
        } finally {
          signal?.removeEventListener('abort', cancel);
        }
      };
    },
  });
}
