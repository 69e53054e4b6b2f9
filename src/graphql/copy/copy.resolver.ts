import { Arg, Ctx, Mutation, Query, Resolver } from '../type-graphql.ts';
import type { Stage as StageValue } from '../../core/index.ts';
import type { MigrationJob } from '../../store/index.ts';
import type { CopyResult } from '../../workflows/copy.ts';
import { Stage } from '../common/enums.ts';
import { entries } from '../common/tag.type.ts';
import type { GatewayContext } from '../context.ts';
import { readable } from '../access.ts';
import { CopyResultType, MigrationType, ModelRefInput, ModelSourceInput, VersionRefInput } from './copy.type.ts';

@Resolver()
export class CopyResolver {
  @Mutation(() => CopyResultType, {
    description:
      'A new version in the target registry with the source version’s URI, description, tags, metrics, params, signature and semver, tagged modelgate.copied_from; copying again returns the existing copy. What the target cannot hold is listed in transformed/dropped (strict refuses instead)',
  })
  async copyVersion(
    @Arg('from', () => VersionRefInput) from: VersionRefInput,
    @Arg('to', () => ModelRefInput) to: ModelRefInput,
    @Arg('stage', () => Stage, { nullable: true, description: 'Through the target’s gates and approvals, like promote; NONE when omitted' }) stage: StageValue | null,
    @Arg('dryRun', () => Boolean, { defaultValue: false }) dryRun: boolean,
    @Arg('strict', () => Boolean, { defaultValue: false }) strict: boolean,
    @Arg('idempotencyKey', () => String, { nullable: true }) idempotencyKey: string | null,
    @Ctx() ctx: GatewayContext,
  ) {
    const result = await ctx.copies.copyVersion(ctx.caller, { from, to, stage, dryRun, strict, idempotencyKey });
    return copyResult(result);
  }

  @Mutation(() => MigrationType, { description: 'Copies every version (or those asked for) in order, as a job; follow it with migration(id). Resumes after a restart without duplicates' })
  async migrateModel(
    @Arg('from', () => ModelSourceInput) from: ModelSourceInput,
    @Arg('to', () => ModelRefInput) to: ModelRefInput,
    @Arg('versions', () => [String], { nullable: true }) versions: string[] | null,
    @Arg('includeStages', () => [Stage], { nullable: true }) includeStages: StageValue[] | null,
    @Arg('strict', () => Boolean, { defaultValue: false }) strict: boolean,
    @Ctx() ctx: GatewayContext,
  ) {
    return migration(await ctx.migrations.start(ctx.caller, { from, to, versions, includeStages, strict }));
  }

  @Query(() => MigrationType, { nullable: true, description: 'A migration job and its progress; null when unknown or out of sight' })
  async migration(@Arg('id', () => String) id: string, @Ctx() ctx: GatewayContext) {
    const job = await ctx.migrations.get(id);
    if (!job || !readable(ctx.access, job.to.registry, job.to.name) || !readable(ctx.access, job.from.registry, job.from.name)) return null;
    return migration(job);
  }
}

function copyResult(result: CopyResult) {
  const { planned } = result;
  return {
    ...result,
    planned: {
      ...planned,
      source: planned.source ?? null,
      runId: planned.runId ?? null,
      description: planned.description ?? null,
      semver: planned.semver ?? null,
      signature: planned.signature ?? null,
      tags: entries(planned.tags ?? {}),
      metrics: entries(planned.metrics ?? {}),
      params: entries(planned.params ?? {}),
    },
    promotion: result.promotion && { ...result.promotion, replayed: false },
    replayed: result.replayed ?? false,
  };
}

function migration(job: MigrationJob) {
  const count = (status: string) => job.items.filter((item) => item.status === status).length;
  return {
    id: job.id,
    status: job.status,
    principal: job.principal,
    fromRegistry: job.from.registry,
    fromName: job.from.name,
    toRegistry: job.to.registry,
    toName: job.to.name,
    total: job.items.length,
    done: job.items.length - count('PENDING'),
    created: count('CREATED'),
    existing: count('EXISTING'),
    failed: count('FAILED'),
    createdAt: new Date(job.createdAt),
    updatedAt: new Date(job.updatedAt),
    items: job.items,
  };
}
