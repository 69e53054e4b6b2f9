import { Arg, Args, Ctx, FieldResolver, Float, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { formatModelUri, parseModelUri, type MetricsRef, type ModelVersion } from '../../core/index.ts';
import { registerVersion } from '../../workflows/register.ts';
import { lockKey } from '../../workflows/lifecycle.ts';
import { resolveVersion } from '../../workflows/resolve.ts';
import { transitionStage } from '../../workflows/transition.ts';
import { MetricType, ParamType, TagType, entries, toRecord } from '../common/tag.type.ts';
import { audited } from '../audited.ts';
import type { GatewayContext } from '../context.ts';
import { ModelType } from '../model/model.type.ts';
import {
  DeleteAliasArgs,
  DeleteTagsArgs,
  RegisterVersionArgs,
  SetAliasArgs,
  SetTagsArgs,
  TransitionStageArgs,
  UpdateVersionArgs,
  VersionRefArgs,
  type TagTargetArgs,
} from './version.args.ts';
import { DeletedVersionType, ModelVersionType, StageTransitionType, TagsPayload } from './version.type.ts';
import { LIST_BOUND, backendCall, boundedList } from '../pricing.ts';

const metricsRef = (version: ModelVersion): MetricsRef => ({ name: version.name, version: version.version, runId: version.runId });

@Resolver(() => ModelVersionType)
export class VersionResolver {
  @Query(() => ModelVersionType, { nullable: true, complexity: backendCall, description: 'One version, or null when it does not exist' })
  modelVersion(@Args(() => VersionRefArgs) args: VersionRefArgs, @Ctx() ctx: GatewayContext) {
    const loaders = ctx.loaders.for(args.registry);
    ctx.authorize('read', loaders.registry.id, args.name);
    return loaders.version.load({ name: args.name, version: args.version });
  }

  @Query(() => ModelVersionType, {
    complexity: backendCall,
    description:
      'The version a model URI points at: models:/Name/3, models:/Name/Production, models:/Name/latest, ' +
      'models:/Name/semver:^1.2 (npm range), models:/Name@alias, each optionally prefixed REGISTRY:. NOT_FOUND when nothing is there.',
  })
  resolveVersion(@Arg('uri', () => String) uri: string, @Ctx() ctx: GatewayContext) {
    const parsed = parseModelUri(uri);
    ctx.authorize('read', ctx.registries.get(parsed.registry).id, parsed.name);
    return resolveVersion(ctx.registries, uri);
  }

  @Mutation(() => ModelVersionType, { description: 'Registers a new version, creating the model when it is new' })
  async registerVersion(@Args(() => RegisterVersionArgs) args: RegisterVersionArgs, @Ctx() ctx: GatewayContext) {
    const registry = ctx.registries.get(args.registry);
    ctx.authorize('edit', registry.id, args.name);
    const input = {
      name: args.name,
      source: args.source ?? null,
      runId: args.runId ?? null,
      description: args.description ?? null,
      tags: toRecord(args.tags, 'Tag'),
      metrics: toRecord(args.metrics, 'Metric'),
      params: toRecord(args.params, 'Param'),
      signature: args.signature ? { inputs: args.signature.inputs.map((f) => ({ ...f })), outputs: args.signature.outputs.map((f) => ({ ...f })) } : null,
    };
    const version = await audited(
      ctx,
      { action: 'registerVersion', registry: registry.id, model: args.name, input },
      // One registration per model at a time, so each gets its own semantic version.
      () => ctx.store.withLock(lockKey(registry.id, args.name), () => registerVersion(registry, { ...input, createdBy: ctx.principal }, { bump: args.bump ?? null })),
      (created) => ({ version: created.version, semver: created.semver, ...input }),
    );
    ctx.loaders.for(registry.id).clear();
    return version;
  }

  @Mutation(() => ModelVersionType)
  async updateVersion(@Args(() => UpdateVersionArgs) args: UpdateVersionArgs, @Ctx() ctx: GatewayContext) {
    const registry = ctx.registries.get(args.registry);
    ctx.authorize('edit', registry.id, args.name);
    const version = await audited(
      ctx,
      { action: 'updateVersion', registry: registry.id, model: args.name, version: args.version, input: { description: args.description ?? null } },
      () => registry.updateVersion({ name: args.name, version: args.version }, { description: args.description ?? null }),
    );
    ctx.loaders.for(registry.id).clear();
    return version;
  }

  @Mutation(() => DeletedVersionType, { description: 'Deletes one version; its number is never reused' })
  async deleteVersion(@Args(() => VersionRefArgs) args: VersionRefArgs, @Ctx() ctx: GatewayContext) {
    const registry = ctx.registries.get(args.registry);
    ctx.authorize('admin', registry.id, args.name);
    await audited(ctx, { action: 'deleteVersion', registry: registry.id, model: args.name, version: args.version }, () =>
      registry.deleteVersion({ name: args.name, version: args.version }),
    );
    ctx.loaders.for(registry.id).clear();
    return { registry: registry.id, name: args.name, version: args.version };
  }

  @Mutation(() => TagsPayload, { description: 'Sets tags on a model, or on a version when `version` is given' })
  setTags(@Args(() => SetTagsArgs) args: SetTagsArgs, @Ctx() ctx: GatewayContext) {
    return this.changeTags(args, toRecord(args.tags, 'Tag'), [], ctx);
  }

  @Mutation(() => TagsPayload, { description: 'Removes tags by key; keys that are not set are ignored' })
  deleteTags(@Args(() => DeleteTagsArgs) args: DeleteTagsArgs, @Ctx() ctx: GatewayContext) {
    return this.changeTags(args, {}, args.keys, ctx);
  }

  @Mutation(() => ModelVersionType, { description: 'Points an alias at a version, moving it from any other version' })
  async setAlias(@Args(() => SetAliasArgs) args: SetAliasArgs, @Ctx() ctx: GatewayContext) {
    const registry = ctx.registries.get(args.registry);
    ctx.authorize('edit', registry.id, args.name);
    await audited(ctx, { action: 'setAlias', registry: registry.id, model: args.name, version: args.version, input: { alias: args.alias } }, () =>
      registry.setAlias(args.name, args.alias, args.version),
    );
    const loaders = ctx.loaders.for(registry.id);
    loaders.clear();
    return loaders.version.load({ name: args.name, version: args.version });
  }

  @Mutation(() => ModelType, { description: 'Removes an alias; NOT_FOUND when it is not set' })
  async deleteAlias(@Args(() => DeleteAliasArgs) args: DeleteAliasArgs, @Ctx() ctx: GatewayContext) {
    const registry = ctx.registries.get(args.registry);
    ctx.authorize('edit', registry.id, args.name);
    await audited(ctx, { action: 'deleteAlias', registry: registry.id, model: args.name, input: { alias: args.alias } }, () =>
      registry.deleteAlias(args.name, args.alias),
    );
    const loaders = ctx.loaders.for(registry.id);
    loaders.clear();
    return loaders.model.load(args.name);
  }

  @Mutation(() => StageTransitionType, {
    description: 'Moves a version to a stage directly, without gates or approvals (administrators)',
  })
  async transitionStage(@Args(() => TransitionStageArgs) args: TransitionStageArgs, @Ctx() ctx: GatewayContext) {
    const registry = ctx.registries.get(args.registry);
    ctx.authorize('admin', registry.id, args.name);
    const result = await audited(
      ctx,
      { action: 'transitionStage', registry: registry.id, model: args.name, version: args.version, input: { stage: args.stage, archiveExisting: args.archiveExisting } },
      () => transitionStage(registry, { name: args.name, version: args.version }, args.stage, { archiveExisting: args.archiveExisting }),
      (moved) => ({ stage: args.stage, archived: moved.archived.map((v) => v.version) }),
    );
    ctx.loaders.for(registry.id).clear();
    return result;
  }

  @FieldResolver(() => ID, { description: 'Globally unique: the registry-prefixed model URI' })
  id(@Root() version: ModelVersion) {
    return formatModelUri(version.name, version.version, version.registry);
  }

  @FieldResolver(() => String, { description: 'models:/<name>/<version>' })
  uri(@Root() version: ModelVersion) {
    return formatModelUri(version.name, version.version);
  }

  @FieldResolver(() => String, { nullable: true, complexity: backendCall, description: "Where the artifacts download from (MLflow's download URI); one backend call per version" })
  downloadUri(@Root() version: ModelVersion, @Ctx() ctx: GatewayContext) {
    return ctx.registries.get(version.registry).getDownloadUri({ name: version.name, version: version.version });
  }

  @FieldResolver(() => [TagType], { complexity: boundedList(LIST_BOUND.tags) })
  tags(@Root() version: ModelVersion) {
    return entries(version.tags);
  }

  @FieldResolver(() => String, { nullable: true, description: 'The value of one tag, or null' })
  tag(@Root() version: ModelVersion, @Arg('key', () => String) key: string) {
    return Object.hasOwn(version.tags, key) ? version.tags[key] : null;
  }

  @FieldResolver(() => [MetricType], { complexity: boundedList(LIST_BOUND.metrics) })
  async metrics(@Root() version: ModelVersion, @Ctx() ctx: GatewayContext) {
    return entries((await ctx.loaders.for(version.registry).metrics.load(metricsRef(version))).metrics);
  }

  @FieldResolver(() => Float, { nullable: true, description: 'One metric, or null when it was not recorded' })
  async metric(@Root() version: ModelVersion, @Arg('name', () => String) name: string, @Ctx() ctx: GatewayContext) {
    const { metrics } = await ctx.loaders.for(version.registry).metrics.load(metricsRef(version));
    return Object.hasOwn(metrics, name) ? metrics[name] : null;
  }

  @FieldResolver(() => [ParamType], { complexity: boundedList(LIST_BOUND.params) })
  async params(@Root() version: ModelVersion, @Ctx() ctx: GatewayContext) {
    return entries((await ctx.loaders.for(version.registry).metrics.load(metricsRef(version))).params);
  }

  // getModel per distinct name (the loader dedupes, the port has no batch call).
  @FieldResolver(() => ModelType, { complexity: backendCall })
  model(@Root() version: ModelVersion, @Ctx() ctx: GatewayContext) {
    return ctx.loaders.for(version.registry).model.load(version.name);
  }

  private async changeTags(args: TagTargetArgs, set: Record<string, string>, remove: string[], ctx: GatewayContext) {
    const registry = ctx.registries.get(args.registry);
    ctx.authorize('edit', registry.id, args.name);
    const target = args.version == null ? { name: args.name } : { name: args.name, version: args.version };
    await audited(
      ctx,
      { action: remove.length ? 'deleteTags' : 'setTags', registry: registry.id, model: args.name, version: args.version ?? null, input: { set, remove } },
      () => registry.setTags(target, set, remove),
    );
    const loaders = ctx.loaders.for(registry.id);
    loaders.clear();
    const [model, version] = await Promise.all([
      loaders.model.load(args.name),
      args.version == null ? null : loaders.version.load({ name: args.name, version: args.version }),
    ]);
    return { model, version };
  }
}

