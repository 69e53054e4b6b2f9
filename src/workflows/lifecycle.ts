import {
  ErrorCode,
  RegistryError,
  Stage,
  VersionOrder,
  checkNote,
  checkReason,
  versionKeyId,
  modelNotFound,
  versionNotFound,
  type ModelVersion,
  type RegistryAdapter,
  type RegistrySet,
  type TraceScope,
} from '../core/index.ts';
import { ApprovalStatus, auditKey, issueCheckpoint, type ApprovalRequest, type AuditCheckpoint, type GatewayStore } from '../store/index.ts';
import { refuseWhileUnsettled, type Caller, type CommandRunner, type CommandStep, type Permission } from './command.ts';
import { reviveDates } from './idempotency.ts';
import { evaluateGates, type GateReport } from './gates.ts';
import { policyFor, type Policy } from './policy.ts';
import { supersedeAfterMove } from './approvals.ts';
import { ROLLBACK_REASON, ROLLED_BACK_AT, clearStaleProductionTags, withdrawnByRollback } from './production-tags.ts';
import { transitionStage } from './transition.ts';

export enum PromotionStatus {
  PROMOTED = 'PROMOTED',
  PENDING_APPROVAL = 'PENDING_APPROVAL',
  DRY_RUN = 'DRY_RUN',
}

export interface PromotionResult {
  status: PromotionStatus;
  version: ModelVersion;
  report: GateReport;
  archived: ModelVersion[];
  approvalRequest: ApprovalRequest | null;
  /** What a dry run would have done: PROMOTE, REQUIRE_APPROVAL or FAIL. */
  wouldDo: string | null;
  /** Answered from the stored outcome of an earlier call with the same idempotency key. */
  replayed?: boolean;
}

export enum RollbackRule {
  EXPLICIT = 'EXPLICIT',
  PRODUCTION_HISTORY = 'PRODUCTION_HISTORY',
  HIGHEST_ARCHIVED = 'HIGHEST_ARCHIVED',
}

export interface ApprovalOutcome {
  request: ApprovalRequest;
  /** Set when this approval completed the promotion. */
  promotion: PromotionResult | null;
  /** Answered from the stored outcome of an earlier call with the same idempotency key. */
  replayed?: boolean;
}

export interface RollbackResult {
  rule: RollbackRule;
  from: ModelVersion[];
  to: ModelVersion;
}

export interface DegradationResult {
  productionVersion: ModelVersion;
  metric: string;
  recorded: number;
  observed: number;
  tolerance: number;
  goal: 'MAXIMIZE' | 'MINIMIZE';
  degraded: boolean;
  rollback: RollbackResult | null;
}

export interface PromoteRequest {
  registry?: string | null;
  name: string;
  version: string;
  targetStage: Stage;
  dryRun?: boolean;
  comment?: string | null;
  idempotencyKey?: string | null;
}

export interface RollbackRequest {
  registry?: string | null;
  name: string;
  toVersion?: string | null;
  reason: string;
}

export interface DegradationRequest {
  registry?: string | null;
  name: string;
  metric: string;
  observed: number;
  tolerance: number;
  goal?: 'MAXIMIZE' | 'MINIMIZE';
  autoRollback: boolean;
}

export const promotePermission = (stage: Stage): Permission =>
  stage === Stage.PRODUCTION || stage === Stage.ARCHIVED ? 'promote:production' : 'promote:staging';

/**
 * Promotion, approvals, rollback and degradation, written once over the port. Each is one
 * command through the pipeline: serialised per model, intent before the first backend write,
 * every outcome and refusal an audit event.
 */
export class Lifecycle {
  constructor(
    private readonly registries: RegistrySet,
    private readonly store: GatewayStore,
    private readonly policies: readonly Policy[],
    private readonly commands: CommandRunner,
  ) {}

