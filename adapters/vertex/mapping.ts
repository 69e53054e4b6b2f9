import { Stage, VersionStatus, emptyRecord, recordFrom, type ModelVersion, type Signature, type Tags, cardFromJson } from '../../src/core/index.ts';

/* How modelgate's concepts live in Vertex labels and aliases. */

/** Version label holding the stage (several STAGING or ARCHIVED versions can exist). */
export const STAGE_LABEL = 'modelgate-stage';
/** Model tags are model-level labels with this prefix: Vertex merges model and version labels on read. */
export const MODEL_TAG_PREFIX = 'model_';
/** Aliases that follow the stage. */
export const STAGE_ALIASES: Partial<Record<Stage, string>> = { [Stage.STAGING]: 'staging', [Stage.PRODUCTION]: 'production' };
/** Vertex keeps `default` on exactly one version; modelgate shows it only through resolveVersion(@default). */
export const DEFAULT_ALIAS = 'default';

export const LABEL_KEY = /^[a-z][a-z0-9_-]{0,62}$/;
/** Vertex's alias rule (model_service.proto). */
export const VERTEX_ALIAS = /^[a-z][a-zA-Z0-9-]{0,126}[a-z0-9]$/;
export const LABEL_VALUE = /^[a-z0-9_-]{0,63}$/;

/** The subset of google.cloud.aiplatform.v1.Model the mapping reads. */
export interface VertexModel {
  name?: string | null;
  versionId?: string | null;
  versionAliases?: string[] | null;
  versionCreateTime?: Timestamp | null;
  versionUpdateTime?: Timestamp | null;
  displayName?: string | null;
  description?: string | null;
  versionDescription?: string | null;
  labels?: Record<string, string> | null;
  artifactUri?: string | null;
  metadata?: ProtoValue | null;
  createTime?: Timestamp | null;
  updateTime?: Timestamp | null;
}

export interface Timestamp {
  seconds?: string | number | { toString(): string } | null;
  nanos?: number | null;
}

/** google.protobuf.Value as the client represents it. */
export interface ProtoValue {
  nullValue?: unknown;
  numberValue?: number | null;
  stringValue?: string | null;
  boolValue?: boolean | null;
  structValue?: { fields?: Record<string, ProtoValue> | null } | null;
  listValue?: { values?: ProtoValue[] | null } | null;
  kind?: string | null;
}

export function toDate(timestamp: Timestamp | null | undefined): Date {
  if (!timestamp) return new Date(0);
  return new Date(Number(String(timestamp.seconds ?? 0)) * 1000 + Math.floor((timestamp.nanos ?? 0) / 1e6));
}

/** A plain JSON value from google.protobuf.Value. */
export function fromValue(value: ProtoValue | null | undefined): unknown {
  if (!value) return null;
  if (value.structValue) {
    return recordFrom(Object.entries(value.structValue.fields ?? {}).map(([k, v]) => [k, fromValue(v)] as const));
  }
  if (value.listValue) return (value.listValue.values ?? []).map(fromValue);
  if (typeof value.numberValue === 'number') return value.numberValue;
  if (typeof value.stringValue === 'string') return value.stringValue;
  if (typeof value.boolValue === 'boolean') return value.boolValue;
  return null;
}

export function toValue(value: unknown): ProtoValue {
  if (value === null || value === undefined) return { nullValue: 'NULL_VALUE' };
  if (typeof value === 'number') return { numberValue: value };
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (Array.isArray(value)) return { listValue: { values: value.map(toValue) } };
  return { structValue: { fields: recordFrom(Object.entries(value as object).map(([k, v]) => [k, toValue(v)] as const)) } };
}

export function readStage(labels: Record<string, string>): Stage {
  const upper = labels[STAGE_LABEL]?.toUpperCase();
  return upper && (Object.values(Stage) as string[]).includes(upper) ? (upper as Stage) : Stage.NONE;
}

/** Splits merged labels into model tags and version tags, leaving modelgate's own out. */
export function splitLabels(labels: Record<string, string> | null | undefined): { model: Tags; version: Tags } {
  const model: Tags = emptyRecord();
  const version: Tags = emptyRecord();
  for (const [key, value] of Object.entries(labels ?? {})) {
    if (key === STAGE_LABEL) continue;
    if (key.startsWith(MODEL_TAG_PREFIX)) model[key.slice(MODEL_TAG_PREFIX.length)] = value;
    else version[key] = value;
  }
  return { model, version };
}

/** Version labels only (Vertex returns them merged with the model's). */
export function versionLabels(labels: Record<string, string> | null | undefined): Record<string, string> {
  return recordFrom(Object.entries(labels ?? {}).filter(([key]) => !key.startsWith(MODEL_TAG_PREFIX)));
}

export function modelLabels(labels: Record<string, string> | null | undefined): Record<string, string> {
  return recordFrom(Object.entries(labels ?? {}).filter(([key]) => key.startsWith(MODEL_TAG_PREFIX)));
}

export function toVersion(registry: string, model: VertexModel): ModelVersion {
  const metadata = fromValue(model.metadata) as { modelgate?: { runId?: string; semver?: string; signature?: Signature; card?: unknown } } | null;
  return {
    registry,
    name: model.displayName ?? '',
    version: String(model.versionId),
    stage: readStage(model.labels ?? {}),
    description: model.versionDescription || null,
    source: model.artifactUri || null,
    runId: metadata?.modelgate?.runId ?? null,
    status: VersionStatus.READY,
    tags: splitLabels(model.labels).version,
    aliases: (model.versionAliases ?? []).filter((a) => a !== DEFAULT_ALIAS).sort(),
    createdAt: toDate(model.versionCreateTime ?? model.createTime),
    updatedAt: toDate(model.versionUpdateTime ?? model.updateTime),
    createdBy: null,
    semver: metadata?.modelgate?.semver ?? null,
    signature: metadata?.modelgate?.signature ?? null,
    card: cardFromJson(metadata?.modelgate?.card),
    native: { modelResourceName: model.name ?? '', isDefaultVersion: String((model.versionAliases ?? []).includes(DEFAULT_ALIAS)) },
  };
}

/** AIP-160 string literal: backslash and double quote escaped, so no name can widen a filter. */
export const filterLiteral = (value: string): string => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
