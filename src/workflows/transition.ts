import {
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
  const version = await registry.setStage(key, stage);
  const archived: ModelVersion[] = [];
  for (const holder of holders) archived.push(await registry.setStage(holder, Stage.ARCHIVED));
  return { version, archived };
}

async function versionsInStage(registry: RegistryAdapter, name: string, stage: Stage): Promise<ModelVersion[]> {
  const found: ModelVersion[] = [];
  let after: string | null = null;
  do {
    const page = await registry.listVersions(name, { stages: [stage] }, { first: 200, after });
    found.push(...page.items);
    after = page.hasNextPage ? endCursor(page) : null;
  } while (after);
  return found;
}
