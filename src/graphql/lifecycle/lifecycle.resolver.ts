import { Arg, Ctx, Float, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { ErrorCode, RegistryError, pageRequest, type Stage as StageValue } from '../../core/index.ts';
import { bestVersion, compareRegistries } from '../../workflows/compare.ts';
import { ApprovalStatus } from '../../store/index.ts';
import { Stage } from '../common/enums.ts';
import { entries } from '../common/tag.type.ts';
import type { GatewayContext } from '../context.ts';
import { can, promoteAction } from '../access.ts';
import { backendCall, comparedRegistries } from '../pricing.ts';
import {
  ApprovalOutcomeType,
  ApprovalRequestType,
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
    return ctx.lifecycle.evaluate(registry, name, version, targetStage);
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
    // Each registry once however often it is named.
    const registries = (ids?.length ? [...new Set(ids)].map((id) => ctx.registries.get(id)) : ctx.registries.list()).filter((r) => can(ctx.access, 'read', r.id, name));
    if (ids?.length) for (const id of ids) ctx.authorize('read', ctx.registries.get(id).id, name);
    const slots = await compareRegistries(registries, name);
    return slots.map((slot) => ({ ...slot, productionMetrics: slot.productionMetrics ? entries(slot.productionMetrics) : null }));
  }

  @Query(() => [ApprovalRequestType])
  async approvalRequests(
    @Arg('registry', () => String, optionalString) registry: string | null,
    @Arg('name', () => String, optionalString) name: string | null,
    @Arg('status', () => ApprovalStatus, { nullable: true }) status: ApprovalStatus | null,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Ctx() ctx: GatewayContext,
  ) {
    const requests = await ctx.store.listApprovals({ registry, model: name, status, limit: pageRequest(first).first });
    return requests.filter((r) => can(ctx.access, 'read', r.registry, r.model));
  }

  @Query(() => ApprovalRequestType, { nullable: true })
  async approvalRequest(@Arg('id', () => ID) id: string, @Ctx() ctx: GatewayContext) {
    const request = await ctx.store.getApproval(id);
    return request && can(ctx.access, 'read', request.registry, request.model) ? request : null;
  }

  @Query(() => [AuditEventType], { description: 'Audit events in order; page with `after` = the last seq seen' })
  async auditLog(
    @Arg('registry', () => String, optionalString) registry: string | null,
    @Arg('name', () => String, optionalString) name: string | null,
    @Arg('after', () => Int, { nullable: true }) after: number | null,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Ctx() ctx: GatewayContext,
  ) {
    const events = await ctx.store.listAudit({ registry, model: name, after, limit: pageRequest(first).first });
    return events.filter((e) => can(ctx.access, 'read', e.registry ?? '', e.model ?? '') || can(ctx.access, 'admin', e.registry ?? '*', null));
  }

  @Query(() => AuditVerificationType, { description: 'Walks the whole audit hash chain' })
  verifyAudit(@Ctx() ctx: GatewayContext) {
    return ctx.store.verifyAudit();
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
    if (idempotencyKey !== null && !/^[\w.:-]{1,128}$/.test(idempotencyKey)) {
      throw new RegistryError(ErrorCode.INVALID_INPUT, 'idempotencyKey must be 1-128 letters, digits, _ . : -');
    }
    ctx.authorize(promoteAction(targetStage), ctx.registries.get(registry).id, name);
    const result = await ctx.lifecycle.promote({ registry, name, version, targetStage, dryRun, comment, idempotencyKey, principal: ctx.principal });
    ctx.loaders.for(registry).clear();
    return result;
  }

  @Mutation(() => ApprovalOutcomeType, { description: 'Approves a pending request; the last required approval re-checks the gates and promotes' })
  async approve(@Arg('id', () => ID) id: string, @Arg('comment', () => String, optionalString) comment: string | null, @Ctx() ctx: GatewayContext) {
    await this.authorizeRequest(ctx, id);
    const outcome = await ctx.lifecycle.approve(id, ctx.principal, comment);
    ctx.loaders.for(outcome.request.registry).clear();
    return outcome;
  }

  @Mutation(() => ApprovalRequestType)
  async reject(@Arg('id', () => ID) id: string, @Arg('reason', () => String) reason: string, @Ctx() ctx: GatewayContext) {
    await this.authorizeRequest(ctx, id);
    return ctx.lifecycle.reject(id, ctx.principal, reason);
  }

  @Mutation(() => RollbackResultType, {
    description: 'Returns PRODUCTION to toVersion, or to the previous production version (history), else the highest ARCHIVED',
  })
  async rollback(
    @Arg('registry', () => String, optionalString) registry: string | null,
    @Arg('name', () => String) name: string,
    @Arg('toVersion', () => String, optionalString) toVersion: string | null,
    @Arg('reason', () => String) reason: string,
    @Ctx() ctx: GatewayContext,
  ) {
    ctx.authorize('rollback', ctx.registries.get(registry).id, name);
    const result = await ctx.lifecycle.rollback({ registry, name, toVersion, reason, principal: ctx.principal });
    ctx.loaders.for(registry).clear();
    return result;
  }

  @Mutation(() => DegradationResultType, { description: 'Compares a live metric with the production version; rolls back when worse by more than tolerance and autoRollback' })
  async checkDegradation(
    @Arg('registry', () => String, optionalString) registry: string | null,
    @Arg('name', () => String) name: string,
    @Arg('metric', () => String) metric: string,
    @Arg('observed', () => Float) observed: number,
    @Arg('tolerance', () => Float, { defaultValue: 0 }) tolerance: number,
    @Arg('goal', () => Goal, { defaultValue: Goal.MAXIMIZE }) goal: Goal,
    @Arg('autoRollback', () => Boolean, { defaultValue: false }) autoRollback: boolean,
    @Ctx() ctx: GatewayContext,
  ) {
    ctx.authorize(autoRollback ? 'rollback' : 'read', ctx.registries.get(registry).id, name);
    const result = await ctx.lifecycle.checkDegradation({ registry, name, metric, observed, tolerance, goal, autoRollback, principal: ctx.principal });
    ctx.loaders.for(registry).clear();
    return result;
  }

  /** Approving needs the approver role on the request's registry and model. */
  private async authorizeRequest(ctx: GatewayContext, id: string): Promise<void> {
    const request = await ctx.store.getApproval(id);
    if (!request) throw new RegistryError(ErrorCode.NOT_FOUND, `No approval request ${id}`);
    ctx.authorize('approve', request.registry, request.model);
  }
}
