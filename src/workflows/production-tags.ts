import type { ModelVersion, RegistryAdapter } from '../core/index.ts';

/** On a version a rollback took out of PRODUCTION, until it returns there. */
export const ROLLBACK_REASON = 'rollback_reason';
/** On the version a rollback put into PRODUCTION, while it stays there. */
export const ROLLED_BACK_AT = 'rolled_back_at';

/** Whether a rollback withdrew this version and nothing has put it back since. */
export const withdrawnByRollback = (version: ModelVersion) => Object.hasOwn(version.tags, ROLLBACK_REASON);

/**
 * Tags describe the present, the audit log the past: a version back in PRODUCTION is no longer
 * withdrawn, and one that left PRODUCTION is no longer the rollback's reinstated version.
 */
export async function clearStaleProductionTags(registry: RegistryAdapter, entered: ModelVersion | null, left: readonly ModelVersion[]): Promise<void> {
  if (entered && withdrawnByRollback(entered)) await registry.setTags(entered, {}, [ROLLBACK_REASON]);
  for (const version of left) if (Object.hasOwn(version.tags, ROLLED_BACK_AT)) await registry.setTags(version, {}, [ROLLED_BACK_AT]);
}
