import { Stage, VersionStatus, type ModelVersion, type Tags, parseSignature } from '../../src/core/index.ts';

/* CustomerMetadataProperties keys modelgate writes next to the user's tags. */
export const META = {
  stage: 'modelgate.stage',
  source: 'modelgate.source',
  runId: 'modelgate.run_id',
  semver: 'modelgate.semver',
  signature: 'modelgate.signature',
  metric: 'metric.',
  param: 'param.',
} as const;

/** Group tags that hold an alias: `modelgate.alias.<alias>` = version. */
export const ALIAS_TAG = 'modelgate.alias.';

/** True for metadata keys that are modelgate's own rather than user tags. */
export const isReservedKey = (key: string): boolean =>
  key === META.stage ||
  key === META.source ||
  key === META.runId ||
  key === META.semver ||
  key === META.signature ||
  key.startsWith(META.metric) ||
  key.startsWith(META.param);

/** How a stage is written: ModelLifeCycle, the approval status SageMaker pipelines act on, and why. */
export const STAGE_WRITE: Record<Stage, { lifecycle: string; status: string; approval: 'Approved' | 'PendingManualApproval' | 'Rejected'; reason: string }> = {
  [Stage.NONE]: { lifecycle: 'None', status: 'Registered', approval: 'PendingManualApproval', reason: 'Registered; not yet in a stage (modelgate)' },
  [Stage.STAGING]: { lifecycle: 'Staging', status: 'InReview', approval: 'PendingManualApproval', reason: 'In staging; awaiting promotion (modelgate)' },
  [Stage.PRODUCTION]: { lifecycle: 'Production', status: 'Approved', approval: 'Approved', reason: 'Promoted to production (modelgate)' },
  [Stage.ARCHIVED]: { lifecycle: 'Archived', status: 'Archived', approval: 'Rejected', reason: 'Archived: retired from use (modelgate)' },
};

const parseStage = (text: string | undefined): Stage | null => {
  const upper = text?.toUpperCase();
  return upper && (Object.values(Stage) as string[]).includes(upper) ? (upper as Stage) : null;
};

/** The shape of DescribeModelPackage that the mapping reads. */
export interface PackageDescription {
  ModelPackageGroupName?: string;
  ModelPackageVersion?: number;
  ModelPackageArn?: string;
  ModelPackageDescription?: string;
  CreationTime?: Date;
  LastModifiedTime?: Date;
  ModelPackageStatus?: string;
  ModelApprovalStatus?: string;
  CustomerMetadataProperties?: Record<string, string>;
  ModelLifeCycle?: { Stage?: string; StageStatus?: string };
  SourceUri?: string;
  CreatedBy?: { UserProfileName?: string; IamIdentity?: { Arn?: string } };
}

/** Reads prefer ModelLifeCycle, then the metadata mirror, then the approval status alone. */
export function readStage(pkg: PackageDescription): Stage {
  const fromLifecycle = parseStage(pkg.ModelLifeCycle?.Stage);
  if (fromLifecycle) return fromLifecycle;
  const fromMeta = parseStage(pkg.CustomerMetadataProperties?.[META.stage]);
  if (fromMeta) return fromMeta;
  if (pkg.ModelApprovalStatus === 'Approved') return Stage.PRODUCTION;
  if (pkg.ModelApprovalStatus === 'Rejected') return Stage.ARCHIVED;
  return Stage.NONE;
}

export function toVersion(registry: string, name: string, pkg: PackageDescription, aliases: string[]): ModelVersion {
  const meta = pkg.CustomerMetadataProperties ?? {};
  const tags: Tags = {};
  for (const [key, value] of Object.entries(meta)) if (!isReservedKey(key)) tags[key] = value;
  return {
    registry,
    name,
    version: String(pkg.ModelPackageVersion),
    stage: readStage(pkg),
    description: pkg.ModelPackageDescription || null,
    source: pkg.SourceUri || meta[META.source] || null,
    runId: meta[META.runId] || null,
    status: toStatus(pkg.ModelPackageStatus),
    tags,
    aliases: [...aliases].sort(),
    createdAt: pkg.CreationTime ?? new Date(0),
    updatedAt: pkg.LastModifiedTime ?? pkg.CreationTime ?? new Date(0),
    createdBy: pkg.CreatedBy?.UserProfileName ?? pkg.CreatedBy?.IamIdentity?.Arn ?? null,
    semver: meta[META.semver] || null,
    signature: parseSignature(meta[META.signature]),
    native: { modelPackageArn: pkg.ModelPackageArn ?? '', approvalStatus: pkg.ModelApprovalStatus ?? '' },
  };
}

function toStatus(status: string | undefined): VersionStatus {
  if (status === 'Failed' || status === 'Deleting') return VersionStatus.FAILED_REGISTRATION;
  if (status === 'Pending' || status === 'InProgress') return VersionStatus.PENDING_REGISTRATION;
  return VersionStatus.READY;
}

/** Metrics and params kept as `metric.<name>` / `param.<name>` metadata. */
export function readMetrics(pkg: PackageDescription): { metrics: Record<string, number>; params: Record<string, string> } {
  const metrics: Record<string, number> = {};
  const params: Record<string, string> = {};
  for (const [key, value] of Object.entries(pkg.CustomerMetadataProperties ?? {})) {
    if (key.startsWith(META.metric)) {
      const number = Number(value);
      if (value.trim() !== '' && Number.isFinite(number)) metrics[key.slice(META.metric.length)] = number;
    } else if (key.startsWith(META.param)) {
      params[key.slice(META.param.length)] = value;
    }
  }
  return { metrics, params };
}