  /** `scope`: the asking request's trace, whose span the reads hang under (tracing on). */
  async evaluate(registryId: string | null | undefined, name: string, version: string, targetStage: Stage, scope?: TraceScope): Promise<GateReport> {
    const registry = this.registries.get(registryId, scope);
    const found = await requireVersion(registry, name, version);
    return evaluateGates(registry, found, policyFor(this.policies, registry.id, name, targetStage));
  }

  promote(caller: Caller, request: PromoteRequest): Promise<PromotionResult> {
    const registry = this.registries.get(request.registry, caller.trace);
    const dryRun = Boolean(request.dryRun);
    const stage = request.targetStage;
    return this.commands.run(caller, {
      action: 'promote',
      registry,
      model: request.name,
      version: request.version,
      permissions: [promotePermission(stage)],
      input: { version: request.version, targetStage: stage, dryRun, comment: request.comment ?? null },
      // A dry run changes nothing, so it is never answered from, nor stored as, a key's outcome.
      idempotencyKey: dryRun ? null : request.idempotencyKey,
      validate: () => checkNote('comment', request.comment),
      // Moving another version before an unsettled move is settled would have the sweep archive it, or record that move as never made; a dry run moves nothing.
      waitsForSettled: !dryRun,
      run: async (step): Promise<PromotionResult> => {
        step.detail(request.comment ?? null);
        const version = await requireVersion(registry, request.name, request.version);
        step.before({ stage: version.stage });
        const policy = policyFor(this.policies, registry.id, request.name, stage);
        const report = await evaluateGates(registry, version, policy);
        if (dryRun) {
          const wouldDo = !report.passed ? 'FAIL' : policy.approvals > 0 ? 'REQUIRE_APPROVAL' : 'PROMOTE';
          return { status: PromotionStatus.DRY_RUN, version, report, archived: [], approvalRequest: null, wouldDo };
        }
        if (!report.passed) throw gateFailed(report, stage);
        if (policy.approvals > 0) {
          // One open request per version and target stage: asking again answers with it.
          await this.store.expireApprovals(new Date());
          const open = await this.store.findPendingApproval(registry.id, request.name, request.version, stage);
          const approvalRequest =
            open ??
            (await this.store.createApproval({
              registry: registry.id,
              model: request.name,
              version: request.version,
              targetStage: stage,
              fromStage: version.stage,
              expiresAt: policy.approvalTtlMs ? new Date(Date.now() + policy.approvalTtlMs) : null,
              requestedBy: caller.principal,
              comment: request.comment ?? null,
              requiredApprovals: policy.approvals,
              allowSelfApproval: policy.allowSelfApproval,
              report,
            }));
          return { status: PromotionStatus.PENDING_APPROVAL, version, report, archived: [], approvalRequest, wouldDo: null };
        }
        const moved = await this.move(step, registry, version, stage, null);
        return { status: PromotionStatus.PROMOTED, version: moved.version, report, archived: moved.archived, approvalRequest: null, wouldDo: null };
      },
      after: (result) => promotionAfter(result, stage),
      result: (result) => (result.status === PromotionStatus.PROMOTED ? 'OK' : result.status),
      revive: (stored) => ({ ...(reviveDates(stored) as PromotionResult), replayed: true }),
    });
  }

