import { createHash } from 'node:crypto';
import {
  ErrorCode,
  RegistryError,
  cardEntries,
  cardFromEntries,
  emptyRecord,
  type Capabilities,
  type ModelCard,
  type CreateVersion,
  type ModelVersion,
  type TextRule,
  type VersionMetrics,
} from '../core/index.ts';
import { ROLLBACK_REASON, ROLLED_BACK_AT } from './production-tags.ts';

/** The tag every copy carries: where it came from, `<registry>:models:/<name>/<version>`. */
export const COPIED_FROM = 'modelgate.copied_from';
/** Where a run id from another registry goes: it names a run on the source's tracking server, not the target's. */
export const SOURCE_RUN = 'modelgate.source_run';
/** Tags that describe the source's own life (promotions, rollbacks), not the model: a new copy starts without them. */
const LIFECYCLE_TAGS = new Set([ROLLBACK_REASON, ROLLED_BACK_AT, 'promoted_at', 'promoted_by']);

export type CopiedField = 'tag' | 'metric' | 'param' | 'description' | 'source' | 'runId' | 'signature' | 'card';

/** One value the copy could not carry as it was: changed (`to` set) or left out (`to` null), and why. */
export interface FieldChange {
  field: CopiedField;
  key: string | null;
  from: string | null;
  to: string | null;
  reason: string;
}

/** A prefix rewrite for artifact locations (config `artifactLocations`). */
export interface ArtifactLocation {
  from: string;
  to: string;
}

export interface CopyPlan {
  /** What the target registry is asked to create. */
  input: CreateVersion;
  /** The copied_from tag as the target holds it (fitted to its rules): how an earlier copy is found. */
  marker: { key: string; value: string };
  transformed: FieldChange[];
  dropped: FieldChange[];
}

export interface PlanOptions {
  sourceRegistry: string;
  targetRegistry: string;
  targetName: string;
  artifactLocations: readonly ArtifactLocation[];
  createdBy: string;
}

/**
 * What a copy of `source` into a registry with `capabilities` would be: every value fitted to the
 * target's declared limits, each one that changes or cannot go said so. Refuses (INVALID_INPUT)
 * only where the copy would be useless: no artifact location the target accepts.
 */
export function planCopy(source: ModelVersion, recorded: VersionMetrics, capabilities: Capabilities, options: PlanOptions): CopyPlan {
  const limits = capabilities.limits;
  const transformed: FieldChange[] = [];
  const dropped: FieldChange[] = [];
  const origin = copiedFrom(options.sourceRegistry, source.name, source.version);
  const marker = fitMarker(capabilities, origin);

  const tags = emptyRecord<string>();
  const taken = new Set([marker.key]);
  const fitted = (key: string, value: string, field: CopiedField) => {
    const fitKey = fitText(key, limits.tagKey, 'key');
    const fitValue = fitText(value, limits.tagValue, 'value');
    if (fitKey.text === null) return dropped.push({ field, key, from: value, to: null, reason: `key ${fitKey.why}` });
    if (fitValue.text === null) return dropped.push({ field, key, from: value, to: null, reason: `value ${fitValue.why}` });
    if (taken.has(fitKey.text)) return dropped.push({ field, key, from: value, to: null, reason: `key becomes '${fitKey.text}' here, which another tag already holds` });
    taken.add(fitKey.text);
    tags[fitKey.text] = fitValue.text;
    if (fitKey.text !== key || fitValue.text !== value) {
      transformed.push({ field, key, from: value, to: fitKey.text === key ? fitValue.text : `${fitKey.text}=${fitValue.text}`, reason: [fitKey.why, fitValue.why].filter(Boolean).join('; ') });
    }
  };
  for (const key of Object.keys(source.tags).sort()) {
    const value = source.tags[key]!;
    if (key === COPIED_FROM) {
      transformed.push({ field: 'tag', key, from: value, to: origin, reason: 'a copy names its own origin' });
      continue;
    }
    if (LIFECYCLE_TAGS.has(key)) {
      dropped.push({ field: 'tag', key, from: value, to: null, reason: "it records the source's promotions and rollbacks, which the copy has not had" });
      continue;
    }
    fitted(key, value, 'tag');
  }

  let runId = source.runId;
  if (runId && options.sourceRegistry !== options.targetRegistry) {
    // A run id names a run on the source's tracking server; kept as a tag so nothing is lost.
    const before = dropped.length;
    fitted(SOURCE_RUN, runId, 'runId');
    if (dropped.length === before) transformed.push({ field: 'runId', key: null, from: runId, to: `tag ${SOURCE_RUN}`, reason: "a run id names a run on the source registry's tracking server" });
    runId = null;
  }

  let description = source.description;
  if (description && description.length > limits.description.maxLength) {
    const cut = [...description].slice(0, limits.description.maxLength).join('').slice(0, limits.description.maxLength).toWellFormed();
    transformed.push({ field: 'description', key: null, from: description, to: cut, reason: `longer than this registry's ${limits.description.maxLength} characters` });
    description = cut;
  }

  const metrics = { ...recorded.metrics };
  const params = { ...recorded.params };
  const input: CreateVersion = {
    name: options.targetName,
    source: artifactLocation(source.source, capabilities, options.artifactLocations, transformed, options.targetRegistry),
    runId,
    description,
    tags,
    metrics: Object.assign(emptyRecord<number>(), metrics),
    params: Object.assign(emptyRecord<string>(), params),
    semver: source.semver,
    signature: source.signature,
    card: fitCard(source.card, capabilities, dropped),
    createdBy: options.createdBy,
    createModel: {},
  };
  fitTagCount(input, limits.maxVersionTags, dropped);
  fitEntries(input, capabilities, dropped);
  input.tags![marker.key] = marker.value;
  return { input, marker, transformed, dropped };
}

