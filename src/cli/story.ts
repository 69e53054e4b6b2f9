import { closeSync, openSync, readSync } from 'node:fs';
import {
  ApprovalRequestsDocument,
  AuditLogDocument,
  CheckDegradationDocument,
  DeleteAliasDocument,
  DeleteTagsDocument,
  ListModelsDocument,
  ListVersionsDocument,
  RegisterVersionDocument,
  RegistriesDocument,
  SetAliasDocument,
  SetTagsDocument,
  UpdateModelDocument,
  UpdateVersionDocument,
  type ApprovalStatus,
  type CardInput,
  type ListModelsQuery,
  type ListVersionsQuery,
  type SemverBump,
  type SignatureInput,
  type Stage,
} from '@modelgate/client';
import type { Target } from './commands.ts';
import { emit, type CommandContext } from './context.ts';
import { CliRefusal, EXIT, UsageError } from './exit.ts';
import { table } from './output.ts';
import { collect, moreNote } from './page.ts';

export interface ListOptions {
  limit?: number;
  after?: string;
}

/** `key=value` pairs, as given to --tag, --metric and --param. */
export type Pairs = [string, string][];

export async function register(
  ctx: CommandContext,
  o: Target & { source?: string; runId?: string; description?: string; tag?: Pairs; metric?: Pairs; param?: Pairs; signature?: string; bump?: SemverBump; card?: string },
): Promise<number> {
  const data = await ctx.client.request(RegisterVersionDocument, {
    registry: o.registry ?? null,
    name: o.model,
    source: o.source ?? null,
    runId: o.runId ?? null,
    description: o.description ?? null,
    tags: o.tag?.map(([key, value]) => ({ key, value })) ?? null,
    metrics: o.metric?.map(([key, value]) => ({ key, value: Number(value) })) ?? null,
    params: o.param?.map(([key, value]) => ({ key, value })) ?? null,
    signature: o.signature === undefined ? null : readSignature(o.signature),
    bump: o.bump ?? null,
    card: o.card === undefined ? null : readJsonObject<CardInput>('--card', o.card),
  });
  const v = data.registerVersion;
  emit(ctx, data, () => ctx.print(`Registered ${v.name} version ${v.version}${v.semver ? ` (${v.semver})` : ''}: ${v.uri}`));
  return EXIT.OK;
}

/** A card or a signature is far smaller; a larger file (or an endless one, /dev/zero) is a mistake, refused unread. */
export const JSON_FILE_MAX_BYTES = 8 * 1024 * 1024;

/** The file's text, reading at most `max` bytes; null when it holds more. */
function readBounded(path: string, max: number): string | null {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(max + 1);
    let length = 0;
    for (let read = -1; read !== 0 && length <= max; length += read) read = readSync(fd, buffer, length, max + 1 - length, null);
    return length > max ? null : buffer.toString('utf8', 0, length);
  } finally {
    closeSync(fd);
  }
}