  async approve(caller: Caller, id: string, comment: string | null, idempotencyKey?: string | null): Promise<ApprovalOutcome> {
    const found = await this.visibleApproval(caller, 'approve', id, { comment });
    const registry = this.registries.get(found.registry, caller.trace);
    return this.commands.run(caller, {
      action: 'approve',
      registry,
      model: found.model,
      version: found.version,
      permissions: ['approve'],
      input: { id, comment },
      idempotencyKey,
      validate: () => checkNote('comment', comment),
      // A move left unsettled (its process died before saving its decision) may be this very request's approval.
      waitsForSettled: true,
      run: async (step): Promise<ApprovalOutcome> => {
        step.detail(comment);
        // Read again under the model's lock: another decision, a move or the clock may have come first.
        await this.store.expireApprovals(new Date());
        const request = await this.requireApproval(id);
        if (request.status !== ApprovalStatus.PENDING) throw noLongerPending(request);
        const [current] = await registry.getVersions([{ name: request.model, version: request.version }]);
        // The version moved behind the gateway's back (or is gone): the request no longer stands.
        if (!current || (request.fromStage && current.stage !== request.fromStage)) {
          const why = current ? `version ${request.version} left ${request.fromStage} for ${current.stage}` : `version ${request.version} no longer exists`;
          const superseded = { ...request, status: ApprovalStatus.SUPERSEDED, reason: why, decidedAt: new Date() };
          await this.store.saveApproval(superseded, ApprovalStatus.PENDING);
          throw noLongerPending(superseded);
        }
        if (request.requestedBy === caller.principal && !request.allowSelfApproval) {
          throw new RegistryError(ErrorCode.FORBIDDEN, 'An approval must come from someone other than the requester');
        }
        if (request.approvals.some((vote) => vote.principal === caller.principal)) {
          throw new RegistryError(ErrorCode.CONFLICT, `${caller.principal} has already approved request ${id}`);
        }
        const voted = { ...request, approvals: [...request.approvals, { principal: caller.principal, at: new Date(), comment }] };
        if (voted.approvals.length < request.requiredApprovals) {
          if (!(await this.store.saveApproval(voted, ApprovalStatus.PENDING))) throw new RegistryError(ErrorCode.CONFLICT, `Approval request ${id} changed meanwhile`);
          return { request: voted, promotion: null };
        }
        // Enough approvals: the gates must still hold now (on the version as just read), not only when the request was opened.
        const version = current;
        step.before({ stage: version.stage });
        const report = await evaluateGates(registry, version, policyFor(this.policies, registry.id, request.model, request.targetStage));
        if (!report.passed) throw gateFailed(report, request.targetStage);
        const decided = { ...voted, status: ApprovalStatus.APPROVED, decidedBy: caller.principal, decidedAt: new Date() };
        const moved = await this.move(step, registry, version, request.targetStage, decided);
        return {
          request: decided,
          promotion: { status: PromotionStatus.PROMOTED, version: moved.version, report, archived: moved.archived, approvalRequest: decided, wouldDo: null },
        };
      },
      after: (outcome) => (outcome.promotion ? promotionAfter(outcome.promotion, found.targetStage) : { approvals: outcome.request.approvals.length }),
      result: (outcome) => (outcome.promotion ? 'OK' : 'PENDING_APPROVAL'),
      revive: (stored) => {
        const outcome = reviveDates(stored) as ApprovalOutcome;
        return { ...outcome, promotion: outcome.promotion && { ...outcome.promotion, replayed: true }, replayed: true };
      },
    });
  }

  async reject(caller: Caller, id: string, reason: string, idempotencyKey?: string | null): Promise<ApprovalRequest> {
    const found = await this.visibleApproval(caller, 'reject', id, { reason });
    return this.commands.run(caller, {
      action: 'reject',
      registry: this.registries.get(found.registry, caller.trace),
      model: found.model,
      version: found.version,
      permissions: ['approve'],
      input: { id, reason },
      idempotencyKey,
      validate: () => checkReason('rejection', reason),
      waitsForSettled: true,
      run: async (step) => {
        step.detail(reason);
        await this.store.expireApprovals(new Date());
        const request = await this.requireApproval(id);
        if (request.status !== ApprovalStatus.PENDING) throw noLongerPending(request);
        const rejected = { ...request, status: ApprovalStatus.REJECTED, decidedBy: caller.principal, decidedAt: new Date(), reason };
        if (!(await this.store.saveApproval(rejected, ApprovalStatus.PENDING))) throw new RegistryError(ErrorCode.CONFLICT, `Approval request ${id} changed meanwhile`);
        return rejected;
      },
      after: () => ({ status: ApprovalStatus.REJECTED }),
      result: () => 'REJECTED',
      revive: (stored) => reviveDates(stored) as ApprovalRequest,
    });
  }

