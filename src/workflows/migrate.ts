import { randomUUID } from 'node:crypto';
import {
  ErrorCode,
  RegistryError,
  VersionOrder,
  checkWrite,
  emptyMetrics,
  endCursor,
  isRegistryError,
  versionKeyId,
  type ModelVersion,
  type RegistryAdapter,
  type RegistrySet,
  type Stage,
} from '../core/index.ts';
import type { GatewayStore, MigrationItem, MigrationJob } from '../store/index.ts';
import type { Caller, CommandRunner } from './command.ts';
import { CopyStatus, type Copies } from './copy.ts';
import { copiesIn } from './copy-find.ts';
import { fitMarker, copiedFrom } from './copy-plan.ts';

export interface MigrateRequest {
  from: { registry?: string | null; name: string };
  to: { registry?: string | null; name?: string | null };
  /** Only these source versions; all when omitted. */
  versions?: readonly string[] | null;
  /** Only source versions in these stages; all when omitted. */
  includeStages?: readonly Stage[] | null;
  strict?: boolean;
}

/** Source versions read per batch (one getVersions and one getMetrics call each). */
const BATCH = 100;

/**
 * migrateModel: every chosen version of a model copied in order as a job kept in the store, so it
 * can be followed (`migration(id)`) and resumed after a crash without duplicates: each copy is
 * found again by its copied_from tag.
 */
export class Migrations {
  private readonly driving = new Map<string, Promise<void>>();
  private stopped = false;
  /** How long a job paused by a backend error waits before it carries on. */
  retryMs = 30_000;

  constructor(
    private readonly registries: RegistrySet,
    private readonly store: GatewayStore,
    private readonly commands: CommandRunner,
    private readonly copies: Copies,
    private readonly log?: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void },
  ) {}

  /** Starts a job (audited as `migrateModel`) and drives it in the background; resolves with the job as started. */
  async start(caller: Caller, request: MigrateRequest): Promise<MigrationJob> {
    const source = this.registries.get(request.from.registry, caller.trace);
    const target = this.registries.get(request.to.registry, caller.trace);
    const name = request.to.name ?? request.from.name;
    const job = await this.commands.run(caller, {
      action: 'migrateModel',
      registry: target,
      model: name,
      permissions: [{ permission: 'edit', creates: true }],
      input: { from: { registry: source.id, name: request.from.name }, to: { registry: target.id, name }, versions: request.versions ?? null, includeStages: request.includeStages ?? null, strict: Boolean(request.strict) },
      validate: () => {
        caller.authorize('read', source.id, request.from.name);
        if (source.id === target.id && request.from.name === name) throw new RegistryError(ErrorCode.INVALID_INPUT, `A model cannot be migrated into itself ('${name}' in ${target.id})`, { details: { argument: 'to' } });
        if (request.versions && request.versions.length > 10_000) throw new RegistryError(ErrorCode.INVALID_INPUT, 'At most 10000 versions per migration');
        // The target's own rules on the name (SageMaker's group alphabet, the core's): refused before a job exists whose every copy would fail.
        checkWrite(target, 'createModel', { name });
      },
      run: async () => {
        const chosen = await chooseVersions(source, request);
        const now = new Date().toISOString();
        const created: MigrationJob = {
          id: randomUUID(),
          principal: caller.principal,
          from: { registry: source.id, name: request.from.name },
          to: { registry: target.id, name },
          strict: Boolean(request.strict),
          status: chosen.length ? 'RUNNING' : 'DONE',
          owner: this.store.owner,
          createdAt: now,
          updatedAt: now,
          items: chosen.map((version) => ({ version, status: 'PENDING', target: null, transformed: 0, dropped: 0, error: null })),
        };
        await this.store.saveMigration(created);
        return created;
      },
      after: (started) => ({ migration: started.id, versions: started.items.length }),
    });
    // The job outlives the request: its copies are not spans of it.
    if (job.status === 'RUNNING') this.drive(job, { ...caller, trace: undefined });
    return job;
  }

  get(id: string): Promise<MigrationJob | null> {
    return this.store.getMigration(id);
  }

  /** Resumes jobs whose driver is gone (a crash, a restart); called at start-up. */
  async resumeOrphans(): Promise<number> {
    let resumed = 0;
    for (const job of await this.store.runningMigrations()) {
      if (this.driving.has(job.id) || (await this.store.ownerAlive(job.owner))) continue;
      if (await this.resume(job)) resumed++;
    }
    return resumed;
  }

  /** Takes a job over from a driver that is gone; false when another process claimed it first. */
  private async resume(job: MigrationJob): Promise<boolean> {
    if (!(await this.store.claimMigration(job.id, job.owner, this.store.owner))) return false;
    this.log?.info({ migration: job.id, done: job.items.filter((i) => i.status !== 'PENDING').length, total: job.items.length }, 'resuming a migration');
    // The job's principal started it; each copy is still audited under that name.
    this.drive({ ...job, owner: this.store.owner }, { principal: job.principal, authorize: () => undefined });
    return true;
  }

  /** Waits for running jobs to reach a copy boundary and stops them; they resume at the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled(this.driving.values());
  }

  /** Resolves when the job has finished here (tests, the bench). */
  async settled(id: string): Promise<void> {
    await this.driving.get(id);
  }

  private drive(job: MigrationJob, caller: Caller): void {
    const run = this.copyAll(job, caller)
      .catch((error: unknown) => {
        // A backend down stops the job where it is; it carries on from there a little later.
        this.log?.warn({ err: error, migration: job.id, retryMs: this.retryMs }, 'migration paused on an error; it will carry on');
        if (!this.stopped) setTimeout(() => !this.stopped && !this.driving.has(job.id) && this.drive(job, caller), this.retryMs).unref();
      })
      .finally(() => this.driving.delete(job.id));
    this.driving.set(job.id, run);
  }

  private async copyAll(job: MigrationJob, caller: Caller): Promise<void> {
    const source = this.registries.get(job.from.registry);
    const target = this.registries.get(job.to.registry);
    // What the target already holds, read once: versions found here are not copied again.
    const marker = fitMarker(target.capabilities(), '');
    const known = await copiesIn(target, job.to.name, marker.key);
    const pending = job.items.filter((item) => item.status === 'PENDING');
    for (let start = 0; start < pending.length; start += BATCH) {
      const batch = pending.slice(start, start + BATCH);
      const read = await readBatch(source, job.from.name, batch.map((item) => item.version));
      for (const item of batch) {
        if (this.stopped) return;
        const origin = fitMarker(target.capabilities(), copiedFrom(source.id, job.from.name, item.version)).value;
        const already = known.byOrigin.get(origin);
        const found = read.get(item.version);
        if (already) Object.assign(item, { status: 'EXISTING', target: already.version });
        else if (!found) Object.assign(item, { status: 'FAILED', error: `version ${item.version} no longer exists in ${source.id}` });
        else {
          await this.copyOne(job, item, caller, { ...found, knownUpTo: known.highest });
          // Our own copy right above what we knew: nothing else landed in between, so it is known too.
          if (item.target !== null && Number(item.target) === known.highest + 1) known.highest++;
        }
        job.updatedAt = new Date().toISOString();
        await this.store.saveMigration(job);
      }
    }
    job.status = job.items.some((item) => item.status === 'FAILED') ? 'FAILED' : 'DONE';
    job.updatedAt = new Date().toISOString();
    await this.store.saveMigration(job);
  }

  private async copyOne(job: MigrationJob, item: MigrationItem, caller: Caller, preRead: { version: ModelVersion; metrics: ReturnType<typeof emptyMetrics>; knownUpTo: number }): Promise<void> {
    try {
      const result = await this.copies.copyVersion(
        caller,
        { from: { registry: job.from.registry, name: job.from.name, version: item.version }, to: { registry: job.to.registry, name: job.to.name }, strict: job.strict },
        preRead,
      );
      Object.assign(item, {
        status: result.status === CopyStatus.CREATED ? 'CREATED' : 'EXISTING',
        target: result.version?.version ?? null,
        transformed: result.transformed.length,
        dropped: result.dropped.length,
        error: null,
      });
    } catch (error) {
      // A refusal of this one version (strict, a limit) is its own; a backend down stops the job, to resume later.
      if (!isRegistryError(error) || error.code === ErrorCode.BACKEND_UNAVAILABLE || error.code === ErrorCode.INTERNAL) throw error;
      Object.assign(item, { status: 'FAILED', error: `${error.code}: ${error.message}` });
    }
  }
}

