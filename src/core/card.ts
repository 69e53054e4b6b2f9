import { invalidInput } from './errors.ts';
import { emptyRecord, type Signature, type SignatureField, type Tags } from './model.ts';
import { checkKey, checkText, checkWellFormed, preview } from './rules.ts';
import type { TextRule } from './capabilities.ts';

/* The model card: how a version was trained, on what, with what, and where it serves. */

export interface Dependency {
  name: string;
  version: string;
}

export interface TrainingInfo {
  framework: string | null;
  algorithm: string | null;
  hyperparameters: Record<string, string>;
  /** Where the training data is (a URI). */
  trainingData: string | null;
  dataVersion: string | null;
  /** The code that trained it (a git commit). */
  codeVersion: string | null;
}

export interface DeploymentInfo {
  servingFramework: string | null;
  endpoint: string | null;
  latencyP99Ms: number | null;
  throughputRps: number | null;
}

/** What a backend stores for a version's card; features are the signature, lineage is derived. */
export interface ModelCard {
  training: TrainingInfo;
  dependencies: Dependency[];
  deployment: DeploymentInfo;
  /** The version this one was copied or fine-tuned from, as a model URI (`registry:models:/name/3`). */
  parentVersion: string | null;
}

/** A card edit: a section given replaces that section, a section left out stays as it is. */
export interface CardPatch {
  training?: TrainingInfo | null;
  dependencies?: Dependency[] | null;
  deployment?: DeploymentInfo | null;
  parentVersion?: string | null;
}

export const emptyCard = (): ModelCard => ({
  training: { framework: null, algorithm: null, hyperparameters: emptyRecord(), trainingData: null, dataVersion: null, codeVersion: null },
  dependencies: [],
  deployment: { servingFramework: null, endpoint: null, latencyP99Ms: null, throughputRps: null },
  parentVersion: null,
});

export function applyCardPatch(card: ModelCard | null | undefined, patch: CardPatch): ModelCard {
  const base = card ?? emptyCard();
  const empty = emptyCard();
  return {
    training: patch.training === undefined ? base.training : (patch.training ?? empty.training),
    dependencies: patch.dependencies === undefined ? base.dependencies : (patch.dependencies ?? []),
    deployment: patch.deployment === undefined ? base.deployment : (patch.deployment ?? empty.deployment),
    parentVersion: patch.parentVersion === undefined ? base.parentVersion : patch.parentVersion,
  };
}

/**
 * A field-level edit: each field the patch holds (not null) replaces the stored one, the others
 * stay; hyperparameters merge by name, dependencies by name (any case). Nothing is cleared.
 */
export function mergeCardPatch(card: ModelCard | null | undefined, patch: CardPatch): ModelCard {
  const base = card ?? emptyCard();
  const pick = <T>(next: T | null | undefined, stored: T): T => (next === null || next === undefined ? stored : next);
  const training = patch.training;
  const deployment = patch.deployment;
  const given = new Set((patch.dependencies ?? []).map((d) => d.name.toLowerCase()));
  return {
    training: training
      ? {
          framework: pick(training.framework, base.training.framework),
          algorithm: pick(training.algorithm, base.training.algorithm),
          hyperparameters: Object.assign(emptyRecord<string>(), base.training.hyperparameters, training.hyperparameters),
          trainingData: pick(training.trainingData, base.training.trainingData),
          dataVersion: pick(training.dataVersion, base.training.dataVersion),
          codeVersion: pick(training.codeVersion, base.training.codeVersion),
        }
      : base.training,
    dependencies: [...base.dependencies.filter((d) => !given.has(d.name.toLowerCase())), ...(patch.dependencies ?? [])].sort((a, b) => a.name.localeCompare(b.name)),
    deployment: deployment
      ? {
          servingFramework: pick(deployment.servingFramework, base.deployment.servingFramework),
          endpoint: pick(deployment.endpoint, base.deployment.endpoint),
          latencyP99Ms: pick(deployment.latencyP99Ms, base.deployment.latencyP99Ms),
          throughputRps: pick(deployment.throughputRps, base.deployment.throughputRps),
        }
      : base.deployment,
    parentVersion: pick(patch.parentVersion, base.parentVersion),
  };
}