/** A JSON object from a file named by `option`; the gateway checks its fields and names a wrong one. */
export function readJsonObject<T>(option: string, path: string): T {
  let parsed: unknown;
  try {
    const text = readBounded(path, JSON_FILE_MAX_BYTES);
    if (text === null) throw new UsageError(`${option}: '${path}' is too large: at most ${JSON_FILE_MAX_BYTES / 1024 / 1024} MiB of JSON`);
    parsed = JSON.parse(text);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${option}: cannot read JSON from '${path}': ${(error as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new UsageError(`${option} must hold a JSON object`);
  return parsed as T;
}

function readSignature(path: string): SignatureInput {
  const s = readJsonObject<Partial<SignatureInput>>('--signature', path);
  if (!s || !Array.isArray(s.inputs) || !Array.isArray(s.outputs)) throw new UsageError('--signature must hold {"inputs": [{"name", "type"}…], "outputs": […]}');
  return { inputs: s.inputs, outputs: s.outputs };
}

export async function describe(ctx: CommandContext, text: string, o: Target & { modelVersion?: string }): Promise<number> {
  if (o.modelVersion !== undefined) {
    const data = await ctx.client.request(UpdateVersionDocument, { registry: o.registry ?? null, name: o.model, version: o.modelVersion, description: text });
    emit(ctx, data, () => ctx.print(`Described ${data.updateVersion.name} version ${data.updateVersion.version}.`));
  } else {
    const data = await ctx.client.request(UpdateModelDocument, { registry: o.registry ?? null, name: o.model, description: text });
    emit(ctx, data, () => ctx.print(`Described ${data.updateModel.name}.`));
  }
  return EXIT.OK;
}

const tagsLine = (tags: { key: string; value: string }[]) => tags.map((t) => `${t.key}=${t.value}`).join(', ') || '(none)';

export async function tagSet(ctx: CommandContext, pairs: Pairs, o: Target & { modelVersion?: string }): Promise<number> {
  const data = await ctx.client.request(SetTagsDocument, { registry: o.registry ?? null, name: o.model, version: o.modelVersion ?? null, tags: pairs.map(([key, value]) => ({ key, value })) });
  const owner = data.setTags.version ?? data.setTags.model;
  emit(ctx, data, () => ctx.print(`Tags of ${o.model}${o.modelVersion ? ` version ${o.modelVersion}` : ''}: ${tagsLine(owner?.tags ?? [])}`));
  return EXIT.OK;
}

export async function tagDelete(ctx: CommandContext, keys: string[], o: Target & { modelVersion?: string }): Promise<number> {
  const data = await ctx.client.request(DeleteTagsDocument, { registry: o.registry ?? null, name: o.model, version: o.modelVersion ?? null, keys });
  const owner = data.deleteTags.version ?? data.deleteTags.model;
  emit(ctx, data, () => ctx.print(`Tags of ${o.model}${o.modelVersion ? ` version ${o.modelVersion}` : ''}: ${tagsLine(owner?.tags ?? [])}`));
  return EXIT.OK;
}

export async function aliasSet(ctx: CommandContext, alias: string, o: Target & { modelVersion: string }): Promise<number> {
  const data = await ctx.client.request(SetAliasDocument, { registry: o.registry ?? null, name: o.model, alias, version: o.modelVersion });
  emit(ctx, data, () => ctx.print(`Alias ${alias} of ${o.model} -> version ${data.setAlias.version}.`));
  return EXIT.OK;
}

export async function aliasDelete(ctx: CommandContext, alias: string, o: Target): Promise<number> {
  const data = await ctx.client.request(DeleteAliasDocument, { registry: o.registry ?? null, name: o.model, alias });
  emit(ctx, data, () => ctx.print(`Alias ${alias} of ${o.model} deleted.`));
  return EXIT.OK;
}

export async function degradationCheck(
  ctx: CommandContext,
  o: Target & { metric: string; observed: number; tolerance: number; minimize?: boolean; autoRollback?: boolean },
): Promise<number> {
  const data = await ctx.client.request(CheckDegradationDocument, {
    registry: o.registry ?? null,
    name: o.model,
    metric: o.metric,
    observed: o.observed,
    tolerance: o.tolerance,
    goal: o.minimize ? 'MINIMIZE' : 'MAXIMIZE',
    autoRollback: o.autoRollback === true,
  });
  const d = data.checkDegradation;
  emit(ctx, data, () => {
    const state = d.degraded ? 'DEGRADED' : 'Healthy';
    ctx.print(`${state}: ${d.metric} observed ${d.observed}, recorded ${d.recorded} for production version ${d.productionVersion.version} (tolerance ${d.tolerance}).`);
    if (d.rollback) ctx.print(`Rolled back to version ${d.rollback.to.version} (${d.rollback.rule}); archived ${d.rollback.from.map((v) => v.version).join(', ') || 'nothing'}.`);
  });
  if (d.rollback) return EXIT.ROLLED_BACK;
  return d.degraded ? EXIT.DEGRADED : EXIT.OK;
}

export async function approvalsList(ctx: CommandContext, o: ListOptions & { registry?: string; model?: string; status?: ApprovalStatus }): Promise<number> {
  const page = await collect<Awaited<ReturnType<typeof fetchApprovals>>[number], string>(async (after, first) => {
    const rows = await fetchApprovals(ctx, o, after, first + 1);
    return { rows: rows.slice(0, first), next: rows.length > first ? rows[first - 1]!.id : null };
  }, o.limit, o.after ?? null);
  emit(ctx, { approvalRequests: page.rows, next: page.next }, () =>
    ctx.print(
      table(
        ['id', 'model', 'version', 'target', 'status', 'approvals', 'requested by', 'requested'],
        page.rows.map((r) => [r.id, r.model, r.version, r.targetStage, r.status, `${r.approvals.length}/${r.requiredApprovals}`, r.requestedBy, r.requestedAt.slice(0, 19)]),
      ),
    ),
  );
  if (page.next !== null) ctx.note(moreNote(page.rows.length, page.next));
  return EXIT.OK;
}

const fetchApprovals = async (ctx: CommandContext, o: { registry?: string; model?: string; status?: ApprovalStatus }, after: string | null, first: number) =>
  (await ctx.client.request(ApprovalRequestsDocument, { registry: o.registry ?? null, name: o.model ?? null, status: o.status ?? null, first, after })).approvalRequests;

export async function auditList(ctx: CommandContext, o: ListOptions & { registry?: string; model?: string }): Promise<number> {
  const start = o.after === undefined ? null : Number(o.after);
  if (start !== null && !Number.isSafeInteger(start)) throw new UsageError(`--after must be an event number (seq), not '${o.after}'`);
  const page = await collect(async (after: number | null, first) => {
    const rows = (await ctx.client.request(AuditLogDocument, { registry: o.registry ?? null, name: o.model ?? null, first: first + 1, after })).auditLog;
    return { rows: rows.slice(0, first), next: rows.length > first ? rows[first - 1]!.seq : null };
  }, o.limit, start);
  emit(ctx, { auditLog: page.rows, next: page.next }, () =>
    ctx.print(
      table(
        ['seq', 'at', 'principal', 'action', 'model', 'version', 'result'],
        page.rows.map((e) => [e.seq, e.at.slice(0, 19), e.principal, e.action, e.model, e.version, e.result]),
      ),
    ),
  );
  if (page.next !== null) ctx.note(moreNote(page.rows.length, page.next));
  return EXIT.OK;
}

export async function registries(ctx: CommandContext): Promise<number> {
  const data = await ctx.client.request(RegistriesDocument, {});
  emit(ctx, data, () =>
    ctx.print(table(['id', 'kind', 'health', 'latency ms'], data.registries.map((r) => [r.id, r.kind, r.health.ok ? 'ok' : `down: ${r.health.message ?? ''}`, r.health.latencyMs === null || r.health.latencyMs === undefined ? null : r.health.latencyMs.toFixed(1)]))),
  );
  return data.registries.every((r) => r.health.ok) ? EXIT.OK : EXIT.FAILED;
}

export async function modelsList(ctx: CommandContext, o: ListOptions & { registry?: string; prefix?: string }): Promise<number> {
  type Edge = ListModelsQuery['models']['edges'][number];
  const page = await collect<Edge, string>(async (after, first) => {
    const { models } = await ctx.client.request(ListModelsDocument, { registry: o.registry ?? null, filter: o.prefix ? { namePrefix: o.prefix } : null, first, after });
    return { rows: models.edges, next: models.pageInfo.hasNextPage ? models.pageInfo.endCursor ?? null : null };
  }, o.limit, o.after ?? null);
  emit(ctx, { models: { edges: page.rows, pageInfo: { hasNextPage: page.next !== null, endCursor: page.next } } }, () =>
    ctx.print(table(['name', 'production', 'description'], page.rows.map((e) => [e.node.name, e.node.productionVersion?.version, e.node.description]))),
  );
  if (page.next !== null) ctx.note(moreNote(page.rows.length, page.next));
  return EXIT.OK;
}

export async function versionsList(ctx: CommandContext, o: ListOptions & Target & { stage?: Stage }): Promise<number> {
  type Edge = NonNullable<ListVersionsQuery['model']>['versions']['edges'][number];
  const page = await collect<Edge, string>(async (after, first) => {
    const { model } = await ctx.client.request(ListVersionsDocument, { registry: o.registry ?? null, name: o.model, stages: o.stage ? [o.stage] : null, first, after });
    if (!model) throw new CliRefusal('NOT_FOUND', `no model '${o.model}'`);
    return { rows: model.versions.edges, next: model.versions.pageInfo.hasNextPage ? model.versions.pageInfo.endCursor ?? null : null };
  }, o.limit, o.after ?? null);
  emit(ctx, { model: { name: o.model, versions: { edges: page.rows, pageInfo: { hasNextPage: page.next !== null, endCursor: page.next } } } }, () =>
    ctx.print(
      table(
        ['version', 'stage', 'semver', 'aliases', 'created', 'description'],
        page.rows.map(({ node }) => [node.version, node.stage, node.semver, node.aliases.join(',') || null, node.createdAt.slice(0, 19), node.description]),
      ),
    ),
  );
  if (page.next !== null) ctx.note(moreNote(page.rows.length, page.next));
  return EXIT.OK;
}
