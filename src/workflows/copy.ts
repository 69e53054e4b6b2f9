import {
  ErrorCode,
  RegistryError,
  Stage,
  checkWrite,
  emptyMetrics,
  isRegistryError,
  modelNotFound,
  versionKeyId,
  versionNotFound,
  type CreateVersion,
  type ModelVersion,
  type RegistryAdapter,
  type RegistrySet,
  type VersionMetrics,
} from '../core/index.ts';
import type { Caller, CommandRunner } from './command.ts';
import { findCopy } from './copy-find.ts';
import { planCopy, type ArtifactLocation, type FieldChange } from './copy-plan.ts';
import { reviveDates } from './idempotency.ts';
import type { Lifecycle, PromotionResult } from './lifecycle.ts';

export enum CopyStatus {
  /** A new version was created in the target. */
  CREATED = 'CREATED',
  /** The target already had a copy of this version (its copied_from tag); nothing was created. */
  EXISTING = 'EXISTING',
  /** Nothing was done; `planned` says what would be created. */
  DRY_RUN = 'DRY_RUN',
}

export interface CopyRequest {
  from: { registry?: string | null; name: string; version: string };
  to: { registry?: string | null; name?: string | null };
  /** The stage the copy should reach, through the target's gates and approvals; NONE (default) leaves it registered. */
  stage?: Stage | null;
  dryRun?: boolean;
  /** Refuse (INVALID_INPUT) instead of transforming or dropping anything. */
  strict?: boolean;
  idempotencyKey?: string | null;
}

export interface CopyResult {
  status: CopyStatus;
  /** The copy in the target (null on a dry run). */
  version: ModelVersion | null;
  /** What the target registry is (or would be) asked to create. */
  planned: CreateVersion;
  transformed: FieldChange[];
  dropped: FieldChange[];
  /** The move to `stage`, when one was asked for. */
  promotion: PromotionResult | null;
  /** Why the copy stayed where it is when the move to `stage` was refused (gates failed), else null. */
  promotionError: { code: string; message: string } | null;
  replayed?: boolean;
}

/** What a copy may take from the migration that drives it: the source already read in a batch, the target's versions it knows. */
export interface PreRead {
  version: ModelVersion;
  metrics: VersionMetrics;
  /** Versions of the target up to this number are known not to be this copy. */
  knownUpTo: number | null;
}

/**
 * Copies a version from one registry to another: a new version in the target with the source's
 * URI (rewritten by artifactLocations where the target needs its own kind), description, tags,
 * metrics, params, signature and semver, tagged with its origin so that copying again finds it.
 */
export class Copies {
  constructor(
    private readonly registries: RegistrySet,
    private readonly commands: CommandRunner,
    private readonly lifecycle: Lifecycle,
    private readonly artifactLocations: readonly ArtifactLocation[],
  ) {}