  rollback(caller: Caller, request: RollbackRequest): Promise<RollbackResult> {
    const registry = this.registries.get(request.registry, caller.trace);
    return this.commands.run(caller, {
      action: 'rollback',
      registry,
      model: request.name,
      version: request.toVersion ?? null,
      permissions: ['rollback'],
      input: { toVersion: request.toVersion ?? null, reason: request.reason },
      validate: () => checkReason('rollback', request.reason),
      run: (step) => {
        step.detail(request.reason);
        return this.rollBack(step, registry, request.name, request.toVersion ?? null, request.reason);
      },
      after: (result) => ({ production: result.to.version, archived: result.from.map((v) => v.version), rule: result.rule }),
    });
  }

  checkDegradation(caller: Caller, request: DegradationRequest): Promise<DegradationResult> {
    const registry = this.registries.get(request.registry, caller.trace);
    return this.commands.run(caller, {
      action: 'checkDegradation',
      registry,
      model: request.name,
      permissions: [request.autoRollback ? 'rollback' : 'read'],
      input: { metric: request.metric, observed: request.observed, tolerance: request.tolerance, goal: request.goal ?? 'MAXIMIZE', autoRollback: request.autoRollback },
      validate: () => {
        if (!Number.isFinite(request.observed) || !Number.isFinite(request.tolerance) || request.tolerance < 0) {
          throw new RegistryError(ErrorCode.INVALID_INPUT, 'observed must be a finite number and tolerance a finite number >= 0');
        }
      },
      run: async (step) => {
        const [production] = await this.inStage(registry, request.name, Stage.PRODUCTION);
        if (!production) throw new RegistryError(ErrorCode.NOT_FOUND, `Model '${request.name}' has no version in PRODUCTION`, { registry: registry.id });
        const recorded = (await registry.getMetrics([production])).get(versionKeyId(production))?.metrics[request.metric];
        if (recorded === undefined) {
          throw new RegistryError(ErrorCode.INVALID_INPUT, `Production version ${production.version} has no recorded ${request.metric} to compare with`, { registry: registry.id });
        }
        const goal = request.goal ?? 'MAXIMIZE';
        const degraded = goal === 'MAXIMIZE' ? request.observed < recorded - request.tolerance : request.observed > recorded + request.tolerance;
        const detail = `${request.metric}: observed ${request.observed}, recorded ${recorded}, tolerance ${request.tolerance}`;
        step.detail(detail);
        step.before({ production: production.version });
        const rollback = degraded && request.autoRollback ? await this.rollBack(step, registry, request.name, null, `degradation: ${detail}`) : null;
        return { productionVersion: production, metric: request.metric, recorded, observed: request.observed, tolerance: request.tolerance, goal, degraded, rollback };
      },
      after: (result) => ({ degraded: result.degraded, ...(result.rollback ? { production: result.rollback.to.version, rule: result.rollback.rule } : {}) }),
      result: (result) => (result.rollback ? 'ROLLED_BACK' : result.degraded ? 'DEGRADED' : 'OK'),
    });
  }

  /** Signs the audit log's head and keeps the checkpoint (administrators; the key comes from the environment). */
  auditCheckpoint(caller: Caller): Promise<AuditCheckpoint> {
    return this.commands.run(caller, {
      action: 'auditCheckpoint',
      registry: null,
      model: null,
      permissions: ['admin'],
      input: {},
      run: () => issueCheckpoint(this.store, auditKey()),
      after: (checkpoint) => ({ seq: checkpoint.seq, hash: checkpoint.hash, at: checkpoint.at }),
    });
  }

