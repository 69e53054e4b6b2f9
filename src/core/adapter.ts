import type { ModelCard } from './card.ts';
import type {
  CreateModel,
  CreateVersion,
  MetricsRef,
  Model,
  ModelKey,
  ModelPatch,
  ModelQuery,
  ModelVersion,
  ReadShape,
  VersionKey,
  VersionMetrics,
  VersionPatch,
  VersionQuery,
} from './model.ts';
import type { Page, PageRequest } from './page.ts';
import type { Stage } from './stage.ts';
import type { Capabilities } from './capabilities.ts';
import type { CallTrace } from './tracing.ts';

export type RegistryKind = 'local' | 'mlflow' | 'sagemaker' | 'vertex';

export interface Health {
  ok: boolean;
  /** Round trip of the probe, in milliseconds. */
  latencyMs: number;
  message?: string;
}

export interface SetStageOptions {
  /** Archive the other versions in the target stage in the same step; only when capabilities say it is atomic. */
  archiveExisting?: boolean;
}

/** What one backend call carries: the signal that cancels it and the time it must be done by. */
export interface CallContext {
  /** Aborted when the call's deadline passes: transports hand it on (undici, AWS SDK, gRPC cancel). */
  readonly signal: AbortSignal;
  /** Epoch milliseconds; transports with their own per-request deadline (gRPC) cap it at what is left. */
  readonly deadline: number;
  /** Set only when tracing is on: transports add its headers to every request and count retries. */
  readonly trace?: CallTrace;
}

/**
 * The port every backend implements. Adapters translate; rules (gates, promotion,
 * archiving policy) live in workflows. Missing things are `null` from getters and
 * NOT_FOUND from mutations; every failure is a RegistryError with a core code.
 */
export interface RegistryAdapter {
  readonly id: string;
  readonly kind: RegistryKind;
  capabilities(): Capabilities;
  health(): Promise<Health>;
  /** Releases connections and files; the adapter is unusable afterwards. */
  close?(): Promise<void>;
  /**
   * A view of this adapter whose backend calls all carry `context`; the resilience wrapper makes
   * one per call. A view rather than a parameter on every method (the port stays as it is) or
   * AsyncLocalStorage (which taxes every promise on Node 20). Adapters that cannot cancel (SQLite,
   * synchronous) leave it out and the deadline still answers the caller.
   */
  withCall?(context: CallContext): RegistryAdapter;

  /**
   * Reads take an optional `shape` (see ReadShape): the details the caller will use. GraphQL passes
   * what the query selects; adapters where a detail costs extra work leave the rest out (UNREAD).
   */
  listModels(query: ModelQuery, page: PageRequest, shape?: ReadShape): Promise<Page<Model>>;
  getModel(name: string, shape?: ReadShape): Promise<Model | null>;
  createModel(input: CreateModel): Promise<Model>;
  updateModel(name: string, patch: ModelPatch): Promise<Model>;
  /** Renames a model with its versions, tags and aliases; ALREADY_EXISTS if the new name is taken. */
  renameModel(name: string, newName: string): Promise<Model>;
  /** Deletes the model and all its versions. */
  deleteModel(name: string): Promise<void>;

  listVersions(name: string, query: VersionQuery, page: PageRequest, shape?: ReadShape): Promise<Page<ModelVersion>>;
  /** Batch read for DataLoader: one result per key, in order, null where missing. */
  getVersions(keys: readonly VersionKey[], shape?: ReadShape): Promise<(ModelVersion | null)[]>;
  /** Latest version per stage for each model (MLflow's get-latest-versions), batched. */
  latestVersions(names: readonly string[], stages: readonly Stage[]): Promise<Map<string, ModelVersion[]>>;
  createVersion(input: CreateVersion): Promise<ModelVersion>;
  updateVersion(key: VersionKey, patch: VersionPatch): Promise<ModelVersion>;
  /** Replaces the version's stored card (null removes it); UNSUPPORTED where capabilities say `cardMutable: false`. */
  updateCard(key: VersionKey, card: ModelCard | null): Promise<ModelVersion>;
  /** Where the version's artifacts can be downloaded from (MLflow's get-download-uri). */
  getDownloadUri(key: VersionKey): Promise<string | null>;
  /** Deletes one version; its number is never handed out again. */
  deleteVersion(key: VersionKey): Promise<void>;

  setTags(target: ModelKey | VersionKey, set: Record<string, string>, remove: readonly string[]): Promise<void>;
  /** Points an alias at a version, moving it if it was elsewhere. */
  setAlias(name: string, alias: string, version: string): Promise<void>;
  /** NOT_FOUND when the alias is not set. */
  deleteAlias(name: string, alias: string): Promise<void>;
  getVersionByAlias(name: string, alias: string): Promise<ModelVersion | null>;

  /** Moves one version; archiving others is the workflow's job unless `archiveExisting` is atomic here. */
  setStage(key: VersionKey, stage: Stage, options?: SetStageOptions): Promise<ModelVersion>;

  /** Batch read of metrics and params, keyed by versionKeyId; versions without any are absent or empty. */
  getMetrics(versions: readonly MetricsRef[], shape?: ReadShape): Promise<Map<string, VersionMetrics>>;
}

export const isVersionKey = (target: ModelKey | VersionKey): target is VersionKey =>
  typeof (target as VersionKey).version === 'string';

/**
 * `base` with some fields replaced for one call (a transport bound to a signal). Methods run with
 * the view as `this`, so they see the replacements; writes go to `base`, so caches stay shared.
 */
export function callView<T extends object>(base: T, replaced: Record<string, unknown>): T {
  return new Proxy(base, {
    get: (target, property, receiver) =>
      typeof property === 'string' && Object.hasOwn(replaced, property) ? replaced[property] : Reflect.get(target, property, receiver),
    set: (target, property, value) => Reflect.set(target, property, value),
  });
}