export const copiedFrom = (registry: string, name: string, version: string) => `${registry}:models:/${name}/${version}`;

/** The origin tag as this target can hold it; a value its rules refuse becomes a stable digest of the origin. */
export function fitMarker(capabilities: Capabilities, origin: string): { key: string; value: string } {
  const { tagKey, tagValue } = capabilities.limits;
  const key = fitText(COPIED_FROM, tagKey, 'key').text ?? 'copied_from';
  const value = fitText(origin, tagValue, 'value').text ?? `sha256-${createHash('sha256').update(origin).digest('hex').slice(0, 40)}`;
  return { key, value };
}

/**
 * A text as a rule allows it: as is, or, where the rule has an alphabet the text breaks, lowered
 * and with the other characters replaced (what Vertex's label alphabet asks). Never cut: too long
 * is `null` with the reason.
 */
function fitText(text: string, rule: TextRule, what: 'key' | 'value'): { text: string | null; why: string } {
  const fits = (candidate: string) => candidate.length <= rule.maxLength && (!rule.pattern || rule.pattern.test(candidate));
  if (fits(text)) return { text, why: '' };
  if (text.length > rule.maxLength) return { text: null, why: `is ${text.length} characters long; this registry allows ${rule.maxLength}` };
  let candidate = text.toLowerCase().replace(/[^a-z0-9_-]/g, what === 'key' ? '_' : '-');
  if (what === 'key' && !/^[a-z]/.test(candidate)) candidate = `k${candidate}`;
  if (fits(candidate)) return { text: candidate, why: `rewritten to this registry's rule: ${rule.rule ?? rule.pattern?.source}` };
  return { text: null, why: `breaks this registry's rule: ${rule.rule ?? rule.pattern?.source ?? `at most ${rule.maxLength}`}` };
}

