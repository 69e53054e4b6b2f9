import { Arg, Ctx, Float, ID, Int, Mutation, Query, Resolver } from '../type-graphql.ts';
import { ErrorCode, MAX_PAGE_SIZE, RegistryError, pageRequest, type Stage as StageValue } from '../../core/index.ts';
import { visiblePage } from '../common/scoped-page.ts';
import { bestVersion, compareRegistries, type RegistrySlot } from '../../workflows/compare.ts';
import { ApprovalStatus, auditKey, verifyAgainstCheckpoint } from '../../store/index.ts';
import { Stage } from '../common/enums.ts';
import { entries } from '../common/tag.type.ts';
import type { GatewayContext } from '../context.ts';
import { can, readable } from '../access.ts';
import { backendCall, comparedRegistries } from '../pricing.ts';
import {
  ApprovalOutcomeType,
  ApprovalRequestType,
  AuditCheckpointInput,
  AuditCheckpointType,
  AuditEventType,
  AuditVerificationType,
  BestVersionResultType,
  DegradationResultType,
  GateReportType,
  Goal,
  PromotionResultType,
  RegistrySlotType,
  RollbackResultType,
} from './lifecycle.type.ts';

const optionalString = { nullable: true } as const;

@Resolver()
export class LifecycleResolver {
  @Query(() => GateReportType, { complexity: backendCall, description: 'Every gate of the policies for targetStage, with threshold, actual value and result' })
  evaluateGates(
    @Arg('registry', () => String, optionalString) registry: string | null,
    @Arg('name', () => String) name: string,
    @Arg('version', () => String) version: string,
    @Arg('targetStage', () => Stage) targetStage: StageValue,
    @Ctx() ctx: GatewayContext,
  ) {
    ctx.authorize('read', ctx.registries.get(registry).id, name);
    return ctx.lifecycle.evaluate(registry, name, version, targetStage, ctx.trace);
  }

  @Query(() => BestVersionResultType, { nullable: true, complexity: backendCall, description: 'The version with the best recorded metric; null when none recorded it' })
  bestVersion(
    @Arg('registry', () => String, optionalString) registry: string | null,
    @Arg('name', () => String) name: string,
    @Arg('metric', () => String) metric: string,
    @Arg('goal', () => Goal, { defaultValue: Goal.MAXIMIZE }) goal: Goal,
    @Arg('stages', () => [Stage], { nullable: true }) stages: StageValue[] | null,
    @Ctx() ctx: GatewayContext,
  ) {
    const loaders = ctx.loaders.for(registry);
    ctx.authorize('read', loaders.registry.id, name);
    return bestVersion(loaders.cached(), name, metric, goal, stages);
  }

  @Query(() => [RegistrySlotType], { complexity: comparedRegistries, description: 'The same model in several registries side by side (all when registries is omitted)' })
  async compareRegistries(
    @Arg('name', () => String) name: string,
    @Arg('registries', () => [String], { nullable: true }) ids: string[] | null,
    @Ctx() ctx: GatewayContext,
  ) {
    const granted = (id: string) => can(ctx.access, 'read', id, null);
    // Each registry once however often it is named.
    const registries = ids?.length
      ? [...new Set(ids)].map((id) => {
          const registry = ctx.registries.get(id);
          if (!granted(registry.id)) ctx.authorize('read', registry.id, null);
          return registry;
        })
      : ctx.registries.list().filter((r) => granted(r.id));
    // Out of scope looks like absent: a registry where the caller cannot see the model is not asked and shows found: false.
    const asked = await compareRegistries(registries.filter((r) => readable(ctx.access, r.id, name)), name);
    const slots = registries.map((r) => asked.find((slot) => slot.registry === r.id) ?? absentSlot(r.id, r.kind));
    return slots.map((slot) => ({ ...slot, productionMetrics: slot.productionMetrics ? entries(slot.productionMetrics).map((m) => ({ ...m, source: slot.productionMetricSources?.[m.key] ?? 'RUN' })) : null }));
  }