  async copyVersion(caller: Caller, request: CopyRequest, preRead?: PreRead): Promise<CopyResult> {
    const source = this.registries.get(request.from.registry, caller.trace);
    const target = this.registries.get(request.to.registry, caller.trace);
    const name = request.to.name ?? request.from.name;
    const dryRun = Boolean(request.dryRun);
    const strict = Boolean(request.strict);
    const stage = request.stage ?? Stage.NONE;
    const copied = await this.commands.run(caller, {
      action: 'copyVersion',
      registry: target,
      model: name,
      permissions: [{ permission: 'edit', creates: true }],
      input: { from: { registry: source.id, name: request.from.name, version: request.from.version }, to: { registry: target.id, name }, stage, dryRun, strict },
      idempotencyKey: dryRun ? null : request.idempotencyKey,
      validate: () => {
        // Reading the source is the caller's right to check too; out of sight reads as absent.
        caller.authorize('read', source.id, request.from.name);
        if (source.id === target.id && request.from.name === name) {
          throw new RegistryError(ErrorCode.INVALID_INPUT, `A version cannot be copied into its own model ('${name}' in ${target.id}); name another registry or model in 'to'`, { details: { argument: 'to' } });
        }
      },
      run: async (step): Promise<CopyResult> => {
        const { version, metrics } = preRead ?? (await readSource(source, request.from.name, request.from.version));
        const plan = planCopy(version, metrics, target.capabilities(), {
          sourceRegistry: source.id,
          targetRegistry: target.id,
          targetName: name,
          artifactLocations: this.artifactLocations,
          createdBy: caller.principal,
        });
        const report = { planned: plan.input, transformed: plan.transformed, dropped: plan.dropped, promotion: null, promotionError: null };
        const existing = await findCopy(target, name, plan.marker, preRead?.knownUpTo ?? null);
        if (existing) return { status: CopyStatus.EXISTING, version: existing, ...report };
        if (strict && (plan.transformed.length || plan.dropped.length)) throw notCarried(plan.transformed, plan.dropped, target.id);
        // The version as it will be created, against the target's rules (a name SageMaker forbids), before the intent; a dry run says so too.
        checkWrite(target, 'createVersion', plan.input);
        if (dryRun) return { status: CopyStatus.DRY_RUN, version: null, ...report };
        // The origin tag goes with the create in one backend call: a crash leaves a tagged copy or none.
        await step.intend({ kind: 'copy', marker: plan.marker });
        const created = await target.createVersion(plan.input);
        return { status: CopyStatus.CREATED, version: created, ...report };
      },
      after: (result) => ({
        status: result.status,
        version: result.version?.version ?? null,
        semver: result.version?.semver ?? null,
        transformed: result.transformed.map(fieldName),
        dropped: result.dropped.map(fieldName),
      }),
      result: (result) => (result.status === CopyStatus.CREATED ? 'OK' : result.status),
      revive: (stored) => ({ ...(reviveDates(stored) as CopyResult), replayed: true }),
    });
    if (dryRun || stage === Stage.NONE || !copied.version || copied.version.stage === stage) return copied;
    // The move is its own command, like promote: the target's gates, approvals and production history.
    try {
      const promotion = await this.lifecycle.promote(caller, { registry: target.id, name, version: copied.version.version, targetStage: stage, comment: `copy of ${request.from.name}/${request.from.version} from ${source.id}` });
      return { ...copied, version: promotion.version, promotion };
    } catch (error) {
      if (!(isRegistryError(error) && (error.code === ErrorCode.GATE_FAILED || error.code === ErrorCode.FORBIDDEN))) throw error;
      return { ...copied, promotionError: { code: error.code, message: error.message } };
    }
  }
}

/** The version and its metrics; a missing model is named as such. */
export async function readSource(registry: RegistryAdapter, name: string, version: string): Promise<{ version: ModelVersion; metrics: VersionMetrics }> {
  const [found] = await registry.getVersions([{ name, version }]);
  if (!found) throw ((await registry.getModel(name)) ? versionNotFound({ name, version }) : modelNotFound(name)).withRegistry(registry.id);
  const metrics = (await registry.getMetrics([{ name, version, runId: found.runId }])).get(versionKeyId(found)) ?? emptyMetrics();
  return { version: found, metrics };
}

const fieldName = (change: FieldChange) => (change.key === null ? change.field : `${change.field}:${change.key}`);

/** Strict mode: what would not arrive as it is, listed, and nothing created. */
function notCarried(transformed: FieldChange[], dropped: FieldChange[], target: string): RegistryError {
  const list = [...dropped.map((c) => `${fieldName(c)} dropped (${c.reason})`), ...transformed.map((c) => `${fieldName(c)} transformed (${c.reason})`)];
  return new RegistryError(ErrorCode.INVALID_INPUT, `strict: registry '${target}' cannot hold the version as it is: ${list.join('; ')}`, {
    registry: target,
    details: { transformed, dropped },
  });
}
