import type { Stage } from './stage.ts';
import type { ModelCard } from './card.ts';

/** Tags are string maps without a prototype (see `emptyRecord`), so any key round-trips; GraphQL shows them as key/value lists. */
export type Tags = Record<string, string>;

export interface ModelKey {
  name: string;
}

/** Versions are strings everywhere: MLflow and Vertex ids are strings, the local registry's are integers. */
export interface VersionKey {
  name: string;
  version: string;
}

export interface Alias {
  alias: string;
  version: string;
}

export interface Model {
  registry: string;
  name: string;
  description: string | null;
  tags: Tags;
  aliases: Alias[];
  createdAt: Date;
  updatedAt: Date;
  /** Backend-specific identifiers (ARNs, resource names) kept for operators. */
  native?: Record<string, string>;
}

export enum VersionStatus {
  READY = 'READY',
  PENDING_REGISTRATION = 'PENDING_REGISTRATION',
  FAILED_REGISTRATION = 'FAILED_REGISTRATION',
}

/** One input or output field of a model's signature. */
export interface SignatureField {
  name: string;
  type: string;
  optional: boolean;
}

/** What a version takes and returns; compared to assign semantic versions. */
export interface Signature {
  inputs: SignatureField[];
  outputs: SignatureField[];
}

/** A signature stored as JSON by modelgate; anything unreadable is reported as absent rather than guessed. */
export function parseSignature(text: string | null | undefined): Signature | null {
  if (!text) return null;
  try {
    const value = JSON.parse(text) as Signature;
    return Array.isArray(value?.inputs) && Array.isArray(value?.outputs) ? value : null;
  } catch {
    return null;
  }
}

export interface ModelVersion {
  registry: string;
  name: string;
  version: string;
  stage: Stage;
  description: string | null;
  source: string | null;
  runId: string | null;
  status: VersionStatus;
  tags: Tags;
  aliases: string[];
  createdAt: Date;
  updatedAt: Date;
  createdBy: string | null;
  /** Semantic version assigned at registration (MAJOR.MINOR.PATCH), or null. */
  semver: string | null;
  signature: Signature | null;
  /** The stored model card (training, dependencies, deployment, parent); readCard adds what conventions say. Absent: none stored. */
  card?: ModelCard | null;
  native?: Record<string, string>;
}

/**
 * A version to read metrics for. `runId` is passed when the caller already holds the
 * version, so a backend that keeps metrics on runs (MLflow) need not look it up again;
 * undefined means unknown, null means the version has no run.
 */
export type MetricsRef = VersionKey & {
  runId?: string | null;
  /** The version's tags when the caller holds them, so metrics kept in tags need no second read. */
  tags?: Tags;
};

/** Where a metric value came from: the backend's own metric store (MLflow run, SageMaker metric entries, Vertex evaluations, local table) or a tag. */
export type MetricSource = 'RUN' | 'TAGS';

/** Numbers recorded for a version (evaluation results) and the parameters that produced it. */
export interface VersionMetrics {
  metrics: Record<string, number>;
  params: Record<string, string>;
  /** Per metric, where its value came from; absent means RUN. */
  sources?: Record<string, MetricSource>;
}

/** A string-keyed record without a prototype: `__proto__`, `constructor` or `toString` are keys like any other. */
export const emptyRecord = <V>(): Record<string, V> => Object.create(null) as Record<string, V>;

/** A prototype-free record from key/value pairs; a later pair wins. */
export function recordFrom<V>(pairs: Iterable<readonly [string, V]>): Record<string, V> {
  const record = emptyRecord<V>();
  for (const [key, value] of pairs) record[key] = value;
  return record;
}

/** No metrics and no params, each a fresh prototype-free record. */
export const emptyMetrics = (): VersionMetrics => ({ metrics: emptyRecord(), params: emptyRecord() });

export const EMPTY_METRICS: VersionMetrics = Object.freeze({ metrics: Object.freeze(emptyRecord<number>()), params: Object.freeze(emptyRecord<string>()) });

export interface CreateModel {
  name: string;
  description?: string | null;
  tags?: Tags;
  createdBy?: string | null;
}

export interface ModelPatch {
  description?: string | null;
}

export interface CreateVersion {
  name: string;
  source?: string | null;
  runId?: string | null;
  description?: string | null;
  tags?: Tags;
  metrics?: Record<string, number>;
  params?: Record<string, string>;
  createdBy?: string | null;
  semver?: string | null;
  signature?: Signature | null;
  card?: ModelCard | null;
  /** Create the model with these properties when it does not exist yet (Vertex creates a model with its first version). */
  createModel?: { description?: string | null; tags?: Tags };
}

export interface VersionPatch {
  description?: string | null;
}

export interface ModelQuery {
  /** Exact prefix of the name (case-sensitive). */
  namePrefix?: string;
  /** Substring of the name; case-insensitive for ASCII letters. */
  nameContains?: string;
  /** Every tag must be present; a null value matches any value. */
  tags?: { key: string; value: string | null }[];
}

export enum VersionOrder {
  NEWEST_FIRST = 'NEWEST_FIRST',
  OLDEST_FIRST = 'OLDEST_FIRST',
}

export interface VersionQuery {
  stages?: Stage[];
  order?: VersionOrder;
}

/** Stable text form of a version key, for maps and DataLoader caches. */
export const versionKeyId = (key: VersionKey): string => JSON.stringify([key.name, key.version]);

/** Parts of a record that cost a backend extra work to read (SQL statements, requests). */
export type Detail = 'tags' | 'aliases' | 'metrics' | 'params';

/**
 * The details a read must include; undefined means all of them. A read may return more than
 * asked; what it leaves out it marks with the `UNREAD` values, never with an empty list.
 */
export type ReadShape = readonly Detail[];

/** Whether a read with `shape` must include `detail`. */
export const wants = (shape: ReadShape | undefined, detail: Detail): boolean => !shape || shape.includes(detail);

/** Markers for details a shaped read left out: compared by identity, frozen, so nobody mistakes them for data. */
export const UNREAD = Object.freeze({
  tags: Object.freeze(emptyRecord<string>()) as Tags,
  modelAliases: Object.freeze([]) as unknown as Alias[],
  versionAliases: Object.freeze([]) as unknown as string[],
  metrics: Object.freeze(emptyRecord<number>()) as Record<string, number>,
  params: Object.freeze(emptyRecord<string>()) as Record<string, string>,
});

const unreadValues = new Set<unknown>(Object.values(UNREAD));

/** True when `value` is one of the UNREAD markers: the read left this detail out. */
export const isUnread = (value: unknown): boolean => unreadValues.has(value);
