import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Ctx, FieldResolver, Float, ID, Info, Mutation, Query, Resolver, Root } from '../type-graphql.ts';
import { formatModelUri, isUnread, type Detail, type MetricsRef, type ModelVersion, type Tags } from '../../core/index.ts';
import { modelShape, versionShape } from '../selection.ts';
import { resolveVersion } from '../../workflows/resolve.ts';
import { MetricType, ParamType, TagType, entries, toRecord } from '../common/tag.type.ts';
import type { GatewayContext } from '../context.ts';
import { readable } from '../access.ts';
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
import { toCard } from '../card/card.resolver.ts';

const metricsRef = (version: ModelVersion): MetricsRef => ({ name: version.name, version: version.version, runId: version.runId, tags: version.tags });

/** The version's tags, read per field when the read that produced it left them out. */
async function tagsOf(version: ModelVersion, ctx: GatewayContext): Promise<Tags> {
  if (!isUnread(version.tags)) return version.tags;
  return (await ctx.loaders.for(version.registry).version.load({ name: version.name, version: version.version }, ['tags']))?.tags ?? {};
}

/** Metrics or params of a version, batched with its siblings' and read only when selected. */
async function valuesOf(version: ModelVersion, detail: Detail, ctx: GatewayContext) {
  const values = await ctx.loaders.for(version.registry).metrics.load(metricsRef(version), [detail]);
  return values ?? { metrics: {}, params: {} };
}

@Resolver(() => ModelVersionType)
export class VersionResolver {
  @Query(() => ModelVersionType, { nullable: true, complexity: backendCall, description: 'One version, or null when it does not exist' })
  modelVersion(@Args(() => VersionRefArgs) args: VersionRefArgs, @Ctx() ctx: GatewayContext, @Info() info: GraphQLResolveInfo) {
    const loaders = ctx.loaders.for(args.registry);
    // Out of scope looks like absent: null, as for a missing version.
    if (!readable(ctx.access, loaders.registry.id, args.name)) return null;
    return loaders.version.load({ name: args.name, version: args.version }, versionShape(info));
  }

  @Query(() => ModelVersionType, {
    complexity: backendCall,
    description:
      'The version a model URI points at: models:/Name/3, models:/Name/Production, models:/Name/latest, ' +
      'models:/Name/semver:^1.2 (npm range), models:/Name@alias, each optionally prefixed REGISTRY:. NOT_FOUND when nothing is there.',
  })
  resolveVersion(@Arg('uri', () => String) uri: string, @Ctx() ctx: GatewayContext) {
    return resolveVersion(ctx.registries, uri, (registry, name) => !readable(ctx.access, registry, name));
  }

  @Mutation(() => ModelVersionType, { description: 'Registers a new version, creating the model when it is new' })
  registerVersion(@Args(() => RegisterVersionArgs) args: RegisterVersionArgs, @Ctx() ctx: GatewayContext) {
    return ctx.catalog.registerVersion(ctx.caller, {
      registry: args.registry,
      name: args.name,
      source: args.source ?? null,
      runId: args.runId ?? null,
      description: args.description ?? null,
      tags: toRecord(args.tags, 'Tag'),
      metrics: toRecord(args.metrics, 'Metric'),
      params: toRecord(args.params, 'Param'),
      signature: args.signature ? { inputs: args.signature.inputs.map((f) => ({ ...f })), outputs: args.signature.outputs.map((f) => ({ ...f })) } : null,
      bump: args.bump ?? null,
      card: toCard(args.card),
    });
  }

  @Mutation(() => ModelVersionType)
  updateVersion(@Args(() => UpdateVersionArgs) args: UpdateVersionArgs, @Ctx() ctx: GatewayContext) {
    return ctx.catalog.updateVersion(ctx.caller, { registry: args.registry, name: args.name, version: args.version, description: args.description ?? null });
  }

