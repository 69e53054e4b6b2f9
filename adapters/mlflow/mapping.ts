import { Stage, VersionStatus, emptyRecord, invalidInput, preview, type Model, type ModelVersion, type Tags, parseSignature, cardFromEntries, recordFrom } from '../../src/core/index.ts';

/* JSON shapes of MLflow's REST API (mlflow/protos/model_registry.proto, service.proto). */

export interface MlflowTag {
  key: string;
  value: string;
}

export interface MlflowModelVersion {
  name: string;
  version: string;
  creation_timestamp?: number | string;
  last_updated_timestamp?: number | string;
  user_id?: string;
  current_stage?: string;
  description?: string;
  source?: string;
  run_id?: string;
  status?: string;
  tags?: MlflowTag[];
  aliases?: string[];
}

export interface MlflowRegisteredModel {
  name: string;
  creation_timestamp?: number | string;
  last_updated_timestamp?: number | string;
  description?: string;
  tags?: MlflowTag[];
  aliases?: { alias: string; version: string }[];
}

export interface MlflowRun {
  info: { run_id: string };
  data?: {
    metrics?: { key: string; value: number | string }[];
    params?: { key: string; value: string }[];
  };
}

/** A URI scheme as Python's urlparse reads one (`file:`, `s3:`); a source without one is a local path to MLflow. */
const URI_SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;

/** `+` and %-escapes decoded until nothing changes, as MLflow does before it looks for `..`. */
function unquoted(source: string): string {
  for (let text = source; ; ) {
    let next: string;
    try {
      next = decodeURIComponent(text.replaceAll('+', ' '));
    } catch {
      return text;
    }
    if (next === text) return text;
    text = next;
  }
}

/**
 * What MLflow's server refuses as a version source (mlflow/server/handlers.py, create_model_version),
 * known from the arguments alone: a local path (no scheme, or `file:`) without the run whose artifacts
 * hold it, and any `..` path segment. A local path with a run id is MLflow's to judge (it reads the run).
 */
export function checkMlflowSource(source: string, runId: string | null): void {
  const scheme = URI_SCHEME.exec(source)?.[1]?.toLowerCase();
  if ((scheme === undefined || scheme === 'file') && !runId) {
    throw invalidInput(
      `MLflow takes a local path ('${preview(source)}') as a source only with the runId of the run whose artifacts hold it; give that runId, or a location such as s3://, gs://, wasbs://, hdfs://, runs:/ or models:/`,
      { field: 'source' },
    );
  }
  if (unquoted(source).split('/').includes('..')) {
    throw invalidInput("MLflow refuses a source with '..' path segments: give the location as an absolute path", { field: 'source' });
  }
}

/** Version tags holding the semantic version and the signature (JSON); shown as fields, not tags. */
export const SEMVER_TAG = 'modelgate.semver';
export const SIGNATURE_TAG = 'modelgate.signature';
/** Version tags `modelgate.card.<entry>` hold the model card, one native tag per field (readable in MLflow's UI). */
export const CARD_TAG_PREFIX = 'modelgate.card.';

/** In `aliases` stage mode, a version's stage lives in this tag (absent means NONE). */
export const STAGE_TAG = 'modelgate.stage';
/** Aliases that follow the stage in `aliases` mode. */
export const STAGE_ALIASES: Partial<Record<Stage, string>> = { [Stage.STAGING]: 'staging', [Stage.PRODUCTION]: 'production' };

const TO_MLFLOW_STAGE: Record<Stage, string> = {
  [Stage.NONE]: 'None',
  [Stage.STAGING]: 'Staging',
  [Stage.PRODUCTION]: 'Production',
  [Stage.ARCHIVED]: 'Archived',
};

export const mlflowStage = (stage: Stage): string => TO_MLFLOW_STAGE[stage];

export function parseMlflowStage(text: string | undefined): Stage {
  switch ((text ?? 'None').toLowerCase()) {
    case 'staging':
      return Stage.STAGING;
    case 'production':
      return Stage.PRODUCTION;
    case 'archived':
      return Stage.ARCHIVED;
    default:
      return Stage.NONE;
  }
}

export type StageMode = 'stages' | 'aliases';

export const toTags = (tags: MlflowTag[] | undefined, ...hidden: string[]): Tags => {
  const result: Tags = emptyRecord();
  for (const tag of tags ?? []) if (!hidden.includes(tag.key)) result[tag.key] = tag.value;
  return result;
};

export const fromTags = (tags: Tags | undefined): MlflowTag[] => Object.entries(tags ?? {}).map(([key, value]) => ({ key, value }));

const time = (value: number | string | undefined): Date => new Date(Number(value ?? 0));
/** MLflow keeps an empty string where a description was cleared; both mean "none". */
const text = (value: string | undefined): string | null => (value ? value : null);

export function toModel(registry: string, model: MlflowRegisteredModel): Model {
  return {
    registry,
    name: model.name,
    description: text(model.description),
    tags: toTags(model.tags),
    aliases: (model.aliases ?? []).map((a) => ({ alias: a.alias, version: String(a.version) })).sort((a, b) => a.alias.localeCompare(b.alias)),
    createdAt: time(model.creation_timestamp),
    updatedAt: time(model.last_updated_timestamp ?? model.creation_timestamp),
  };
}

export function toVersion(registry: string, version: MlflowModelVersion, mode: StageMode): ModelVersion {
  const stage =
    mode === 'stages'
      ? parseMlflowStage(version.current_stage)
      : (Object.values(Stage) as string[]).includes(version.tags?.find((t) => t.key === STAGE_TAG)?.value ?? '')
        ? (version.tags!.find((t) => t.key === STAGE_TAG)!.value as Stage)
        : Stage.NONE;
  return {
    registry,
    name: version.name,
    version: String(version.version),
    stage,
    description: text(version.description),
    source: text(version.source),
    runId: text(version.run_id),
    status: toStatus(version.status),
    tags: toTags(version.tags?.filter((t) => !t.key.startsWith(CARD_TAG_PREFIX)), SEMVER_TAG, SIGNATURE_TAG, ...(mode === 'aliases' ? [STAGE_TAG] : [])),
    aliases: [...(version.aliases ?? [])].sort(),
    createdAt: time(version.creation_timestamp),
    updatedAt: time(version.last_updated_timestamp ?? version.creation_timestamp),
    createdBy: text(version.user_id),
    semver: version.tags?.find((t) => t.key === SEMVER_TAG)?.value ?? null,
    signature: parseSignature(version.tags?.find((t) => t.key === SIGNATURE_TAG)?.value),
    card: cardFromEntries(recordFrom((version.tags ?? []).filter((t) => t.key.startsWith(CARD_TAG_PREFIX)).map((t) => [t.key, t.value])), CARD_TAG_PREFIX),
  };
}

function toStatus(status: string | undefined): VersionStatus {
  if (status === 'PENDING_REGISTRATION') return VersionStatus.PENDING_REGISTRATION;
  if (status === 'FAILED_REGISTRATION') return VersionStatus.FAILED_REGISTRATION;
  return VersionStatus.READY;
}
