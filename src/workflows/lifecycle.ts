import {
  ErrorCode,
  RegistryError,
  Stage,
  VersionOrder,
  isRegistryError,
  versionKeyId,
  modelNotFound,
  versionNotFound,
  type ModelVersion,
  type RegistryAdapter,
  type RegistrySet,
} from '../core/index.ts';
import { ApprovalStatus, type ApprovalRequest, type GatewayStore, type NewAuditEvent } from '../store/index.ts';
import { evaluateGates, type GateReport } from './gates.ts';
import { policyFor, type Policy } from './policy.ts';
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
}

export enum RollbackRule {
  EXPLICIT = 'EXPLICIT',
  PRODUCTION_HISTORY = 'PRODUCTION_HISTORY',
  HIGHEST_ARCHIVED = 'HIGHEST_ARCHIVED',
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
  principal: string;
}

/**
 * Promotion, approvals, rollback and degradation, written once over the port. Work on one
 * model is serialised by the store's lock (across processes on PostgreSQL), and every
 * change and refusal is an audit event.
 */
export class Lifecycle {
  constructor(
    private readonly registries: RegistrySet,
    private readonly store: GatewayStore,
    private readonly policies: readonly Policy[],
  ) {}

  async evaluate(registryId: string | null | undefined, name: string, version: string, targetStage: Stage): Promise<GateReport> {
    const registry = this.registries.get(registryId);
    const found = await this.requireVersion(registry, name, version);
    return evaluateGates(registry, found, policyFor(this.policies, registry.id, name, targetStage));
  }

  async promote(request: PromoteRequest): Promise<PromotionResult> {
    const registry = this.registries.get(request.registry);
    return this.store.withLock(lockKey(registry.id, request.name), () =>
      this.once(`promote:${registry.id}`, request.idempotencyKey, async () => {
        const version = await this.requireVersion(registry, request.name, request.version);
        const policy = policyFor(this.policies, registry.id, request.name, request.targetStage);
        const report = await evaluateGates(registry, version, policy);
        const base = { principal: request.principal, registry: registry.id, model: request.name, version: request.version };
        if (request.dryRun) {
          const wouldDo = !report.passed ? 'FAIL' : policy.approvals > 0 ? 'REQUIRE_APPROVAL' : 'PROMOTE';
          return { status: PromotionStatus.DRY_RUN, version, report, archived: [], approvalRequest: null, wouldDo };
        }
        if (!report.passed) {
          await this.audit({ ...base, action: 'promote', before: { stage: version.stage }, after: { stage: request.targetStage }, result: 'GATE_FAILED', detail: failures(report) });
          throw gateFailed(report, request.targetStage);
        }
        if (policy.approvals > 0) {
          const approvalRequest = await this.store.createApproval({
            registry: registry.id,
            model: request.name,
            version: request.version,
            targetStage: request.targetStage,
            requestedBy: request.principal,
            comment: request.comment ?? null,
            requiredApprovals: policy.approvals,
            allowSelfApproval: policy.allowSelfApproval,
            report,
          });
          await this.audit({ ...base, action: 'promote', before: { stage: version.stage }, after: { approvalRequest: approvalRequest.id }, result: 'PENDING_APPROVAL', detail: request.comment ?? null });
          return { status: PromotionStatus.PENDING_APPROVAL, version, report, archived: [], approvalRequest, wouldDo: null };
        }
        const applied = await this.apply(registry, version, request.targetStage, request.principal, 'promote', request.comment ?? null);
        return { status: PromotionStatus.PROMOTED, version: applied.version, report, archived: applied.archived, approvalRequest: null, wouldDo: null };
      }),
    );
  }