  @Mutation(() => DeletedVersionType, { description: 'Deletes one version; its number is never reused' })
  async deleteVersion(@Args(() => VersionRefArgs) args: VersionRefArgs, @Ctx() ctx: GatewayContext) {
    await ctx.catalog.deleteVersion(ctx.caller, { registry: args.registry, name: args.name, version: args.version });
    return { registry: ctx.registries.get(args.registry).id, name: args.name, version: args.version };
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
    await ctx.catalog.setAlias(ctx.caller, { registry: args.registry, name: args.name, alias: args.alias, version: args.version });
    return ctx.loaders.for(args.registry).version.load({ name: args.name, version: args.version });
  }

  @Mutation(() => ModelType, { description: 'Removes an alias; NOT_FOUND when it is not set' })
  async deleteAlias(@Args(() => DeleteAliasArgs) args: DeleteAliasArgs, @Ctx() ctx: GatewayContext) {
    await ctx.catalog.deleteAlias(ctx.caller, { registry: args.registry, name: args.name, alias: args.alias });
    return ctx.loaders.for(args.registry).model.load(args.name);
  }

  @Mutation(() => StageTransitionType, {
    description: 'Moves a version to a stage directly, without gates or approvals (administrators)',
  })
  transitionStage(@Args(() => TransitionStageArgs) args: TransitionStageArgs, @Ctx() ctx: GatewayContext) {
    return ctx.catalog.transitionStage(ctx.caller, { registry: args.registry, name: args.name, version: args.version, stage: args.stage, archiveExisting: args.archiveExisting });
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
  async tags(@Root() version: ModelVersion, @Ctx() ctx: GatewayContext) {
    return entries(await tagsOf(version, ctx));
  }

  @FieldResolver(() => String, { nullable: true, description: 'The value of one tag, or null' })
  async tag(@Root() version: ModelVersion, @Arg('key', () => String) key: string, @Ctx() ctx: GatewayContext) {
    const tags = await tagsOf(version, ctx);
    return Object.hasOwn(tags, key) ? tags[key] : null;
  }

  // A version's aliases are its model's that point at it: one model lookup serves every version of the page.
  @FieldResolver(() => [String], { description: 'Aliases pointing at this version' })
  async aliases(@Root() version: ModelVersion, @Ctx() ctx: GatewayContext) {
    if (!isUnread(version.aliases)) return version.aliases;
    const model = await ctx.loaders.for(version.registry).model.load(version.name, ['aliases']);
    return (model?.aliases ?? []).filter((alias) => alias.version === version.version).map((alias) => alias.alias).sort();
  }

  @FieldResolver(() => [MetricType], { complexity: boundedList(LIST_BOUND.metrics) })
  async metrics(@Root() version: ModelVersion, @Ctx() ctx: GatewayContext) {
    const values = await valuesOf(version, 'metrics', ctx);
    return entries(values.metrics).map((metric) => ({ ...metric, source: values.sources?.[metric.key] ?? 'RUN' }));
  }

  @FieldResolver(() => Float, { nullable: true, description: 'One metric, or null when it was not recorded' })
  async metric(@Root() version: ModelVersion, @Arg('name', () => String) name: string, @Ctx() ctx: GatewayContext) {
    const { metrics } = await valuesOf(version, 'metrics', ctx);
    return Object.hasOwn(metrics, name) ? metrics[name] : null;
  }

  @FieldResolver(() => [ParamType], { complexity: boundedList(LIST_BOUND.params) })
  async params(@Root() version: ModelVersion, @Ctx() ctx: GatewayContext) {
    return entries((await valuesOf(version, 'params', ctx)).params);
  }

  // getModel per distinct name (the loader dedupes, the port has no batch call).
  @FieldResolver(() => ModelType, { complexity: backendCall })
  model(@Root() version: ModelVersion, @Ctx() ctx: GatewayContext, @Info() info: GraphQLResolveInfo) {
    return ctx.loaders.for(version.registry).model.load(version.name, modelShape(info));
  }

  private async changeTags(args: TagTargetArgs, set: Record<string, string>, remove: string[], ctx: GatewayContext) {
    await ctx.catalog.changeTags(ctx.caller, { registry: args.registry, name: args.name, version: args.version ?? null, set, remove });
    const loaders = ctx.loaders.for(args.registry);
    const [model, version] = await Promise.all([
      loaders.model.load(args.name),
      args.version == null ? null : loaders.version.load({ name: args.name, version: args.version }),
    ]);
    return { model, version };
  }
}
