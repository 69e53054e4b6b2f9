import { valueFromASTUntyped, type GraphQLResolveInfo } from 'graphql';
import { Args, Arg, Ctx, FieldResolver, Info, Mutation, Query, Resolver, Root } from '../type-graphql.ts';
import { ALL_STAGES, MAX_PAGE_SIZE, Stage, UNREAD, isUnread, pageRequest, type Detail, type Model, type ModelVersion, type Page, type PageRequest, type VersionQuery } from '../../core/index.ts';
import { modelShape, nodeFields, nodeFieldsOf, selectedFields, selectedNodes, versionShape } from '../selection.ts';
import { visiblePage } from '../common/scoped-page.ts';
import { toConnection } from '../common/connection.ts';
import { AliasType, TagType, entries, toRecord } from '../common/tag.type.ts';
import type { GatewayContext } from '../context.ts';
import { readable, readsWholeRegistry } from '../access.ts';
import type { RegistryLoaders } from '../loaders.ts';

/** Backend page size while refilling a scoped caller's page. */
const SCAN_PAGE = 50;
import { ModelVersionConnection, ModelVersionType } from '../version/version.type.ts';
import { VersionsArgs } from '../version/version.args.ts';
import { CreateModelArgs, ModelRefArgs, ModelsArgs, RenameModelArgs, UpdateModelArgs } from './model.args.ts';
import { ModelConnection, ModelType } from './model.type.ts';
import { LIST_BOUND, backendCall, boundedList, latestPerStage, paged } from '../pricing.ts';

/** Model fields answered from the model's name alone: selecting only these, a model whose versions page has a version is known to exist. */
const NAME_ONLY_FIELDS: ReadonlySet<string> = new Set(['__typename', 'registry', 'name', 'versions']);

/**
 * A model known to exist (one of its versions was read) without its row: only for selections of
 * NAME_ONLY_FIELDS. The dates are invalid on purpose, so a wrong use fails instead of answering.
 */
const modelByName = (registry: string, name: string): Model => ({
  registry,
  name,
  description: null,
  tags: UNREAD.tags,
  aliases: UNREAD.modelAliases,
  createdAt: new Date(Number.NaN),
  updatedAt: new Date(Number.NaN),
});

const versionQuery = (args: VersionsArgs): VersionQuery => ({ stages: args.stages ?? undefined, order: args.order ?? undefined });

/**
 * The `versions` fields selected on a model, with their arguments read from the document (a
 * list argument given as one value becomes a list, as GraphQL coerces it); ones with bad
 * arguments are left to their resolver, which reports them.
 */
function versionsSelected(info: GraphQLResolveInfo): { query: VersionQuery; page: PageRequest; shape: Detail[] }[] {
  return selectedNodes(info, 'versions').flatMap((node) => {
    const args = Object.fromEntries((node.arguments ?? []).map((arg) => [arg.name.value, valueFromASTUntyped(arg.value, info.variableValues)])) as Record<string, unknown>;
    const stages = args.stages == null ? null : Array.isArray(args.stages) ? args.stages : [args.stages];
    try {
      const page = pageRequest(args.first as number | null | undefined, args.after as string | null | undefined);
      return [{ query: versionQuery({ stages, order: args.order } as VersionsArgs), page, shape: versionShape(info, nodeFieldsOf(node, info)) }];
    } catch {
      return [];
    }
  });
}

@Resolver(() => ModelType)
export class ModelResolver {
  @Query(() => ModelConnection, { complexity: paged, description: 'Models of one registry, by name' })
  async models(@Args(() => ModelsArgs) args: ModelsArgs, @Ctx() ctx: GatewayContext, @Info() info: GraphQLResolveInfo) {
    const registry = ctx.registries.get(args.registry);
    ctx.authorize('read', registry.id, null);
    const filter = args.filter ?? {};
    const query = {
      namePrefix: filter.namePrefix ?? undefined,
      nameContains: filter.nameContains ?? undefined,
      tags: filter.tags?.map((t) => ({ key: t.key, value: t.value ?? null })),
    };
    const request = pageRequest(args.first, args.after);
    const fields = nodeFields(info);
    const shape = (['tags', 'aliases'] as const).filter((detail) => fields.has(detail));
    // Grants scoped to model globs: pages are refilled from the backend until full, so no page comes back short.
    const page = readsWholeRegistry(ctx.access, registry.id)
      ? await registry.listModels(query, request, shape)
      : await visiblePage(
          request.first,
          request.after ?? null,
          (after) => registry.listModels(query, { first: Math.min(MAX_PAGE_SIZE, Math.max(request.first + 1, SCAN_PAGE)), after }, shape),
          (model) => readable(ctx.access, registry.id, model.name),
        );
    const loaders = ctx.loaders.for(registry.id);
    for (const model of page.items) loaders.model.prime(model.name, model);
    return toConnection(page);
  }

