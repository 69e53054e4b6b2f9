import { Args, ArgsType, Ctx, Field, FieldResolver, Mutation, Query, Resolver, Root } from '../type-graphql.ts';
import { applyCardPatch, emptyCard, isEmptyCard, isUnread, readCard, type CardPatch, type CardView, type ModelCard, type ModelVersion } from '../../core/index.ts';
import { renderCardMarkdown } from '../../workflows/card-markdown.ts';
import { entries, toRecord } from '../common/tag.type.ts';
import type { GatewayContext } from '../context.ts';
import { readable } from '../access.ts';
import { backendCall } from '../pricing.ts';
import { VersionRefArgs } from '../version/version.args.ts';
import { ModelVersionType } from '../version/version.type.ts';
import { CardFormat, CardInput, ModelCardType } from './card.type.ts';

@ArgsType()
export class UpdateCardArgs extends VersionRefArgs {
  @Field(() => CardInput) card!: CardInput;
  @Field(() => Boolean, { defaultValue: false, description: 'Change only the fields given (not null): hyperparameters and dependencies merge by name, nothing is cleared. Default: each section given replaces that section' })
  merge!: boolean;
  @Field(() => String, { nullable: true, description: 'A repeated call with the same key and arguments returns the first result and changes nothing' })
  idempotencyKey?: string | null;
}

@ArgsType()
export class ModelCardArgs extends VersionRefArgs {
  @Field(() => CardFormat, { defaultValue: CardFormat.MARKDOWN }) format!: CardFormat;
}

/** A card edit from GraphQL: a section given replaces the section (its fields left out are null). */
export function toCardPatch(input: CardInput): CardPatch {
  const empty = emptyCard();
  const patch: CardPatch = {};
  if (input.training !== undefined) {
    patch.training = input.training && {
      ...empty.training,
      framework: input.training.framework ?? null,
      algorithm: input.training.algorithm ?? null,
      hyperparameters: toRecord(input.training.hyperparameters, 'Hyperparameter'),
      trainingData: input.training.trainingData ?? null,
      dataVersion: input.training.dataVersion ?? null,
      codeVersion: input.training.codeVersion ?? null,
    };
  }
  if (input.dependencies !== undefined) patch.dependencies = input.dependencies?.map((d) => ({ name: d.name, version: d.version })) ?? null;
  if (input.deployment !== undefined) {
    patch.deployment = input.deployment && {
      servingFramework: input.deployment.servingFramework ?? null,
      endpoint: input.deployment.endpoint ?? null,
      latencyP99Ms: input.deployment.latencyP99Ms ?? null,
      throughputRps: input.deployment.throughputRps ?? null,
    };
  }
  if (input.parentVersion !== undefined) patch.parentVersion = input.parentVersion;
  return patch;
}

/** The card given at registration; nothing stored when it holds nothing. */
export function toCard(input: CardInput | null | undefined): ModelCard | null {
  if (!input) return null;
  const card = applyCardPatch(null, toCardPatch(input));
  return isEmptyCard(card) ? null : card;
}

const toCardType = (card: CardView) => ({
  ...card,
  training: { ...card.training, hyperparameters: entries(card.training.hyperparameters) },
  dependencies: [...card.dependencies].sort((a, b) => a.name.localeCompare(b.name)),
});

/** The version whole (tags included): a shaped read may have left the tags out. */
async function wholeVersion(version: ModelVersion, ctx: GatewayContext): Promise<ModelVersion> {
  if (!isUnread(version.tags)) return version;
  return (await ctx.loaders.for(version.registry).version.load({ name: version.name, version: version.version }, ['tags'])) ?? version;
}

@Resolver(() => ModelVersionType)
export class CardResolver {
  @FieldResolver(() => ModelCardType, { description: 'Training, features, dependencies, deployment and lineage, as one typed card' })
  async card(@Root() version: ModelVersion, @Ctx() ctx: GatewayContext) {
    return toCardType(readCard(await wholeVersion(version, ctx)));
  }

  @Mutation(() => ModelVersionType, { description: 'Edits a version\'s card: each section given replaces that section (with merge: each field given); UNSUPPORTED where the registry keeps the card as registered (Vertex)' })
  updateCard(@Args(() => UpdateCardArgs) args: UpdateCardArgs, @Ctx() ctx: GatewayContext) {
    return ctx.catalog.updateCard(ctx.caller, { registry: args.registry, name: args.name, version: args.version, card: toCardPatch(args.card), merge: args.merge, idempotencyKey: args.idempotencyKey ?? null });
  }

  @Query(() => String, { nullable: true, complexity: backendCall, description: 'The card rendered for READMEs and the console (Markdown); null when the version does not exist' })
  async modelCard(@Args(() => ModelCardArgs) args: ModelCardArgs, @Ctx() ctx: GatewayContext) {
    const loaders = ctx.loaders.for(args.registry);
    if (!readable(ctx.access, loaders.registry.id, args.name)) return null;
    const version = await loaders.version.load({ name: args.name, version: args.version }, ['tags']);
    if (!version) return null;
    const metrics = await loaders.metrics.load({ name: version.name, version: version.version, runId: version.runId, tags: version.tags }, ['metrics']);
    return renderCardMarkdown(version, readCard(version), metrics ?? { metrics: {} });
  }
}