  async approve(id: string, principal: string, comment: string | null): Promise<{ request: ApprovalRequest; promotion: PromotionResult | null }> {
    const found = await this.requireApproval(id);
    const registry = this.registries.get(found.registry);
    return this.store.withLock(lockKey(registry.id, found.model), async () => {
      const request = await this.requireApproval(id);
      if (request.status !== ApprovalStatus.PENDING) throw new RegistryError(ErrorCode.CONFLICT, `Approval request ${id} is already ${request.status}`);
      if (request.requestedBy === principal && !request.allowSelfApproval) {
        throw new RegistryError(ErrorCode.FORBIDDEN, 'An approval must come from someone other than the requester');
      }
      if (request.approvals.some((vote) => vote.principal === principal)) {
        throw new RegistryError(ErrorCode.CONFLICT, `${principal} has already approved request ${id}`);
      }
      const voted = { ...request, approvals: [...request.approvals, { principal, at: new Date(), comment }] };
      const base = { principal, registry: registry.id, model: request.model, version: request.version };
      if (voted.approvals.length < request.requiredApprovals) {
        if (!(await this.store.saveApproval(voted, ApprovalStatus.PENDING))) throw new RegistryError(ErrorCode.CONFLICT, `Approval request ${id} changed meanwhile`);
        await this.audit({ ...base, action: 'approve', before: null, after: { approvals: voted.approvals.length }, result: 'PENDING_APPROVAL', detail: comment });
        return { request: voted, promotion: null };
      }
      // Enough approvals: the gates must still hold now, not only when the request was opened.
      const version = await this.requireVersion(registry, request.model, request.version);
      const report = await evaluateGates(registry, version, policyFor(this.policies, registry.id, request.model, request.targetStage));
      if (!report.passed) {
        await this.audit({ ...base, action: 'approve', before: null, after: null, result: 'GATE_FAILED', detail: failures(report) });
        throw gateFailed(report, request.targetStage);
      }
      const decided = { ...voted, status: ApprovalStatus.APPROVED, decidedBy: principal, decidedAt: new Date() };
      if (!(await this.store.saveApproval(decided, ApprovalStatus.PENDING))) throw new RegistryError(ErrorCode.CONFLICT, `Approval request ${id} changed meanwhile`);
      const applied = await this.apply(registry, version, request.targetStage, principal, 'approve', comment);
      return {
        request: decided,
        promotion: { status: PromotionStatus.PROMOTED, version: applied.version, report, archived: applied.archived, approvalRequest: decided, wouldDo: null },
      };
    });
  }

  async reject(id: string, principal: string, reason: string): Promise<ApprovalRequest> {
    const request = await this.requireApproval(id);
    if (request.status !== ApprovalStatus.PENDING) throw new RegistryError(ErrorCode.CONFLICT, `Approval request ${id} is already ${request.status}`);
    const decided = { ...request, status: ApprovalStatus.REJECTED, decidedBy: principal, decidedAt: new Date(), reason };
    if (!(await this.store.saveApproval(decided, ApprovalStatus.PENDING))) throw new RegistryError(ErrorCode.CONFLICT, `Approval request ${id} changed meanwhile`);
    await this.audit({ principal, action: 'reject', registry: request.registry, model: request.model, version: request.version, before: null, after: null, result: 'REJECTED', detail: reason });
    return decided;
  }

  async rollback(request: { registry?: string | null; name: string; toVersion?: string | null; reason: string; principal: string }): Promise<RollbackResult> {
    if (!request.reason.trim()) throw new RegistryError(ErrorCode.INVALID_INPUT, 'A rollback needs a reason');
    const registry = this.registries.get(request.registry);
    return this.store.withLock(lockKey(registry.id, request.name), async () => {
      const current = await this.inStage(registry, request.name, Stage.PRODUCTION);
      const { target, rule } = await this.rollbackTarget(registry, request.name, current, request.toVersion ?? null);
      const base = { principal: request.principal, registry: registry.id, model: request.name };
      if (!target) {
        await this.audit({ ...base, version: null, action: 'rollback', before: null, after: null, result: 'NO_ROLLBACK_TARGET', detail: request.reason });
        throw new RegistryError(ErrorCode.NO_ROLLBACK_TARGET, `No version of '${request.name}' to roll back to: no earlier production version and nothing archived`, {
          registry: registry.id,
        });
      }
      // A reason too long for this backend's tag values is not cut: the tag points to the audit event that holds it whole.
      const fitted = tagValue(registry, request.reason);
      const reasonTag = fitted.length <= registry.capabilities().limits.tagValue.maxLength ? fitted : 'see-audit-log';
      const at = new Date().toISOString();
      for (const version of current) await registry.setTags(version, { rollback_reason: reasonTag }, []);
      const moved = await transitionStage(registry, target, Stage.PRODUCTION, { archiveExisting: true });
      await registry.setTags(target, { rolled_back_at: tagValue(registry, at) }, []);
      await this.store.recordProduction({ registry: registry.id, model: request.name, version: target.version, by: request.principal });
      await this.audit({
        ...base,
        version: target.version,
        action: 'rollback',
        before: { production: current.map((v) => v.version) },
        after: { production: target.version, archived: moved.archived.map((v) => v.version), rule },
        result: 'OK',
        detail: request.reason,
      });
      return { rule, from: moved.archived, to: moved.version };
    });
  }

