import { Args, Arg, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { ALL_STAGES, Stage, pageRequest, type Model, type ModelVersion } from '../../core/index.ts';
import { toConnection } from '../common/connection.ts';
import { AliasType, TagType, entries, toRecord } from '../common/tag.type.ts';
import { audited } from '../audited.ts';
import type { GatewayContext } from '../context.ts';
import { can } from '../access.ts';
import { ModelVersionConnection, ModelVersionType } from '../version/version.type.ts';
import { VersionsArgs } from '../version/version.args.ts';
import { CreateModelArgs, ModelRefArgs, ModelsArgs, RenameModelArgs, UpdateModelArgs } from './model.args.ts';
import { ModelConnection, ModelType } from './model.type.ts';
import { LIST_BOUND, backendCall, boundedList, latestPerStage, paged } from '../pricing.ts';

@Resolver(() => ModelType)
export class ModelResolver {
  @Query(() => ModelConnection, { complexity: paged, description: 'Models of one registry, by name' })
  async models(@Args(() => ModelsArgs) args: ModelsArgs, @Ctx() ctx: GatewayContext) {
    const registry = ctx.registries.get(args.registry);
    ctx.authorize('read', registry.id, null);
    const filter = args.filter ?? {};
    const page = await registry.listModels(
      {
        namePrefix: filter.namePrefix ?? undefined,
        nameContains: filter.nameContains ?? undefined,
        tags: filter.tags?.map((t) => ({ key: t.key, value: t.value ?? null })),
      },
      pageRequest(args.first, args.after),
    );
    const loaders = ctx.loaders.for(registry.id);
    for (const model of page.items) loaders.model.prime(model.name, model);
    // Grants scoped to model globs see only their models; the page may come back shorter.
    const visible = page.items.map((model) => can(ctx.access, 'read', registry.id, model.name));
    return toConnection({ items: page.items.filter((_, i) => visible[i]), cursors: page.cursors.filter((_, i) => visible[i]), hasNextPage: page.hasNextPage });
  }

  @Query(() => ModelType, { nullable: true, complexity: backendCall, description: 'One model, or null when it does not exist' })
  model(@Args(() => ModelRefArgs) args: ModelRefArgs, @Ctx() ctx: GatewayContext) {
    const loaders = ctx.loaders.for(args.registry);
    ctx.authorize('read', loaders.registry.id, args.name);
    return loaders.model.load(args.name);
  }

  @Mutation(() => ModelType)
  async createModel(@Args(() => CreateModelArgs) args: CreateModelArgs, @Ctx() ctx: GatewayContext) {
    const registry = ctx.registries.get(args.registry);
    ctx.authorize('edit', registry.id, args.name);
    const input = { name: args.name, description: args.description ?? null, tags: toRecord(args.tags, 'Tag') };
    const model = await audited(ctx, { action: 'createModel', registry: registry.id, model: args.name, input }, () =>
      registry.createModel({ ...input, createdBy: ctx.principal }),
    );
    ctx.loaders.for(registry.id).clear();
    return model;
  }

  @Mutation(() => ModelType)
  async updateModel(@Args(() => UpdateModelArgs) args: UpdateModelArgs, @Ctx() ctx: GatewayContext) {
    const registry = ctx.registries.get(args.registry);
    ctx.authorize('edit', registry.id, args.name);
    const model = await audited(ctx, { action: 'updateModel', registry: registry.id, model: args.name, input: { description: args.description ?? null } }, () =>
      registry.updateModel(args.name, { description: args.description ?? null }),
    );
    ctx.loaders.for(registry.id).clear();
    return model;
  }

  @Mutation(() => ModelType, { description: 'Renames a model; its versions, tags and aliases follow' })
  async renameModel(@Args(() => RenameModelArgs) args: RenameModelArgs, @Ctx() ctx: GatewayContext) {
    const registry = ctx.registries.get(args.registry);
    ctx.authorize('admin', registry.id, args.name);
    ctx.authorize('admin', registry.id, args.newName);
    const model = await audited(ctx, { action: 'renameModel', registry: registry.id, model: args.name, input: { newName: args.newName } }, () =>
      registry.renameModel(args.name, args.newName),
    );
    ctx.loaders.for(registry.id).clear();
    return model;
  }

  @Mutation(() => Boolean, { description: 'Deletes a model and all its versions' })
  async deleteModel(@Args(() => ModelRefArgs) args: ModelRefArgs, @Ctx() ctx: GatewayContext) {
    const registry = ctx.registries.get(args.registry);
    ctx.authorize('admin', registry.id, args.name);
    await audited(ctx, { action: 'deleteModel', registry: registry.id, model: args.name }, () => registry.deleteModel(args.name));
    ctx.loaders.for(registry.id).clear();
    return true;
  }

  @FieldResolver(() => [TagType], { complexity: boundedList(LIST_BOUND.tags) })
  tags(@Root() model: Model) {
    return entries(model.tags);
  }

  @FieldResolver(() => [AliasType])
  aliases(@Root() model: Model) {
    return model.aliases;
  }

  @FieldResolver(() => ModelVersionConnection, { complexity: paged })
  async versions(@Root() model: Model, @Args(() => VersionsArgs) args: VersionsArgs, @Ctx() ctx: GatewayContext) {
    const loaders = ctx.loaders.for(model.registry);
    const page = await loaders.registry.listVersions(
      model.name,
      { stages: args.stages ?? undefined, order: args.order ?? undefined },
      pageRequest(args.first, args.after),
    );
    loaders.primeVersions(page.items);
    return toConnection(page);
  }

  @FieldResolver(() => [ModelVersionType], { complexity: latestPerStage, description: 'The newest version in each stage (MLflow latest_versions)' })
  async latestVersions(
    @Root() model: Model,
    @Arg('stages', () => [Stage], { nullable: true }) stages: Stage[] | null,
    @Ctx() ctx: GatewayContext,
  ) {
    const wanted = new Set(stages ?? ALL_STAGES);
    const latest = await ctx.loaders.for(model.registry).latest.load(model.name);
    return latest.filter((version) => wanted.has(version.stage));
  }

  @FieldResolver(() => ModelVersionType, { nullable: true, description: 'The newest version in PRODUCTION' })
  async productionVersion(@Root() model: Model, @Ctx() ctx: GatewayContext): Promise<ModelVersion | null> {
    const latest = await ctx.loaders.for(model.registry).latest.load(model.name);
    return latest.find((version) => version.stage === Stage.PRODUCTION) ?? null;
  }

  @FieldResolver(() => ModelVersionType, { nullable: true })
  version(@Root() model: Model, @Arg('version', () => String) version: string, @Ctx() ctx: GatewayContext) {
    return ctx.loaders.for(model.registry).version.load({ name: model.name, version });
  }
}
