import { GetVersionCardDocument, ModelCardDocument, UpdateCardDocument, type CardFieldsFragment, type CardInput } from '@modelgate/client';
import type { Target } from './commands.ts';
import { emit, type CommandContext } from './context.ts';
import { CliRefusal, EXIT, UsageError } from './exit.ts';
import { table } from './output.ts';
import { readJsonObject, type Pairs } from './story.ts';

export interface CardTarget extends Target {
  modelVersion: string;
}

/** `modelgate card show`: the card as field/value rows, as Markdown with --markdown, or the GraphQL data. */
export async function show(ctx: CommandContext, o: CardTarget & { markdown?: boolean }): Promise<number> {
  const target = { registry: o.registry ?? null, name: o.model, version: o.modelVersion };
  if (o.markdown) {
    const { modelCard } = await ctx.client.request(ModelCardDocument, { ...target, format: 'MARKDOWN' });
    if (modelCard === null || modelCard === undefined) throw notFound(o);
    ctx.print(modelCard.trimEnd());
    return EXIT.OK;
  }
  const data = await ctx.client.request(GetVersionCardDocument, target);
  if (!data.modelVersion) throw notFound(o);
  const card = data.modelVersion.card;
  emit(ctx, data, () => ctx.print(table(['field', 'value'], cardRows(card))));
  return EXIT.OK;
}

/** One row per field that holds something, named as card gates and compareVersions(cardFields) name them. */
function cardRows(card: CardFieldsFragment): [string, string][] {
  const rows: [string, string | number | null | undefined][] = [
    ['framework', card.training.framework],
    ['algorithm', card.training.algorithm],
    ['trainingData', card.training.trainingData],
    ['dataVersion', card.training.dataVersion],
    ['codeVersion', card.training.codeVersion],
    ...card.training.hyperparameters.map((h): [string, string] => [`hyperparameters.${h.key}`, h.value]),
    ...card.dependencies.map((d): [string, string] => [`dependencies.${d.name}`, d.version]),
    ['servingFramework', card.deployment.servingFramework],
    ['endpoint', card.deployment.endpoint],
    ['latencyP99Ms', card.deployment.latencyP99Ms],
    ['throughputRps', card.deployment.throughputRps],
    ['runId', card.lineage.runId],
    ['parentVersion', card.lineage.parentVersion],
    ['features', card.features ? `${card.features.inputs.map((f) => f.name).join(', ')} -> ${card.features.outputs.map((f) => f.name).join(', ')}` : null],
  ];
  return rows.filter((row): row is [string, string | number] => row[1] !== null && row[1] !== undefined).map(([field, value]) => [field, String(value)]);
}

export interface CardSetOptions extends CardTarget {
  file?: string;
  framework?: string;
  algorithm?: string;
  trainingData?: string;
  dataVersion?: string;
  codeVersion?: string;
  hyperparameter?: Pairs;
  dependency?: Pairs;
  servingFramework?: string;
  endpoint?: string;
  latencyP99Ms?: number;
  throughputRps?: number;
  parentVersion?: string;
  idempotencyKey?: string;
}

/**
 * `modelgate card set`: the fields given change, the rest of the card stays (a merge the gateway
 * does under the model's lock). `--file` holds a CardInput whose sections replace the stored ones.
 */
export async function set(ctx: CommandContext, o: CardSetOptions): Promise<number> {
  const fromFlags = flagsCard(o);
  if (o.file !== undefined && fromFlags) throw new UsageError('Give either --file or field options, not both: a file replaces whole sections, options change single fields.');
  const card = o.file !== undefined ? readJsonObject<CardInput>('--file', o.file) : fromFlags;
  if (!card) throw new UsageError('Nothing to set: give --file or at least one field option (--framework, --data-version, --dependency name=version, ...).');
  const data = await ctx.client.request(UpdateCardDocument, {
    registry: o.registry ?? null,
    name: o.model,
    version: o.modelVersion,
    card,
    merge: o.file === undefined,
    idempotencyKey: o.idempotencyKey ?? null,
  });
  emit(ctx, data, () => ctx.print(`Card of ${data.updateCard.name} version ${data.updateCard.version} updated.\n${table(['field', 'value'], cardRows(data.updateCard.card))}`));
  return EXIT.OK;
}

/** The sections the field options touch, or null when none was given. */
function flagsCard(o: CardSetOptions): CardInput | null {
  const card: CardInput = {};
  const training = { framework: o.framework, algorithm: o.algorithm, trainingData: o.trainingData, dataVersion: o.dataVersion, codeVersion: o.codeVersion };
  const hyperparameters = o.hyperparameter?.map(([key, value]) => ({ key, value }));
  if (Object.values(training).some((v) => v !== undefined) || hyperparameters) card.training = { ...definedOnly(training), ...(hyperparameters && { hyperparameters }) };
  if (o.dependency) card.dependencies = o.dependency.map(([name, version]) => ({ name, version }));
  const deployment = { servingFramework: o.servingFramework, endpoint: o.endpoint, latencyP99Ms: o.latencyP99Ms, throughputRps: o.throughputRps };
  if (Object.values(deployment).some((v) => v !== undefined)) card.deployment = definedOnly(deployment);
  if (o.parentVersion !== undefined) card.parentVersion = o.parentVersion;
  return Object.keys(card).length > 0 ? card : null;
}

const definedOnly = <T extends object>(record: T): T => Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as T;


const notFound = (o: CardTarget) => new CliRefusal('NOT_FOUND', `Version ${o.modelVersion} of model '${o.model}' was not found.`);