/** Source version numbers, oldest first, filtered by the request. */
async function chooseVersions(source: RegistryAdapter, request: MigrateRequest): Promise<string[]> {
  const wanted = request.versions?.length ? new Set(request.versions) : null;
  const chosen: string[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await source.listVersions(request.from.name, { order: VersionOrder.OLDEST_FIRST, stages: request.includeStages?.length ? [...request.includeStages] : undefined }, { first: 200, after }, []);
    for (const version of page.items) if (!wanted || wanted.has(version.version)) chosen.push(version.version);
    const next = endCursor(page);
    if (!page.hasNextPage || !next) break;
    after = next;
  }
  if (wanted) {
    const missing = [...wanted].filter((v) => !chosen.includes(v));
    if (missing.length) throw new RegistryError(ErrorCode.NOT_FOUND, `Model '${request.from.name}' has no version ${missing.join(', ')}${request.includeStages?.length ? ' in the stages asked for' : ''}`, { registry: source.id, details: { missing } });
  }
  return chosen;
}

/** Versions and their metrics in two batched calls (MLflow reads runs in one search, SageMaker describes in parallel). */
async function readBatch(source: RegistryAdapter, name: string, versions: string[]) {
  const found = (await source.getVersions(versions.map((version) => ({ name, version })))).filter((v): v is ModelVersion => v !== null);
  const metrics = await source.getMetrics(found.map((v) => ({ name, version: v.version, runId: v.runId })));
  return new Map(found.map((version) => [version.version, { version, metrics: metrics.get(versionKeyId(version)) ?? emptyMetrics() }]));
}