  async checkDegradation(request: {
    registry?: string | null;
    name: string;
    metric: string;
    observed: number;
    tolerance: number;
    goal?: 'MAXIMIZE' | 'MINIMIZE';
    autoRollback: boolean;
    principal: string;
  }): Promise<DegradationResult> {
    if (!Number.isFinite(request.observed) || !Number.isFinite(request.tolerance) || request.tolerance < 0) {
      throw new RegistryError(ErrorCode.INVALID_INPUT, 'observed must be a finite number and tolerance a finite number >= 0');
    }
    const registry = this.registries.get(request.registry);
    const [production] = await this.inStage(registry, request.name, Stage.PRODUCTION);
    if (!production) throw new RegistryError(ErrorCode.NOT_FOUND, `Model '${request.name}' has no version in PRODUCTION`, { registry: registry.id });
    const recorded = (await registry.getMetrics([production])).get(versionKeyId(production))?.metrics[request.metric];
    if (recorded === undefined) {
      throw new RegistryError(ErrorCode.INVALID_INPUT, `Production version ${production.version} has no recorded ${request.metric} to compare with`, { registry: registry.id });
    }
    const goal = request.goal ?? 'MAXIMIZE';
    const degraded = goal === 'MAXIMIZE' ? request.observed < recorded - request.tolerance : request.observed > recorded + request.tolerance;
    const detail = `${request.metric}: observed ${request.observed}, recorded ${recorded}, tolerance ${request.tolerance}`;
    let rollback: RollbackResult | null = null;
    if (degraded && request.autoRollback) {
      rollback = await this.rollback({ registry: registry.id, name: request.name, reason: `degradation: ${detail}`, principal: request.principal });
    } else {
      await this.audit({ principal: request.principal, action: 'checkDegradation', registry: registry.id, model: request.name, version: production.version, before: null, after: { degraded }, result: degraded ? 'DEGRADED' : 'OK', detail });
    }
    return { productionVersion: production, metric: request.metric, recorded, observed: request.observed, tolerance: request.tolerance, goal, degraded, rollback };
  }

  /** Moves the version, archiving the previous holders for PRODUCTION, and leaves a record of who did it. */
  private async apply(registry: RegistryAdapter, version: ModelVersion, stage: Stage, principal: string, action: string, comment: string | null) {
    let moved: Awaited<ReturnType<typeof transitionStage>>;
    try {
      moved = await transitionStage(registry, version, stage, { archiveExisting: stage === Stage.PRODUCTION });
    } catch (error) {
      // Interrupted between steps: the error says whether it was undone and where every version is.
      await this.audit({
        principal,
        action,
        registry: registry.id,
        model: version.name,
        version: version.version,
        before: { stage: version.stage },
        after: isRegistryError(error) ? (error.details ?? null) : null,
        result: isRegistryError(error) ? error.code : 'INTERNAL',
        detail: error instanceof Error ? error.message : String(error),
      });
      throw error;
    }
    if (stage === Stage.PRODUCTION) {
      await registry.setTags(version, { promoted_at: tagValue(registry, new Date().toISOString()), promoted_by: tagValue(registry, principal) }, []);
      await this.store.recordProduction({ registry: registry.id, model: version.name, version: version.version, by: principal });
    }
    await this.audit({
      principal,
      action,
      registry: registry.id,
      model: version.name,
      version: version.version,
      before: { stage: version.stage },
      after: { stage, archived: moved.archived.map((v) => v.version) },
      result: 'OK',
      detail: comment,
    });
    const [fresh] = await registry.getVersions([version]);
    return { version: fresh ?? moved.version, archived: moved.archived };
  }

