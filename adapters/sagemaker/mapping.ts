import { Stage, VersionStatus, emptyMetrics, emptyRecord, invalidInput, isUnread, type ModelVersion, type Signature, type SignatureField, type Tags, type VersionMetrics, parseSignature, cardEntries, cardFromEntries, type ModelCard } from '../../src/core/index.ts';

/* CustomerMetadataProperties keys modelgate writes next to the user's tags. */
export const META = {
  stage: 'modelgate.stage',
  source: 'modelgate.source',
  runId: 'modelgate.run_id',
  semver: 'modelgate.semver',
  /** Written by modelgate 0.x as one JSON value; read still, never written. */
  signature: 'modelgate.signature',
  /** The compact signature, split across `modelgate.signature.0`, `.1`, ... in order. */
  signaturePart: 'modelgate.signature.',
  /** A description changed after registration (ModelPackageDescription is set at creation only). */
  description: 'modelgate.description',
  metric: 'metric.',
  param: 'param.',
  /** The model card, one entry per field: `modelgate.card.training.framework`, `modelgate.card.dependencies.sklearn`, ... */
  card: 'modelgate.card.',
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
  key === META.description ||
  key.startsWith(META.signaturePart) ||
  key.startsWith(META.card) ||
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
  // Null prototype: a tag named `__proto__` or `constructor` is a tag like any other.
  const tags: Tags = emptyRecord();
  for (const [key, value] of Object.entries(meta)) if (!isReservedKey(key)) tags[key] = value;
  return {
    registry,
    name,
    version: String(pkg.ModelPackageVersion),
    stage: readStage(pkg),
    description: readDescription(pkg),
    source: pkg.SourceUri || meta[META.source] || null,
    runId: meta[META.runId] || null,
    status: toStatus(pkg.ModelPackageStatus),
    tags,
    aliases: isUnread(aliases) ? aliases : [...aliases].sort(), // the UNREAD marker is kept by identity
    createdAt: pkg.CreationTime ?? new Date(0),
    updatedAt: pkg.LastModifiedTime ?? pkg.CreationTime ?? new Date(0),
    createdBy: pkg.CreatedBy?.UserProfileName ?? pkg.CreatedBy?.IamIdentity?.Arn ?? null,
    semver: meta[META.semver] || null,
    signature: readSignature(meta),
    card: cardFromEntries(meta, META.card),
    native: { modelPackageArn: pkg.ModelPackageArn ?? '', approvalStatus: pkg.ModelApprovalStatus ?? '' },
  };
}

function toStatus(status: string | undefined): VersionStatus {
  if (status === 'Failed' || status === 'Deleting') return VersionStatus.FAILED_REGISTRATION;
  if (status === 'Pending' || status === 'InProgress') return VersionStatus.PENDING_REGISTRATION;
  return VersionStatus.READY;
}

/** Metrics and params kept as `metric.<name>` / `param.<name>` metadata. */
export function readMetrics(pkg: PackageDescription): VersionMetrics {
  const { metrics, params } = emptyMetrics();
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

/** The description entry wins over ModelPackageDescription once set; an empty entry means cleared. */
export function readDescription(pkg: PackageDescription): string | null {
  const meta = pkg.CustomerMetadataProperties ?? {};
  return (Object.hasOwn(meta, META.description) ? meta[META.description] : pkg.ModelPackageDescription) || null;
}

/**
 * Metadata for a description change: the entry, or its removal when the package's own
 * description already says the same. Over the 256-character value limit is INVALID_INPUT
 * naming the entry and the limit.
 */
export function descriptionEntry(pkg: PackageDescription, description: string | null, limit: number): { set: Record<string, string>; remove: string[] } {
  const text = description ?? '';
  if (text.length > limit) {
    throw invalidInput(
      `A description changed after registration is kept in SageMaker metadata entry '${META.description}', at most ${limit} characters; this one has ${text.length}`,
      { field: 'description', limit },
    );
  }
  if (text === (pkg.ModelPackageDescription ?? '')) return { set: {}, remove: [META.description] };
  return { set: { [META.description]: text }, remove: [] };
}

/** Field as [name, type] or [name, type, 1] when optional: about a third of the JSON form. */
type CompactField = [string, string] | [string, string, 1];

const compact = (fields: SignatureField[]): CompactField[] => fields.map((f) => (f.optional ? [f.name, f.type, 1] : [f.name, f.type]));
const expand = (fields: unknown): SignatureField[] | null => {
  if (!Array.isArray(fields)) return null;
  const out: SignatureField[] = [];
  for (const f of fields) {
    if (!Array.isArray(f) || typeof f[0] !== 'string' || typeof f[1] !== 'string') return null;
    out.push({ name: f[0], type: f[1], optional: f[2] === 1 });
  }
  return out;
};

/** The signature as compact JSON split into entries of at most `valueLimit` UTF-16 units, never inside a surrogate pair. */
export function signatureEntries(signature: Signature, valueLimit: number): Record<string, string> {
  const entries: Record<string, string> = {};
  let part = '';
  let count = 0;
  for (const char of JSON.stringify([compact(signature.inputs), compact(signature.outputs)])) {
    if (part.length + char.length > valueLimit) {
      entries[META.signaturePart + count++] = part;
      part = '';
    }
    part += char;
  }
  if (part) entries[META.signaturePart + count] = part;
  return entries;
}

/** Joins `modelgate.signature.0…n` back; falls back to the older single JSON entry; unreadable is absent. */
export function readSignature(meta: Record<string, string>): Signature | null {
  if (!Object.hasOwn(meta, META.signaturePart + 0)) return parseSignature(meta[META.signature]);
  let text = '';
  for (let i = 0; Object.hasOwn(meta, META.signaturePart + i); i++) text += meta[META.signaturePart + i];
  try {
    const value = JSON.parse(text) as unknown;
    if (!Array.isArray(value)) return null;
    const inputs = expand(value[0]);
    const outputs = expand(value[1]);
    return inputs && outputs ? { inputs, outputs } : null;
  } catch {
    return null;
  }
}

/** The card as metadata entries; a field over the value limit is INVALID_INPUT naming the field and the limit. */
export function cardMetadata(card: ModelCard | null | undefined, limits: { key: number; value: number }): Record<string, string> {
  const entries: Record<string, string> = {};
  for (const [field, value] of Object.entries(card ? cardEntries(card) : {})) {
    if (META.card.length + field.length > limits.key) {
      throw invalidInput(`Card field '${field.slice(0, 40)}' makes a SageMaker metadata key longer than ${limits.key} characters`, { field: `card.${field}`, limit: limits.key });
    }
    if (value.length > limits.value) {
      throw invalidInput(`Card field '${field}' is ${value.length} characters; SageMaker keeps it in one metadata entry of at most ${limits.value}`, { field: `card.${field}`, limit: limits.value });
    }
    entries[META.card + field] = value;
  }
  return entries;
}
