import { Stage, VersionStatus, emptyRecord, type Alias, type Model, type ModelVersion, type Tags, parseSignature, cardFromJson } from '../../src/core/index.ts';

export interface ModelRow {
  id: number;
  name: string;
  description: string | null;
  created_at: number;
  updated_at: number;
}

export interface VersionRow {
  model_id: number;
  name: string;
  version: number;
  stage: string;
  description: string | null;
  source: string | null;
  run_id: string | null;
  status: string;
  created_at: number;
  updated_at: number;
  created_by: string | null;
  semver: string | null;
  signature: string | null;
  card: string | null;
}

export interface KeyValueRow {
  owner: string | number;
  key: string;
  value: string;
}

/** Groups key/value rows by owner into tag maps. */
export function groupTags(rows: readonly KeyValueRow[]): Map<string, Tags> {
  const byOwner = new Map<string, Tags>();
  for (const row of rows) {
    const owner = String(row.owner);
    let tags = byOwner.get(owner);
    if (!tags) byOwner.set(owner, (tags = emptyRecord()));
    tags[row.key] = row.value;
  }
  return byOwner;
}

export const versionOwner = (modelId: number, version: number): string => `${modelId}/${version}`;

export function toModel(registry: string, row: ModelRow, tags: Tags, aliases: Alias[]): Model {
  return {
    registry,
    name: row.name,
    description: row.description,
    tags,
    aliases,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

export function toVersion(registry: string, row: VersionRow, tags: Tags, aliases: string[]): ModelVersion {
  return {
    registry,
    name: row.name,
    version: String(row.version),
    stage: row.stage as Stage,
    description: row.description,
    source: row.source,
    runId: row.run_id,
    status: row.status as VersionStatus,
    tags,
    aliases,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    createdBy: row.created_by,
    semver: row.semver,
    signature: parseSignature(row.signature),
    card: row.card ? cardFromJson(JSON.parse(row.card)) : null,
  };
}