/** True when the card holds nothing: backends then store nothing. */
export const isEmptyCard = (card: ModelCard | null | undefined): boolean => !card || Object.keys(cardEntries(card)).length === 0;

/* ---- flat entries: the one encoding for backends that keep string key/value pairs ---- */

const TEXT_FIELDS = {
  'training.framework': (c: ModelCard) => c.training.framework,
  'training.algorithm': (c: ModelCard) => c.training.algorithm,
  'training.trainingData': (c: ModelCard) => c.training.trainingData,
  'training.dataVersion': (c: ModelCard) => c.training.dataVersion,
  'training.codeVersion': (c: ModelCard) => c.training.codeVersion,
  'deployment.servingFramework': (c: ModelCard) => c.deployment.servingFramework,
  'deployment.endpoint': (c: ModelCard) => c.deployment.endpoint,
  'deployment.latencyP99Ms': (c: ModelCard) => numberText(c.deployment.latencyP99Ms),
  'deployment.throughputRps': (c: ModelCard) => numberText(c.deployment.throughputRps),
  'lineage.parentVersion': (c: ModelCard) => c.parentVersion,
} as const;

const HYPERPARAMETER = 'training.hyperparameters.';
const DEPENDENCY = 'dependencies.';

const numberText = (n: number | null): string | null => (n === null ? null : String(n));

/** The card as string entries (`training.framework`, `dependencies.sklearn`, ...); absent fields have no entry. */
export function cardEntries(card: ModelCard): Record<string, string> {
  const entries = emptyRecord<string>();
  for (const [key, read] of Object.entries(TEXT_FIELDS)) {
    const value = read(card);
    if (value !== null) entries[key] = value;
  }
  for (const [key, value] of Object.entries(card.training.hyperparameters)) entries[HYPERPARAMETER + key] = value;
  for (const dependency of card.dependencies) entries[DEPENDENCY + dependency.name] = dependency.version;
  return entries;
}

/** A card from entries under `prefix`; null when there are none. Unreadable numbers are absent, never guessed. */
export function cardFromEntries(source: Record<string, string>, prefix: string): ModelCard | null {
  const card = emptyCard();
  let found = false;
  for (const [fullKey, value] of Object.entries(source)) {
    if (!fullKey.startsWith(prefix)) continue;
    const key = fullKey.slice(prefix.length);
    found = true;
    if (key.startsWith(HYPERPARAMETER)) card.training.hyperparameters[key.slice(HYPERPARAMETER.length)] = value;
    else if (key.startsWith(DEPENDENCY)) card.dependencies.push({ name: key.slice(DEPENDENCY.length), version: value });
    else if (key === 'deployment.latencyP99Ms') card.deployment.latencyP99Ms = readNumber(value);
    else if (key === 'deployment.throughputRps') card.deployment.throughputRps = readNumber(value);
    else if (key === 'lineage.parentVersion') card.parentVersion = value;
    else if (key.startsWith('training.') && key.slice(9) in card.training) (card.training as unknown as Record<string, string>)[key.slice(9)] = value;
    else if (key.startsWith('deployment.') && key.slice(11) in card.deployment) (card.deployment as unknown as Record<string, string>)[key.slice(11)] = value;
  }
  card.dependencies.sort((a, b) => a.name.localeCompare(b.name));
  return found ? card : null;
}

const readNumber = (text: string): number | null => {
  const n = Number(text);
  return text.trim() !== '' && Number.isFinite(n) ? n : null;
};

/** A card as plain JSON (Vertex metadata, the local column) and back; anything malformed reads as absent. */
export const cardToJson = (card: ModelCard): Record<string, string> => cardEntries(card);
export const cardFromJson = (value: unknown): ModelCard | null => {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return null;
  const strings = emptyRecord<string>();
  for (const [key, v] of Object.entries(value)) if (typeof v === 'string') strings[key] = v;
  return cardFromEntries(strings, '');
};

