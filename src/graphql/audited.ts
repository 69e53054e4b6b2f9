import { isRegistryError } from '../core/index.ts';
import type { GatewayContext } from './context.ts';

export interface AuditTarget {
  action: string;
  registry: string;
  model: string | null;
  version?: string | null;
  /** What the call asked for, recorded as `after` when it fails. */
  input?: unknown;
}

/**
 * Runs a mutation and writes its audit event: OK with what changed, or the error code it
 * ended in. Errors without a code (bugs) are recorded as INTERNAL and still rethrown.
 */
export async function audited<T>(ctx: GatewayContext, target: AuditTarget, run: () => Promise<T>, after: (result: T) => unknown = () => target.input): Promise<T> {
  const event = { principal: ctx.principal, action: target.action, registry: target.registry, model: target.model, version: target.version ?? null, before: null };
  try {
    const result = await run();
    await ctx.store.appendAudit({ ...event, after: after(result) ?? null, result: 'OK', detail: null });
    return result;
  } catch (error) {
    const code = isRegistryError(error) ? error.code : 'INTERNAL';
    await ctx.store.appendAudit({ ...event, after: target.input ?? null, result: code, detail: isRegistryError(error) ? error.message : null });
    throw error;
  }
}