  private async rollbackTarget(registry: RegistryAdapter, name: string, current: ModelVersion[], toVersion: string | null) {
    const currentNumbers = new Set(current.map((v) => v.version));
    if (toVersion) {
      const target = await this.requireVersion(registry, name, toVersion);
      if (currentNumbers.has(target.version)) throw new RegistryError(ErrorCode.INVALID_INPUT, `Version ${toVersion} is already in PRODUCTION`);
      return { target, rule: RollbackRule.EXPLICIT };
    }
    for (const record of await this.store.productionHistory(registry.id, name)) {
      if (currentNumbers.has(record.version)) continue;
      const [version] = await registry.getVersions([{ name, version: record.version }]);
      if (version) return { target: version, rule: RollbackRule.PRODUCTION_HISTORY };
    }
    const [archived] = await this.inStage(registry, name, Stage.ARCHIVED);
    return { target: archived ?? null, rule: RollbackRule.HIGHEST_ARCHIVED };
  }

  /** Versions in a stage, newest first. */
  private async inStage(registry: RegistryAdapter, name: string, stage: Stage): Promise<ModelVersion[]> {
    const page = await registry.listVersions(name, { stages: [stage], order: VersionOrder.NEWEST_FIRST }, { first: 200 });
    return page.items;
  }

  private async requireVersion(registry: RegistryAdapter, name: string, version: string): Promise<ModelVersion> {
    const [found] = await registry.getVersions([{ name, version }]);
    // A missing model is named as such, as the adapters do, so a miss reads the same on every path.
    if (!found) throw ((await registry.getModel(name)) ? versionNotFound({ name, version }) : modelNotFound(name)).withRegistry(registry.id);
    return found;
  }

  private async requireApproval(id: string): Promise<ApprovalRequest> {
    const request = await this.store.getApproval(id);
    if (!request) throw new RegistryError(ErrorCode.NOT_FOUND, `No approval request ${id}`);
    return request;
  }

  /** The first outcome of an idempotency key is the answer to every repeat; without a key the call just runs. */
  private async once<T>(scope: string, key: string | null | undefined, work: () => Promise<T>): Promise<T> {
    if (!key) return work();
    const stored = await this.store.getOutcome(scope, key);
    if (stored) {
      if ('ok' in stored) return reviveDates(stored.ok) as T;
      throw new RegistryError(stored.error.code as ErrorCode, stored.error.message, { details: stored.error.details as Record<string, unknown> });
    }
    try {
      const result = await work();
      await this.store.saveOutcome(scope, key, { ok: result });
      return result;
    } catch (error) {
      if (isRegistryError(error) && error.code !== ErrorCode.BACKEND_UNAVAILABLE && error.code !== ErrorCode.INTERNAL) {
        await this.store.saveOutcome(scope, key, { error: { code: error.code, message: error.message, details: error.details } });
      }
      throw error;
    }
  }

  private audit(event: NewAuditEvent) {
    return this.store.appendAudit(event);
  }
}

export const lockKey = (registry: string, model: string) => `model:${registry}:${model}`;

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

const DATE_FIELDS = new Set(['createdAt', 'updatedAt', 'requestedAt', 'decidedAt', 'at']);

/** Stored outcomes are JSON: the date fields of the result become dates again (tag values stay text). */
function reviveDates(value: unknown, key = ''): unknown {
  if (typeof value === 'string' && DATE_FIELDS.has(key)) return new Date(value);
  if (Array.isArray(value)) return value.map((item) => reviveDates(item));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, reviveDates(v, k)]));
  return value;
}