/* ---- input rules, the same on every backend ---- */

const DEPENDENCY_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,98}[A-Za-z0-9])?$/;
const MAX_LIST = 100;

/** A card every backend can hold word for word: well-formed text, bounded sizes, names that are names. */
export function checkCard(card: ModelCard, backend?: TextRule): void {
  const text = (field: string, value: string | null, max = 1000) => {
    if (value === null) return;
    if (typeof value !== 'string') throw invalidInput(`Card field ${field} must be text`, { field: `card.${field}` });
    checkText(`Card field ${field}`, value, { maxLength: max });
    if (backend && value.length > backend.maxLength) {
      throw invalidInput(`Card field ${field} is ${value.length} characters long; this registry keeps ${backend.rule ?? `at most ${backend.maxLength}`}`, {
        field: `card.${field}`,
        limit: backend.maxLength,
      });
    }
    if (value.length === 0) throw invalidInput(`Card field ${field} must not be empty; leave it out or null instead`, { field: `card.${field}` });
  };
  const { training, deployment } = card;
  text('training.framework', training.framework, 250);
  text('training.algorithm', training.algorithm, 250);
  text('training.trainingData', training.trainingData);
  text('training.dataVersion', training.dataVersion, 250);
  text('training.codeVersion', training.codeVersion, 250);
  text('deployment.servingFramework', deployment.servingFramework, 250);
  text('deployment.endpoint', deployment.endpoint);
  text('parentVersion', card.parentVersion);
  for (const [field, value] of [['deployment.latencyP99Ms', deployment.latencyP99Ms], ['deployment.throughputRps', deployment.throughputRps]] as const) {
    if (value !== null && (typeof value !== 'number' || !Number.isFinite(value) || value < 0)) {
      throw invalidInput(`Card field ${field} must be a finite number, 0 or more`, { field: `card.${field}` });
    }
  }
  const hyperparameters = Object.entries(training.hyperparameters);
  if (hyperparameters.length > MAX_LIST) throw invalidInput(`A card holds at most ${MAX_LIST} hyperparameters`, { field: 'card.training.hyperparameters', limit: MAX_LIST });
  for (const [key, value] of hyperparameters) {
    checkKey('Hyperparameter name', key);
    text(`training.hyperparameters.${preview(key)}`, value);
  }
  if (card.dependencies.length > MAX_LIST) throw invalidInput(`A card holds at most ${MAX_LIST} dependencies`, { field: 'card.dependencies', limit: MAX_LIST });
  const seen = new Set<string>();
  for (const { name, version } of card.dependencies) {
    checkWellFormed('Dependency name', name);
    if (!DEPENDENCY_NAME.test(name)) {
      throw invalidInput(`Dependency name '${preview(name)}' must be a package name: letters, digits, . _ - (at most 100)`, { field: 'card.dependencies' });
    }
    if (seen.has(name.toLowerCase())) throw invalidInput(`Dependency '${name}' is listed twice`, { field: 'card.dependencies' });
    seen.add(name.toLowerCase());
    text(`dependencies.${name}`, version, 100);
  }
}

/* ---- the card as a reader sees it: what is stored, then the conventions teams already use ---- */

/** The tutorial's `save_model_metadata` tags. */
export const CONVENTION_TAGS = { features: 'features_schema', dependencies: 'dependencies' } as const;
/** Written by the copy helper on a copied version: `<registry>:models:/<name>/<version>`. */
export const COPIED_FROM_TAG = 'modelgate.copied_from';

export interface CardView extends ModelCard {
  features: Signature | null;
  lineage: { runId: string | null; trainingData: string | null; dataVersion: string | null; codeVersion: string | null; parentVersion: string | null };
}

interface VersionLike {
  runId: string | null;
  description: string | null;
  tags: Tags;
  signature: Signature | null;
  card?: ModelCard | null;
}

