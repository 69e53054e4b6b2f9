import {
  ErrorCode,
  RegistryError,
  isRegistryError,
  EXCLUSIVE_STAGES,
  endCursor,
  Stage,
  type ModelVersion,
  type RegistryAdapter,
  type VersionKey,
} from '../core/index.ts';

export interface StageTransition {
  version: ModelVersion;
  /** Versions moved to ARCHIVED because they held the target stage. */
  archived: ModelVersion[];
}

/**
 * Moves one version to a stage; with `archiveExisting`, every other version in that stage
 * (STAGING or PRODUCTION only, as in MLflow) goes to ARCHIVED. Uses the backend's atomic
 * step where it has one, else archives the others one by one after the move.
 */
export async function transitionStage(
  registry: RegistryAdapter,
  key: VersionKey,
  stage: Stage,
  options: { archiveExisting?: boolean } = {},
): Promise<StageTransition> {
  const archiving = Boolean(options.archiveExisting) && EXCLUSIVE_STAGES.includes(stage);
  if (!archiving) return { version: await registry.setStage(key, stage), archived: [] };

  const holders = (await versionsInStage(registry, key.name, stage)).filter((v) => v.version !== key.version);
  if (registry.capabilities().archiveExistingAtomic) {
    const version = await registry.setStage(key, stage, { archiveExisting: true });
    const archived = await registry.getVersions(holders.map((v) => ({ name: v.name, version: v.version })));
    return { version, archived: archived.filter((v): v is ModelVersion => v !== null) };
  }
  const [before] = await registry.getVersions([key]);
  const version = await registry.setStage(key, stage);
  const archived: ModelVersion[] = [];
  try {
    for (const holder of holders) archived.push(await registry.setStage(holder, Stage.ARCHIVED));
  } catch (error) {
    throw await undo(registry, key, before?.stage ?? Stage.NONE, stage, archived, holders, error);
  }
  return { version, archived };
}

/**
 * Archiving failed halfway: put every version back where it was, so two versions are never
 * left in the stage silently; when even that fails, say exactly where each version is.
 */
async function undo(
  registry: RegistryAdapter,
  key: VersionKey,
  previous: Stage,
  stage: Stage,
  archived: ModelVersion[],
  holders: ModelVersion[],
  cause: unknown,
): Promise<RegistryError> {
  const why = cause instanceof Error ? cause.message : String(cause);
  try {
    for (const version of archived) await registry.setStage(version, stage);
    await registry.setStage(key, previous);
    return new RegistryError(
      isRegistryError(cause) ? cause.code : ErrorCode.BACKEND_UNAVAILABLE,
      `Moving version ${key.version} to ${stage} failed while archiving the others (${why}); undone: it is back in ${previous}`,
      { registry: registry.id, details: { undone: true, [stage]: holders.map((v) => v.version) } },
    );
  } catch {
    const read: (ModelVersion | null)[] = await registry.getVersions([key, ...holders]).catch(() => []);
    const left = read.filter((v): v is ModelVersion => v !== null);
    return new RegistryError(
      ErrorCode.CONFLICT,
      `Moving version ${key.version} to ${stage} failed halfway (${why}) and could not be undone; versions now: ${left.map((v) => `${v.version}=${v.stage}`).join(', ') || 'unknown'}`,
      { registry: registry.id, details: { undone: false, state: Object.fromEntries(left.map((v) => [v.version, v.stage])) } },
    );
  }
}

/** Every version of a model in a stage, all pages. */
export async function versionsInStage(registry: RegistryAdapter, name: string, stage: Stage): Promise<ModelVersion[]> {
  const found: ModelVersion[] = [];
  let after: string | null = null;
  do {
    const page = await registry.listVersions(name, { stages: [stage] }, { first: 200, after });
    found.push(...page.items);
    after = page.hasNextPage ? endCursor(page) : null;
  } while (after);
  return found;
}
