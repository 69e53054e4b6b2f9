import { readFileSync } from 'node:fs';
import {
  ApproveDocument,
  AuditCheckpointDocument,
  BestVersionDocument,
  CompareVersionsDocument,
  EvaluateGatesDocument,
  GatewayError,
  ListModelsDocument,
  ListVersionsDocument,
  PromoteDocument,
  RejectDocument,
  RollbackDocument,
  VerifyAuditDocument,
  type AuditCheckpointInput,
  type CheckpointFailure,
  type GatewayClient,
  type Stage,
} from '../client/index.ts';
import { green, red, table } from './output.ts';

export const EXIT = { OK: 0, FAILED: 1, UNUSABLE: 2, APPROVAL_PENDING: 3 } as const;

export interface CommandContext {
  client: GatewayClient;
  json: boolean;
  print(text: string): void;
}

export type Options = Record<string, string | boolean | undefined>;

/** A command either needs an option or says which one is missing. */
export class UsageError extends Error {}

export const need = (options: Options, name: string): string => {
  const value = options[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
};

const stageOf = (text: string): Stage => {
  const upper = text.toUpperCase();
  if (!['NONE', 'STAGING', 'PRODUCTION', 'ARCHIVED'].includes(upper)) throw new UsageError(`--stage must be None, Staging, Production or Archived, not '${text}'`);
  return upper as Stage;
};

const list = (value: string | boolean | undefined) => (typeof value === 'string' && value ? value.split(',').map((s) => s.trim()).filter(Boolean) : null);

interface Check {
  passed: boolean;
  message: string;
}
const checkLine = (c: Check) => `${c.passed ? green('Passed') : red('Failed')}: ${c.message}`;

export async function validate(ctx: CommandContext, options: Options): Promise<number> {
  const data = await ctx.client.request(EvaluateGatesDocument, {
    registry: (options.registry as string) ?? null,
    name: need(options, 'model'),
    version: need(options, 'version'),
    targetStage: stageOf(need(options, 'stage')),
  });
  if (ctx.json) ctx.print(JSON.stringify(data, null, 2));
  else {
    for (const check of data.evaluateGates.checks) ctx.print(checkLine(check));
    if (data.evaluateGates.checks.length === 0) ctx.print('No gates apply to this stage.');
    if (data.evaluateGates.approvalsRequired) ctx.print(`Approvals required: ${data.evaluateGates.approvalsRequired}`);
  }
  return data.evaluateGates.passed ? EXIT.OK : EXIT.FAILED;
}

export async function promote(ctx: CommandContext, options: Options): Promise<number> {
  const stage = stageOf(need(options, 'stage'));
  try {
    const data = await ctx.client.request(PromoteDocument, {
      registry: (options.registry as string) ?? null,
      name: need(options, 'model'),
      version: need(options, 'version'),
      targetStage: stage,
      dryRun: options['dry-run'] === true,
      comment: (options.comment as string) ?? null,
      idempotencyKey: (options['idempotency-key'] as string) ?? null,
    });
    const result = data.promote;
    if (ctx.json) ctx.print(JSON.stringify(data, null, 2));
    else {
      for (const check of result.report.checks) ctx.print(checkLine(check));
      if (result.status === 'DRY_RUN') ctx.print(`Dry run: would ${result.wouldDo?.toLowerCase().replace('_', ' ')}; nothing changed.`);
      if (result.status === 'PROMOTED') {
        const archived = result.archived.map((v) => v.version).join(', ');
        ctx.print(`Promoted version ${result.version.version} to ${result.version.stage}${archived ? `; archived ${archived}` : ''}.`);
      }
      if (result.status === 'PENDING_APPROVAL') ctx.print(`Approval request ${result.approvalRequest?.id} opened; approve with: modelgate approve ${result.approvalRequest?.id}`);
    }
    if (result.status === 'PENDING_APPROVAL') return EXIT.APPROVAL_PENDING;
    if (result.status === 'DRY_RUN' && result.wouldDo === 'FAIL') return EXIT.FAILED;
    return EXIT.OK;
  } catch (error) {
    if (error instanceof GatewayError && error.code === 'GATE_FAILED') {
      const report = (error.errors[0]?.extensions?.details as { report?: { checks: Check[] } } | undefined)?.report;
      if (ctx.json) ctx.print(JSON.stringify({ errors: error.errors }, null, 2));
      else {
        for (const check of report?.checks ?? []) ctx.print(checkLine(check));
        ctx.print(`GATE_FAILED: ${error.message}`);
      }
      return EXIT.FAILED;
    }
    throw error;
  }
}

export async function approve(ctx: CommandContext, options: Options, id: string | undefined): Promise<number> {
  if (!id) throw new UsageError('usage: modelgate approve ID [--comment TEXT]');
  const data = await ctx.client.request(ApproveDocument, { id, comment: (options.comment as string) ?? null });
  if (ctx.json) ctx.print(JSON.stringify(data, null, 2));
  else {
    const { request, promotion } = data.approve;
    ctx.print(`Request ${request.id} is ${request.status}.`);
    if (promotion) ctx.print(`Promoted ${request.model} version ${promotion.version.version} to ${promotion.version.stage}.`);
  }
  return EXIT.OK;
}

export async function reject(ctx: CommandContext, options: Options, id: string | undefined): Promise<number> {
  if (!id) throw new UsageError('usage: modelgate reject ID --reason TEXT');
  const data = await ctx.client.request(RejectDocument, { id, reason: need(options, 'reason') });
  ctx.print(ctx.json ? JSON.stringify(data, null, 2) : `Request ${data.reject.id} is ${data.reject.status}.`);
  return EXIT.OK;
}

export async function rollback(ctx: CommandContext, options: Options): Promise<number> {
  const data = await ctx.client.request(RollbackDocument, {
    registry: (options.registry as string) ?? null,
    name: need(options, 'model'),
    toVersion: (options['to-version'] as string) ?? null,
    reason: need(options, 'reason'),
  });
  if (ctx.json) ctx.print(JSON.stringify(data, null, 2));
  else {
    const r = data.rollback;
    ctx.print(`Rolled back to version ${r.to.version} (${r.rule}); archived ${r.from.map((v) => v.version).join(', ') || 'nothing'}.`);
  }
  return EXIT.OK;
}

export async function compare(ctx: CommandContext, options: Options): Promise<number> {
  const data = await ctx.client.request(CompareVersionsDocument, {
    registry: (options.registry as string) ?? null,
    name: need(options, 'model'),
    versions: list(options.versions),
    metrics: list(options.metrics),
    minimize: list(options.minimize),
    last: typeof options.last === 'string' ? Number(options.last) : null,
  });
  if (ctx.json) {
    ctx.print(JSON.stringify(data, null, 2));
    return EXIT.OK;
  }
  const c = data.compareVersions;
  ctx.print(table(['version', 'stage', ...c.metrics], c.rows.map((row) => [row.version.version, row.version.stage, ...row.values.map((v) => v.value)])));
  for (const best of c.best) ctx.print(`Best ${best.metric} (${best.goal.toLowerCase()}): ${best.version === null ? '-' : `version ${best.version} = ${best.value}`}`);
  return EXIT.OK;
}

export async function best(ctx: CommandContext, options: Options): Promise<number> {
  const data = await ctx.client.request(BestVersionDocument, {
    registry: (options.registry as string) ?? null,
    name: need(options, 'model'),
    metric: need(options, 'metric'),
    goal: options.minimize === true ? 'MINIMIZE' : 'MAXIMIZE',
    stages: list(options.stages)?.map(stageOf) ?? null,
  });
  if (ctx.json) ctx.print(JSON.stringify(data, null, 2));
  else ctx.print(data.bestVersion ? `Version ${data.bestVersion.version.version} (${data.bestVersion.version.stage}): ${options.metric} = ${data.bestVersion.value}` : `No version recorded ${options.metric}.`);
  return data.bestVersion ? EXIT.OK : EXIT.FAILED;
}

export async function modelsList(ctx: CommandContext, options: Options): Promise<number> {
  const data = await ctx.client.request(ListModelsDocument, {
    registry: (options.registry as string) ?? null,
    filter: typeof options.prefix === 'string' ? { namePrefix: options.prefix } : null,
    first: typeof options.first === 'string' ? Number(options.first) : 50,
  });
  if (ctx.json) ctx.print(JSON.stringify(data, null, 2));
  else
    ctx.print(
      table(
        ['name', 'production', 'description'],
        data.models.edges.map((e) => [e.node.name, e.node.productionVersion?.version, e.node.description]),
      ),
    );
  return EXIT.OK;
}

export async function versionsList(ctx: CommandContext, options: Options): Promise<number> {
  const data = await ctx.client.request(ListVersionsDocument, {
    registry: (options.registry as string) ?? null,
    name: need(options, 'model'),
    stages: typeof options.stage === 'string' ? [stageOf(options.stage)] : null,
    first: typeof options.first === 'string' ? Number(options.first) : 50,
  });
  if (!data.model) {
    ctx.print(`modelgate: NOT_FOUND: no model '${options.model}'`);
    return EXIT.FAILED;
  }
  if (ctx.json) ctx.print(JSON.stringify(data, null, 2));
  else
    ctx.print(
      table(
        ['version', 'stage', 'semver', 'aliases', 'created', 'description'],
        data.model.versions.edges.map(({ node }) => [node.version, node.stage, node.semver, node.aliases.join(',') || null, node.createdAt.slice(0, 19), node.description]),
      ),
    );
  return EXIT.OK;
}

export async function auditVerify(ctx: CommandContext, options: Options): Promise<number> {
  const checkpoint = typeof options.checkpoint === 'string' ? readCheckpoint(options.checkpoint) : null;
  const data = await ctx.client.request(VerifyAuditDocument, { checkpoint });
  const v = data.verifyAudit;
  if (ctx.json) ctx.print(JSON.stringify(data, null, 2));
  else {
    if (v.broken.length) ctx.print(`${red('Broken')} at event${v.broken.length > 1 ? 's' : ''} ${v.broken.join(', ')}${v.truncated ? ' and more' : ''} (${v.checked} checked).`);
    else ctx.print(`${green('Intact')}: ${v.checked} audit events verified.`);
    if (v.checkpoint) {
      ctx.print(v.checkpoint.holds
        ? `${green('Extends')} the checkpoint at event ${v.checkpoint.seq}.`
        : `${red('Does not extend')} the checkpoint at event ${v.checkpoint.seq}: ${CHECKPOINT_FAILURES[v.checkpoint.reason ?? 'SIGNATURE_INVALID']}.`);
    }
  }
  return v.ok ? EXIT.OK : EXIT.FAILED;
}

const CHECKPOINT_FAILURES: Record<CheckpointFailure, string> = {
  SIGNATURE_INVALID: 'its signature does not hold with this gateway\'s MODELGATE_AUDIT_KEY',
  EVENT_MISSING: 'the log no longer has that event (truncated)',
  HASH_DIFFERS: 'that event has another hash now (rewritten)',
};

/** A checkpoint given inline as JSON, or the path of a file holding that JSON. */
function readCheckpoint(text: string): AuditCheckpointInput {
  let raw: string;
  try {
    raw = text.trimStart().startsWith('{') ? text : readFileSync(text, 'utf8');
  } catch (error) {
    throw new UsageError(`--checkpoint: cannot read '${text}': ${(error as Error).message}`);
  }
  let parsed: Partial<Record<keyof AuditCheckpointInput, unknown>>;
  try {
    parsed = JSON.parse(raw) as typeof parsed;
  } catch {
    throw new UsageError('--checkpoint must be the JSON printed by `modelgate audit checkpoint` or a file holding it');
  }
  const { seq, hash, at, signature } = parsed ?? {};
  if (!Number.isSafeInteger(seq) || typeof hash !== 'string' || typeof at !== 'string' || typeof signature !== 'string') {
    throw new UsageError('--checkpoint needs seq, hash, at and signature, as printed by `modelgate audit checkpoint`');
  }
  return { seq: seq as number, hash, at, signature };
}

/** Prints a signed checkpoint of the log's head as JSON, to keep outside the gateway. */
export async function auditCheckpoint(ctx: CommandContext): Promise<number> {
  const data = await ctx.client.request(AuditCheckpointDocument, {});
  const { seq, hash, at, signature } = data.auditCheckpoint;
  ctx.print(JSON.stringify({ seq, hash, at, signature }, null, ctx.json ? 2 : undefined));
  return EXIT.OK;
}
