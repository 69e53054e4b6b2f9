import type { CreateVersion } from './model.ts';

/** How a backend holds a concept: natively, emulated by modelgate on top of something else, or not at all. */
export type Support = 'native' | 'emulated' | 'none';

/** A limit on a text value, stated so that a client can be told which rule it broke. */
export interface TextRule {
  maxLength: number;
  pattern?: RegExp;
  /** The rule in words, used in INVALID_INPUT messages. */
  rule?: string;
}

export interface Limits {
  modelName: TextRule;
  tagKey: TextRule;
  tagValue: TextRule;
  description: TextRule;
  source: TextRule;
  /** A version description changed after registration, when the backend keeps it under a tighter limit (SageMaker: a metadata entry). */
  versionDescriptionChange?: TextRule;
  /** Longest value of one card field where the backend holds less than the card's own 1000 (SageMaker: a 256-character metadata entry). */
  cardValue?: TextRule;
  /** Most tags one version may carry, or null when unbounded. */
  maxVersionTags: number | null;
  /**
   * A backend that keeps a version's tags, metrics, params and its own fields in one bounded set of
   * entries (SageMaker's CustomerMetadataProperties): how many a version would take, and the most allowed.
   */
  versionEntries?: { max: number; rule: string; count(input: CreateVersion): number };
  /** Most tags (labels) a model or a version can carry at all (Vertex: 64 labels); a call setting more is refused before anything is sent. */
  maxTags?: number;
  /** The backend's own rules on tag keys set or removed (keys it reserves for itself); throws INVALID_INPUT. Run before anything is sent. */
  checkTagKeys?(set: readonly string[], remove: readonly string[], on: 'model' | 'version'): void;
  /** The backend's own rules on an alias (its alphabet, names it manages); throws INVALID_INPUT. Run before anything is sent. */
  checkAlias?(alias: string): void;
  /** The backend's own rules on a version's source (MLflow: a local path only with the run that holds it); throws INVALID_INPUT. Run before anything is sent. */
  checkSource?(source: string, runId: string | null): void;
}

export interface Capabilities {
  stages: Support;
  aliases: Support;
  metrics: Support;
  /** setStage can archive the other versions of the target stage in one atomic step. */
  archiveExistingAtomic: boolean;
  modelDescriptionMutable: boolean;
  /** A model can exist with no versions (false on Vertex: createModel is UNSUPPORTED, createVersion with `createModel` creates both). */
  modelWithoutVersions: boolean;
  /** renameModel works; else it answers UNSUPPORTED. */
  modelRename: boolean;
  /** A version must name where its artifacts are (MLflow requires `source`). */
  versionSourceRequired: boolean;
  versionDescriptionMutable: boolean;
  /** updateCard works after registration (false on Vertex: a version's metadata is immutable). */
  cardMutable: boolean;
  /** URI prefixes a version's source must start with here (SageMaker `s3://`, Vertex `gs://`); absent: any location. */
  artifactSchemes?: readonly string[];
  limits: Limits;
}