  /** Moves the version (archiving the previous holders for PRODUCTION) and leaves a record of who did it. */
  private async move(step: CommandStep, registry: RegistryAdapter, version: ModelVersion, stage: Stage, approval: ApprovalRequest | null) {
    const production = stage === Stage.PRODUCTION;
    const tags = production ? { promoted_at: tagValue(registry, new Date().toISOString()), promoted_by: tagValue(registry, step.principal) } : undefined;
    const removeTags = production && withdrawnByRollback(version) ? [ROLLBACK_REASON] : undefined;
    await step.intend({ kind: 'stage', version: version.version, stage, archive: production, tags, removeTags, ...(approval ? { approval } : {}) });
    const moved = await transitionStage(registry, version, stage, { archiveExisting: production });
    if (tags) await registry.setTags(version, tags, removeTags ?? []);
    if (production) await clearStaleProductionTags(registry, null, moved.archived);
    // Under the model's lock every decision on the request waits for this one, so the save cannot lose.
    if (approval && !(await this.store.saveApproval(approval, ApprovalStatus.PENDING))) throw new RegistryError(ErrorCode.CONFLICT, `Approval request ${approval.id} changed meanwhile`);
    if (production) step.enteredProduction(version.version);
    await supersedeAfterMove(this.store, registry.id, version.name, { version: version.version, stage }, moved.archived);
    const [fresh, ...archived] = await registry.getVersions([version, ...moved.archived]);
    return { version: fresh ?? moved.version, archived: archived.map((v, i) => v ?? moved.archived[i]!) };
  }

  /** The rollback itself, shared by `rollback` and an automatic rollback after a degradation. */
  private async rollBack(step: CommandStep, registry: RegistryAdapter, name: string, toVersion: string | null, reason: string): Promise<RollbackResult> {
    // Here rather than as the command's waitsForSettled: checkDegradation decides to roll back only midway, and a plain check still answers.
    await refuseWhileUnsettled(this.store, registry.id, name);
    const current = await this.inStage(registry, name, Stage.PRODUCTION);
    const { target, rule } = await this.rollbackTarget(registry, name, current, toVersion);
    step.before({ production: current.map((v) => v.version) });
    if (!target) {
      throw new RegistryError(ErrorCode.NO_ROLLBACK_TARGET, `No version of '${name}' to roll back to: no earlier production version and nothing archived`, { registry: registry.id });
    }
    // A reason too long for this backend's tag values is not cut: the tag points to the audit event that holds it whole.
    const fitted = tagValue(registry, reason);
    const reasonTag = fitted.length <= registry.capabilities().limits.tagValue.maxLength ? fitted : 'see-audit-log';
    const tags = { [ROLLED_BACK_AT]: tagValue(registry, new Date().toISOString()) };
    const removeTags = withdrawnByRollback(target) ? [ROLLBACK_REASON] : [];
    await step.intend({ kind: 'stage', version: target.version, stage: Stage.PRODUCTION, archive: true, tags, removeTags });
    const moved = await transitionStage(registry, target, Stage.PRODUCTION, { archiveExisting: true });
    for (const version of moved.archived) {
      await registry.setTags(version, { [ROLLBACK_REASON]: reasonTag }, Object.hasOwn(version.tags, ROLLED_BACK_AT) ? [ROLLED_BACK_AT] : []);
    }
    await registry.setTags(target, tags, removeTags);
    step.enteredProduction(target.version);
    await supersedeAfterMove(this.store, registry.id, name, { version: target.version, stage: Stage.PRODUCTION }, moved.archived);
    const read = await registry.getVersions([target, ...moved.archived]);
    const [to, ...from] = read.map((v, i) => v ?? [moved.version, ...moved.archived][i]!);
    return { rule, from, to: to! };
  }