/**
 * The card of a version: the stored card first; what it leaves empty is filled from the
 * tutorial's conventions (`features_schema` and `dependencies` JSON tags, the Markdown
 * description's "- Framework: x" lines) and the copy helper's `modelgate.copied_from` tag.
 */
export function readCard(version: VersionLike): CardView {
  const stored = version.card ?? emptyCard();
  const described = describedFields(version.description);
  const pick = (own: string | null, label: string) => own ?? described[label] ?? null;
  const training: TrainingInfo = {
    framework: pick(stored.training.framework, 'framework'),
    algorithm: pick(stored.training.algorithm, 'algorithm'),
    hyperparameters: stored.training.hyperparameters,
    trainingData: pick(stored.training.trainingData, 'training data'),
    dataVersion: pick(stored.training.dataVersion, 'data version'),
    codeVersion: pick(stored.training.codeVersion, 'code version'),
  };
  const deployment: DeploymentInfo = {
    servingFramework: pick(stored.deployment.servingFramework, 'serving framework'),
    endpoint: pick(stored.deployment.endpoint, 'endpoint'),
    latencyP99Ms: stored.deployment.latencyP99Ms ?? readNumber(described['latency p99 (ms)'] ?? ''),
    throughputRps: stored.deployment.throughputRps ?? readNumber(described['throughput (rps)'] ?? ''),
  };
  const dependencies = stored.dependencies.length ? stored.dependencies : parseDependencies(version.tags[CONVENTION_TAGS.dependencies]);
  const parentVersion = stored.parentVersion ?? (Object.hasOwn(version.tags, COPIED_FROM_TAG) ? version.tags[COPIED_FROM_TAG]! : null);
  return {
    training,
    dependencies,
    deployment,
    parentVersion,
    features: version.signature ?? parseFeatures(version.tags[CONVENTION_TAGS.features]),
    lineage: { runId: version.runId, trainingData: training.trainingData, dataVersion: training.dataVersion, codeVersion: training.codeVersion, parentVersion },
  };
}

const parseJson = (text: string | undefined): unknown => {
  if (!text) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
};

/** `{"sklearn": "1.3.0"}`, `[{"name": .., "version": ..}]` or `["sklearn==1.3.0"]`; anything else is none. */
export function parseDependencies(text: string | undefined): Dependency[] {
  const value = parseJson(text);
  const out: Dependency[] = [];
  if (Array.isArray(value)) {
    for (const item of value) {
      if (typeof item === 'string') {
        const match = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:==|=|@)\s*(\S+)\s*$/.exec(item);
        if (match) out.push({ name: match[1]!, version: match[2]! });
      } else if (item && typeof item === 'object' && typeof item.name === 'string' && (typeof item.version === 'string' || typeof item.version === 'number')) {
        out.push({ name: item.name, version: String(item.version) });
      }
    }
  } else if (value && typeof value === 'object') {
    for (const [name, version] of Object.entries(value)) {
      if (typeof version === 'string' || typeof version === 'number') out.push({ name, version: String(version) });
    }
  }
  return out.filter((d) => d.name.isWellFormed() && d.version.isWellFormed()).sort((a, b) => a.name.localeCompare(b.name));
}

/** A side of `features_schema`: `{"age": "int"}`, `[{"name", "type"}]` or `["age", ...]`. */
function parseSide(value: unknown): SignatureField[] | null {
  if (Array.isArray(value)) {
    const fields: SignatureField[] = [];
    for (const item of value) {
      if (typeof item === 'string') fields.push({ name: item, type: 'any', optional: false });
      else if (item && typeof item === 'object' && typeof item.name === 'string') {
        fields.push({ name: item.name, type: typeof item.type === 'string' ? item.type : 'any', optional: item.optional === true || item.required === false });
      }
    }
    return fields;
  }
  if (value && typeof value === 'object') {
    return Object.entries(value).map(([name, type]) => ({ name, type: typeof type === 'string' ? type : 'any', optional: false }));
  }
  if (typeof value === 'string') return [{ name: value, type: 'any', optional: false }];
  return null;
}

