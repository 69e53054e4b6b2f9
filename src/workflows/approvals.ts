import { EXCLUSIVE_STAGES, Stage, type ModelVersion } from '../core/index.ts';
import { ApprovalStatus, type ApprovalRequest, type GatewayStore } from '../store/index.ts';

/** Why a pending request no longer stands after `version` moved to `stage` (taking `archived` out), or null. */
export function supersededBy(request: ApprovalRequest, moved: { version: string; stage: Stage }, archived: readonly ModelVersion[]): string | null {
  if (request.version === moved.version && request.fromStage && moved.stage !== request.fromStage) {
    return `version ${moved.version} left ${request.fromStage} for ${moved.stage}`;
  }
  if (archived.some((v) => v.version === request.version) && request.fromStage !== Stage.ARCHIVED) return `version ${request.version} was archived`;
  if (request.version !== moved.version && request.targetStage === moved.stage && EXCLUSIVE_STAGES.includes(moved.stage)) {
    return `version ${moved.version} reached ${moved.stage}`;
  }
  return null;
}

/** After a stage move on a model, its pending requests that no longer stand become SUPERSEDED, saying why. */
export async function supersedeAfterMove(
  store: GatewayStore,
  registry: string,
  model: string,
  moved: { version: string; stage: Stage },
  archived: readonly ModelVersion[],
): Promise<void> {
  const pending = await store.listApprovals({ registry, model, status: ApprovalStatus.PENDING, limit: 200 });
  for (const request of pending) {
    const why = supersededBy(request, moved, archived);
    if (why) await store.saveApproval({ ...request, status: ApprovalStatus.SUPERSEDED, reason: why, decidedAt: new Date() }, ApprovalStatus.PENDING);
  }
}