  private async rollbackTarget(registry: RegistryAdapter, name: string, current: ModelVersion[], toVersion: string | null) {
    const currentNumbers = new Set(current.map((v) => v.version));
    if (toVersion) {
      const target = await requireVersion(registry, name, toVersion);
      if (currentNumbers.has(target.version)) throw new RegistryError(ErrorCode.INVALID_INPUT, `Version ${toVersion} is already in PRODUCTION`);
      return { target, rule: RollbackRule.EXPLICIT };
    }
    // The most recent earlier production version that a rollback has not itself withdrawn.
    const seen = new Set(currentNumbers);
    for (const record of await this.store.productionHistory(registry.id, name)) {
      if (seen.has(record.version)) continue;
      seen.add(record.version);
      const [version] = await registry.getVersions([{ name, version: record.version }]);
      if (version && !withdrawnByRollback(version)) return { target: version, rule: RollbackRule.PRODUCTION_HISTORY };
    }
    const archived = (await this.inStage(registry, name, Stage.ARCHIVED)).find((version) => !withdrawnByRollback(version));
    return { target: archived ?? null, rule: RollbackRule.HIGHEST_ARCHIVED };
  }

  /** Versions in a stage, newest first. */
  private async inStage(registry: RegistryAdapter, name: string, stage: Stage): Promise<ModelVersion[]> {
    const page = await registry.listVersions(name, { stages: [stage], order: VersionOrder.NEWEST_FIRST }, { first: 200 });
    return page.items;
  }

  /** An approval request the caller may see; anything else is NOT_FOUND, audited like every refusal. */
  private async visibleApproval(caller: Caller, action: string, id: string, input: Record<string, unknown>): Promise<ApprovalRequest> {
    const request = await this.store.getApproval(id);
    if (request && (caller.sees?.(request.registry, request.model) ?? true)) return request;
    const error = new RegistryError(ErrorCode.NOT_FOUND, `No approval request ${id}`);
    await this.commands.refuse(caller, { action, registry: null, model: null, version: null }, { id, ...input }, error);
    throw error;
  }

  private async requireApproval(id: string): Promise<ApprovalRequest> {
    const request = await this.store.getApproval(id);
    if (!request) throw new RegistryError(ErrorCode.NOT_FOUND, `No approval request ${id}`);
    return request;
  }
}

async function requireVersion(registry: RegistryAdapter, name: string, version: string): Promise<ModelVersion> {
  const [found] = await registry.getVersions([{ name, version }]);
  // A missing model is named as such, as the adapters do, so a miss reads the same on every path.
  if (!found) throw ((await registry.getModel(name)) ? versionNotFound({ name, version }) : modelNotFound(name)).withRegistry(registry.id);
  return found;
}

/** A request that can no longer be voted on: CONFLICT saying what became of it. */
const noLongerPending = (request: ApprovalRequest) =>
  new RegistryError(ErrorCode.CONFLICT, `Approval request ${request.id} is ${request.status}${request.reason && request.status !== ApprovalStatus.REJECTED ? `: ${request.reason}` : ''}`, {
    details: { status: request.status, reason: request.reason },
  });

/** What a promotion's outcome event records. */
function promotionAfter(result: PromotionResult, stage: Stage): unknown {
  if (result.status === PromotionStatus.PROMOTED) return { stage, archived: result.archived.map((v) => v.version) };
  if (result.status === PromotionStatus.PENDING_APPROVAL) return { approvalRequest: result.approvalRequest?.id ?? null };
  return { wouldDo: result.wouldDo };
}


function gateFailed(report: GateReport, stage: Stage): RegistryError {
  return new RegistryError(ErrorCode.GATE_FAILED, `Gates for ${stage} failed: ${failures(report)}`, { details: { report } });
}

const failures = (report: GateReport) => report.checks.filter((c) => !c.passed).map((c) => c.message).join('; ');

/**
 * A value every backend can hold as a tag: as is where the backend's rule allows it, else
 * lowered to Vertex's label alphabet (lossy; the audit event keeps the exact text).
 */
export function tagValue(registry: RegistryAdapter, value: string): string {
  const rule = registry.capabilities().limits.tagValue;
  if (!rule.pattern || rule.pattern.test(value)) return value;
  return value.toLowerCase().replace(/[^a-z0-9_-]/g, '-');
}