  @Query(() => ModelType, { nullable: true, complexity: backendCall, description: 'One model, or null when it does not exist' })
  model(@Args(() => ModelRefArgs) args: ModelRefArgs, @Ctx() ctx: GatewayContext, @Info() info: GraphQLResolveInfo) {
    const loaders = ctx.loaders.for(args.registry);
    // Out of scope looks like absent: null, as for a missing model.
    if (!readable(ctx.access, loaders.registry.id, args.name)) return null;
    // The versions selected below start now, alongside the model lookup: one round trip less on remote backends.
    const pages = versionsSelected(info).map(({ query, page, shape }) => loaders.versionPage(args.name, query, page, shape));
    if (pages.length && [...selectedFields(info)].every((field) => NAME_ONLY_FIELDS.has(field))) return this.modelOfVersions(loaders, args.name, pages, info);
    return loaders.model.load(args.name, modelShape(info));
  }

  /**
   * A version proves its model exists: a selection of the name and versions needs no model lookup
   * when a page has one. An empty or failed page says nothing, so the model is looked up as usual.
   */
  private async modelOfVersions(loaders: RegistryLoaders, name: string, pages: Promise<Page<ModelVersion>>[], info: GraphQLResolveInfo) {
    const read = await Promise.allSettled(pages);
    if (read.some((page) => page.status === 'fulfilled' && page.value.items.length > 0)) return modelByName(loaders.registry.id, name);
    return loaders.model.load(name, modelShape(info));
  }

  @Mutation(() => ModelType)
  createModel(@Args(() => CreateModelArgs) args: CreateModelArgs, @Ctx() ctx: GatewayContext) {
    return ctx.catalog.createModel(ctx.caller, { registry: args.registry, name: args.name, description: args.description ?? null, tags: toRecord(args.tags, 'Tag') });
  }

  @Mutation(() => ModelType)
  updateModel(@Args(() => UpdateModelArgs) args: UpdateModelArgs, @Ctx() ctx: GatewayContext) {
    return ctx.catalog.updateModel(ctx.caller, { registry: args.registry, name: args.name, description: args.description ?? null });
  }

  @Mutation(() => ModelType, { description: 'Renames a model; its versions, tags and aliases follow' })
  renameModel(@Args(() => RenameModelArgs) args: RenameModelArgs, @Ctx() ctx: GatewayContext) {
    return ctx.catalog.renameModel(ctx.caller, { registry: args.registry, name: args.name, newName: args.newName });
  }

  @Mutation(() => Boolean, { description: 'Deletes a model and all its versions' })
  async deleteModel(@Args(() => ModelRefArgs) args: ModelRefArgs, @Ctx() ctx: GatewayContext) {
    await ctx.catalog.deleteModel(ctx.caller, { registry: args.registry, name: args.name });
    return true;
  }

  @FieldResolver(() => [TagType], { complexity: boundedList(LIST_BOUND.tags) })
  async tags(@Root() model: Model, @Ctx() ctx: GatewayContext) {
    if (!isUnread(model.tags)) return entries(model.tags);
    return entries((await ctx.loaders.for(model.registry).model.load(model.name, ['tags']))?.tags ?? {});
  }

  @FieldResolver(() => [AliasType])
  async aliases(@Root() model: Model, @Ctx() ctx: GatewayContext) {
    if (!isUnread(model.aliases)) return model.aliases;
    return (await ctx.loaders.for(model.registry).model.load(model.name, ['aliases']))?.aliases ?? [];
  }

  @FieldResolver(() => ModelVersionConnection, { complexity: paged })
  async versions(@Root() model: Model, @Args(() => VersionsArgs) args: VersionsArgs, @Ctx() ctx: GatewayContext, @Info() info: GraphQLResolveInfo) {
    const loaders = ctx.loaders.for(model.registry);
    const page = await loaders.versionPage(model.name, versionQuery(args), pageRequest(args.first, args.after), versionShape(info, nodeFields(info)));
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
  version(@Root() model: Model, @Arg('version', () => String) version: string, @Ctx() ctx: GatewayContext, @Info() info: GraphQLResolveInfo) {
    return ctx.loaders.for(model.registry).version.load({ name: model.name, version }, versionShape(info));
  }
}