/** The same artifacts, named as the target needs them: a configured prefix rewrite where its scheme differs. */
function artifactLocation(source: string | null, capabilities: Capabilities, locations: readonly ArtifactLocation[], transformed: FieldChange[], target: string): string | null {
  if (source === null) {
    if (capabilities.versionSourceRequired) throw refuse(`Registry '${target}' requires a source (where the version's artifacts are); the source version has none`, { field: 'source' });
    return null;
  }
  const schemes = capabilities.artifactSchemes;
  const accepted = (uri: string) => !schemes || schemes.some((scheme) => uri.startsWith(scheme));
  if (accepted(source)) return source;
  const mapping = [...locations].sort((a, b) => b.from.length - a.from.length).find((m) => source.startsWith(m.from) && accepted(m.to + source.slice(m.from.length)));
  if (!mapping) {
    throw refuse(
      `Registry '${target}' needs artifact locations starting with ${schemes!.join(' or ')}; '${source}' is not one, and no artifactLocations entry maps it (add {from: "<prefix of ${source}>", to: "${schemes![0]}..."})`,
      { field: 'source', requires: schemes, source },
    );
  }
  const rewritten = mapping.to + source.slice(mapping.from.length);
  transformed.push({ field: 'source', key: null, from: source, to: rewritten, reason: `artifactLocations maps ${mapping.from} to ${mapping.to}; the artifacts themselves are not moved` });
  return rewritten;
}

/** More tags than the target allows per version: the last ones by key are left out, each said so. */
function fitTagCount(input: CreateVersion, max: number | null, dropped: FieldChange[]): void {
  const keys = Object.keys(input.tags!).sort();
  // One place is the copy's own origin tag.
  if (max === null || keys.length + 1 <= max) return;
  for (const key of keys.slice(Math.max(0, max - 1))) {
    dropped.push({ field: 'tag', key, from: input.tags![key]!, to: null, reason: `this registry keeps at most ${max} tags per version` });
    delete input.tags![key];
  }
}

const PARENT_VERSION_ENTRY = 'lineage.parentVersion';

/** The stored card, field by field as the target can hold it: a field longer than the target's card value rule is left out, said so. */
function fitCard(card: ModelCard | null | undefined, capabilities: Capabilities, dropped: FieldChange[]): ModelCard | null {
  if (!card) return null;
  const rule = capabilities.limits.cardValue;
  const kept = emptyRecord<string>();
  for (const [key, value] of Object.entries(cardEntries(card)).sort(([a], [b]) => (a < b ? -1 : 1))) {
    // The copy's parent is its source, which the copied-from marker names; the source's own parent is not the copy's.
    if (key === PARENT_VERSION_ENTRY) continue;
    if (rule && value.length > rule.maxLength) {
      dropped.push({ field: 'card', key, from: value, to: null, reason: `is ${value.length} characters long; this registry keeps ${rule.rule ?? `at most ${rule.maxLength}`}` });
    } else kept[key] = value;
  }
  return cardFromEntries(kept, '');
}

/** A shared entry budget (SageMaker's 50): tags go first, then params, then metrics, then card fields, then the signature. */
function fitEntries(input: CreateVersion, capabilities: Capabilities, dropped: FieldChange[]): void {
  const budget = capabilities.limits.versionEntries;
  if (!budget) return;
  const withMarker = () => budget.count({ ...input, tags: { ...input.tags, [COPIED_FROM]: 'x' } });
  const card = input.card ? cardEntries(input.card) : emptyRecord<string>();
  const queues: [CopiedField, Record<string, string | number>, () => void][] = [
    ['tag', input.tags!, () => {}],
    ['param', input.params!, () => {}],
    ['metric', input.metrics!, () => {}],
    // The card is rebuilt from what is left, so the count sees each removal.
    ['card', card, () => (input.card = cardFromEntries(card, ''))],
  ];
  for (const [field, record, removed] of queues) {
    for (const key of Object.keys(record).sort().reverse()) {
      if (withMarker() <= budget.max) return;
      dropped.push({ field, key, from: String(record[key]), to: null, reason: budget.rule });
      delete record[key];
      removed();
    }
  }
  if (withMarker() > budget.max && input.signature) {
    dropped.push({ field: 'signature', key: null, from: JSON.stringify(input.signature), to: null, reason: budget.rule });
    input.signature = null;
  }
}

const refuse = (message: string, details: Record<string, unknown>) => new RegistryError(ErrorCode.INVALID_INPUT, message, { details });