/** The tutorial's `features_schema` tag: inputs under input_schema/inputs/input/features, outputs under output_schema/outputs/output/target. */
export function parseFeatures(text: string | undefined): Signature | null {
  const value = parseJson(text);
  if (!value || typeof value !== 'object') return null;
  if (Array.isArray(value)) {
    const inputs = parseSide(value);
    return inputs ? { inputs, outputs: [] } : null;
  }
  const record = value as Record<string, unknown>;
  const find = (names: string[]) => names.map((n) => (Object.hasOwn(record, n) ? record[n] : undefined)).find((v) => v !== undefined);
  const inputs = parseSide(find(['input_schema', 'inputs', 'input', 'features']));
  const outputs = parseSide(find(['output_schema', 'outputs', 'output', 'target']));
  if (!inputs && !outputs) return null;
  return { inputs: (inputs ?? []).filter((f) => f.name.isWellFormed()), outputs: (outputs ?? []).filter((f) => f.name.isWellFormed()) };
}

/** "- Framework: sklearn" lines of a Markdown description (the tutorial's layout), by lower-case label. */
function describedFields(description: string | null): Record<string, string> {
  const fields = emptyRecord<string>();
  for (const line of (description ?? '').split(/\r?\n/)) {
    const match = /^\s*[-*]\s+(?:\*\*)?([A-Za-z0-9 ()]+?)(?:\*\*)?\s*:\s*(?:\*\*)?\s*(.+?)\s*$/.exec(line);
    if (match && !Object.hasOwn(fields, match[1]!.toLowerCase())) fields[match[1]!.toLowerCase()] = unescapeMarkdown(match[2]!);
  }
  return fields;
}

const unescapeMarkdown = (text: string): string => text.replace(/\\([\\`*_{}[\]()#+\-.!|<>])/g, '$1');

/* ---- card fields by name: what compareVersions shows and gates require ---- */

export const CARD_FIELDS = [
  'framework', 'algorithm', 'trainingData', 'dataVersion', 'codeVersion',
  'servingFramework', 'endpoint', 'latencyP99Ms', 'throughputRps', 'parentVersion', 'runId', 'features',
] as const;
export type CardField = (typeof CARD_FIELDS)[number];

/** `dependencies.<name>` names one dependency's version. */
export const DEPENDENCY_FIELD = 'dependencies.';

/** INVALID_INPUT unless `field` is a card field or `dependencies.<name>`. */
export function checkCardField(field: string): void {
  if ((CARD_FIELDS as readonly string[]).includes(field)) return;
  if (field.startsWith(DEPENDENCY_FIELD) && field.length > DEPENDENCY_FIELD.length) return;
  throw invalidInput(`'${preview(field)}' is not a card field; use one of ${CARD_FIELDS.join(', ')} or dependencies.<name>`, { field: 'cardFields' });
}

/** One card field as text, or null when the card has nothing there; dependency names match case-insensitively. */
export function cardFieldValue(card: CardView, field: string): string | null {
  if (field.startsWith(DEPENDENCY_FIELD)) {
    const name = field.slice(DEPENDENCY_FIELD.length).toLowerCase();
    return card.dependencies.find((d) => d.name.toLowerCase() === name)?.version ?? null;
  }
  switch (field as CardField) {
    case 'framework': case 'algorithm': case 'trainingData': case 'dataVersion': case 'codeVersion':
      return card.training[field as 'framework'];
    case 'servingFramework': case 'endpoint':
      return card.deployment[field as 'endpoint'];
    case 'latencyP99Ms': case 'throughputRps':
      return card.deployment[field as 'latencyP99Ms'] === null ? null : String(card.deployment[field as 'latencyP99Ms']);
    case 'parentVersion':
      return card.parentVersion;
    case 'runId':
      return card.lineage.runId;
    case 'features':
      return card.features ? `${card.features.inputs.length} inputs, ${card.features.outputs.length} outputs` : null;
  }
  return null;
}