  @Query(() => [ApprovalRequestType])
  async approvalRequests(
    @Arg('registry', () => String, optionalString) registry: string | null,
    @Arg('name', () => String, optionalString) name: string | null,
    @Arg('status', () => ApprovalStatus, { nullable: true, description: 'Default PENDING: the live queue' }) status: ApprovalStatus | null,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => ID, { nullable: true, description: 'Resume after this request (the id of the last one seen); newest first' }) after: string | null,
    @Ctx() ctx: GatewayContext,
  ) {
    const want = pageRequest(first).first;
    // Requests past their expiry are marked before anyone reads the queue.
    await ctx.store.expireApprovals(new Date());
    status ??= ApprovalStatus.PENDING;
    let start: { requestedAt: Date; id: string } | null = null;
    if (after != null) {
      const last = await ctx.store.getApproval(after);
      if (!last || !readable(ctx.access, last.registry, last.model)) {
        throw new RegistryError(ErrorCode.INVALID_INPUT, 'after must be the id of an approval request from this list', { details: { argument: 'after' } });
      }
      start = { requestedAt: last.requestedAt, id: last.id };
    }
    // Scope is applied while reading, so a scoped caller gets full pages.
    const page = await visiblePage(
      want,
      start,
      async (before) => {
        const rows = await ctx.store.listApprovals({ registry, model: name, status, limit: MAX_PAGE_SIZE, before });
        return { items: rows, cursors: rows.map((r) => ({ requestedAt: r.requestedAt, id: r.id })), hasNextPage: rows.length === MAX_PAGE_SIZE };
      },
      (r) => readable(ctx.access, r.registry, r.model),
    );
    return page.items;
  }

  @Query(() => ApprovalRequestType, { nullable: true })
  async approvalRequest(@Arg('id', () => ID) id: string, @Ctx() ctx: GatewayContext) {
    const request = await ctx.store.getApproval(id);
    return request && readable(ctx.access, request.registry, request.model) ? request : null;
  }

  @Query(() => [AuditEventType], { description: 'Audit events in order; page with `after` = the last seq seen' })
  async auditLog(
    @Arg('registry', () => String, optionalString) registry: string | null,
    @Arg('name', () => String, optionalString) name: string | null,
    @Arg('after', () => Int, { nullable: true }) after: number | null,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Ctx() ctx: GatewayContext,
  ) {
    const want = pageRequest(first).first;
    // Scope is applied while reading, so a scoped caller gets full pages and `after` = the last seq seen stays exact.
    const page = await visiblePage(
      want,
      after ?? 0,
      async (from) => {
        const events = await ctx.store.listAudit({ registry, model: name, after: from, limit: MAX_PAGE_SIZE });
        return { items: events, cursors: events.map((e) => e.seq), hasNextPage: events.length === MAX_PAGE_SIZE };
      },
      (e) => can(ctx.access, 'read', e.registry ?? '', e.model ?? '') || can(ctx.access, 'admin', e.registry ?? '*', null),
    );
    return page.items;
  }

  @Query(() => AuditVerificationType, {
    description: 'Walks the whole audit hash chain; with a checkpoint, also proves the log still extends it (needs MODELGATE_AUDIT_KEY)',
  })
  async verifyAudit(@Arg('checkpoint', () => AuditCheckpointInput, { nullable: true }) checkpoint: AuditCheckpointInput | null, @Ctx() ctx: GatewayContext) {
    const result = checkpoint ? await verifyAgainstCheckpoint(ctx.store, auditKey(), { ...checkpoint }) : await ctx.store.verifyAudit();
    return { ...result, headSeq: result.head?.seq ?? null, headHash: result.head?.hash ?? null };
  }

  @Mutation(() => AuditCheckpointType, { description: "Signs the audit log's current head and stores the checkpoint (admin); needs MODELGATE_AUDIT_KEY" })
  auditCheckpoint(@Ctx() ctx: GatewayContext) {
    return ctx.lifecycle.auditCheckpoint(ctx.caller);
  }

  @Query(() => [AuditCheckpointType], { description: 'Stored checkpoints, newest first (admin)' })
  auditCheckpoints(@Arg('first', () => Int, { nullable: true }) first: number | null, @Ctx() ctx: GatewayContext) {
    ctx.authorize('admin', '*', null);
    return ctx.store.listCheckpoints(pageRequest(first).first);
  }

  @Mutation(() => PromotionResultType, {
    description: 'Gates, then approvals where a policy asks for them, then the move; PRODUCTION archives the previous production',
  })
  async promote(
    @Arg('registry', () => String, optionalString) registry: string | null,
    @Arg('name', () => String) name: string,
    @Arg('version', () => String) version: string,
    @Arg('targetStage', () => Stage) targetStage: StageValue,
    @Arg('dryRun', () => Boolean, { defaultValue: false }) dryRun: boolean,
    @Arg('comment', () => String, optionalString) comment: string | null,
    @Arg('idempotencyKey', () => String, optionalString) idempotencyKey: string | null,
    @Ctx() ctx: GatewayContext,
  ) {
    const result = await ctx.lifecycle.promote(ctx.caller, { registry, name, version, targetStage, dryRun, comment, idempotencyKey });
    return { ...result, replayed: result.replayed ?? false };
  }

  @Mutation(() => ApprovalOutcomeType, { description: 'Approves a pending request; the last required approval re-checks the gates and promotes' })
  async approve(
    @Arg('id', () => ID) id: string,
    @Arg('comment', () => String, optionalString) comment: string | null,
    @Arg('idempotencyKey', () => String, { nullable: true, description: 'A retry with the same key and comment returns the first outcome (replayed: true); with another comment it is CONFLICT' }) idempotencyKey: string | null,
    @Ctx() ctx: GatewayContext,
  ) {
    const outcome = await ctx.lifecycle.approve(ctx.caller, id, comment, idempotencyKey);
    return { ...outcome, replayed: outcome.replayed ?? false, promotion: outcome.promotion && { ...outcome.promotion, replayed: outcome.promotion.replayed ?? false } };
  }

  @Mutation(() => ApprovalRequestType, { description: 'Rejects a pending request; the reason (not blank) is kept with it' })
  reject(
    @Arg('id', () => ID) id: string,
    @Arg('reason', () => String) reason: string,
    @Arg('idempotencyKey', () => String, { nullable: true, description: 'A retry with the same key and reason returns the rejected request again; with another reason it is CONFLICT' }) idempotencyKey: string | null,
    @Ctx() ctx: GatewayContext,
  ) {
    return ctx.lifecycle.reject(ctx.caller, id, reason, idempotencyKey);
  }

  @Mutation(() => RollbackResultType, {
    description: 'Returns PRODUCTION to toVersion, or to the previous production version (history), else the highest ARCHIVED',
  })
  rollback(
    @Arg('registry', () => String, optionalString) registry: string | null,
    @Arg('name', () => String) name: string,
    @Arg('toVersion', () => String, optionalString) toVersion: string | null,
    @Arg('reason', () => String) reason: string,
    @Ctx() ctx: GatewayContext,
  ) {
    return ctx.lifecycle.rollback(ctx.caller, { registry, name, toVersion, reason });
  }

  @Mutation(() => DegradationResultType, { description: 'Compares a live metric with the production version; rolls back when worse by more than tolerance and autoRollback' })
  checkDegradation(
    @Arg('registry', () => String, optionalString) registry: string | null,
    @Arg('name', () => String) name: string,
    @Arg('metric', () => String) metric: string,
    @Arg('observed', () => Float) observed: number,
    @Arg('tolerance', () => Float, { defaultValue: 0 }) tolerance: number,
    @Arg('goal', () => Goal, { defaultValue: Goal.MAXIMIZE }) goal: Goal,
    @Arg('autoRollback', () => Boolean, { defaultValue: false }) autoRollback: boolean,
    @Ctx() ctx: GatewayContext,
  ) {
    return ctx.lifecycle.checkDegradation(ctx.caller, { registry, name, metric, observed, tolerance, goal, autoRollback });
  }
}

const absentSlot = (registry: string, kind: string): RegistrySlot => ({
  registry,
  kind,
  found: false,
  versionCount: null,
  production: null,
  productionMetrics: null,
  latest: null,
  error: null,
});
