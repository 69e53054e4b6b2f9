import { CopyVersionDocument, MigrateModelDocument, MigrationDocument, type MigrationQuery, type Stage } from '../client/index.ts';
import { emit, type CommandContext } from './context.ts';
import { CliRefusal, EXIT } from './exit.ts';

export interface CopyOptions {
  fromRegistry?: string;
  model: string;
  modelVersion: string;
  toRegistry?: string;
  toModel?: string;
  stage?: Stage;
  dryRun?: boolean;
  strict?: boolean;
  idempotencyKey?: string;
}

/** `modelgate copy`: one version into another registry; exit 0 copied (or already there), 3 approval pending. */
export async function copy(ctx: CommandContext, o: CopyOptions): Promise<number> {
  const data = await ctx.client.request(CopyVersionDocument, {
    from: { registry: o.fromRegistry ?? null, name: o.model, version: o.modelVersion },
    to: { registry: o.toRegistry ?? null, name: o.toModel ?? null },
    stage: o.stage ?? null,
    dryRun: o.dryRun === true,
    strict: o.strict === true,
    idempotencyKey: o.idempotencyKey ?? null,
  });
  const result = data.copyVersion;
  emit(ctx, data, () => {
    const where = `${result.planned.name}`;
    if (result.status === 'DRY_RUN') ctx.print(`Dry run: would create a version of ${where} from ${result.planned.source ?? '(no source)'}${result.planned.semver ? ` (semver ${result.planned.semver})` : ''}; nothing changed.`);
    if (result.status === 'CREATED') ctx.print(`Copied to ${result.version!.registry}: ${where} version ${result.version!.version} (${result.version!.stage}).`);
    if (result.status === 'EXISTING') ctx.print(`Already copied: ${result.version!.registry} ${where} version ${result.version!.version}; nothing created.`);
    for (const change of result.transformed) ctx.print(`transformed ${change.field}${change.key ? ` '${change.key}'` : ''}: ${change.from ?? ''} -> ${change.to ?? ''} (${change.reason})`);
    for (const change of result.dropped) ctx.print(`dropped ${change.field}${change.key ? ` '${change.key}'` : ''}: ${change.reason}`);
    if (result.promotion?.status === 'PENDING_APPROVAL') ctx.print(`Approval request ${result.promotion.approvalRequest?.id} opened for the copy.`);
    if (result.promotionError) ctx.print(`Not moved to ${o.stage}: ${result.promotionError.code}: ${result.promotionError.message}`);
  });
  if (result.promotionError) return EXIT.FAILED;
  return result.promotion?.status === 'PENDING_APPROVAL' ? EXIT.APPROVAL_PENDING : EXIT.OK;
}

export interface MigrateOptions {
  fromRegistry?: string;
  model?: string;
  toRegistry?: string;
  toModel?: string;
  versions?: string[];
  stages?: Stage[];
  strict?: boolean;
  /** Follow a migration already started (by id) instead of starting one. */
  follow?: string;
  /** Milliseconds between progress reads. */
  interval?: number;
}

type Progress = NonNullable<MigrationQuery['migration']>;

/**
 * `modelgate migrate`: starts a migration and follows it to the end: a progress bar on a terminal,
 * one JSON line per change otherwise. Exit 0 when every version is copied, 1 when some failed.
 */
export async function migrate(ctx: CommandContext, o: MigrateOptions, sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))): Promise<number> {
  let id = o.follow;
  if (!id) {
    if (!o.model) throw new CliRefusal('USAGE', '--model is needed to start a migration (or --follow ID)', EXIT.UNUSABLE);
    const started = await ctx.client.request(MigrateModelDocument, {
      from: { registry: o.fromRegistry ?? null, name: o.model },
      to: { registry: o.toRegistry ?? null, name: o.toModel ?? null },
      versions: o.versions ?? null,
      includeStages: o.stages ?? null,
      strict: o.strict === true,
    });
    id = started.migrateModel.id;
  }
  const bar = ctx.format === 'table' && ctx.progress ? ctx.progress : null;
  let last = '';
  for (;;) {
    const { migration } = await ctx.client.request(MigrationDocument, { id, withItems: false });
    if (!migration) throw new CliRefusal('NOT_FOUND', `No migration ${id}`);
    const line = JSON.stringify(progressOf(migration));
    if (line !== last) {
      if (bar) bar(progressBar(migration));
      else ctx.print(line);
      last = line;
    }
    if (migration.status !== 'RUNNING') {
      if (bar) bar(null);
      if (migration.status === 'FAILED') await reportFailures(ctx, id, bar !== null);
      else if (bar) ctx.print(`Migration ${id} done: ${migration.created} created, ${migration.existing} already there.`);
      return migration.status === 'DONE' ? EXIT.OK : EXIT.FAILED;
    }
    await sleep(o.interval ?? 500);
  }
}

const progressOf = (m: Progress) => ({ id: m.id, status: m.status, done: m.done, total: m.total, created: m.created, existing: m.existing, failed: m.failed });

/** `[#######.............]  35/100 copied 30, existing 5, failed 0` */
export function progressBar(m: Progress, width = 30): string {
  const filled = m.total ? Math.round((m.done / m.total) * width) : width;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${m.done}/${m.total}  created ${m.created}, existing ${m.existing}, failed ${m.failed}`;
}

async function reportFailures(ctx: CommandContext, id: string, human: boolean): Promise<void> {
  const { migration } = await ctx.client.request(MigrationDocument, { id, withItems: true });
  for (const item of migration?.items ?? []) {
    if (item.status !== 'FAILED') continue;
    if (human) ctx.print(`version ${item.version} failed: ${item.error}`);
    else ctx.print(JSON.stringify({ id, version: item.version, status: item.status, error: item.error }));
  }
}
