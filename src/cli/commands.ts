import { readFileSync } from 'node:fs';
import {
  ApprovalRequestsDocument,
  ApproveDocument,
  AuditCheckpointDocument,
  BestVersionDocument,
  CompareVersionsDocument,
  EvaluateGatesDocument,
  GatewayError,
  PromoteDocument,
  RejectDocument,
  RollbackDocument,
  VerifyAuditDocument,
  type AuditCheckpointInput,
  type CheckpointFailure,
  type Stage,
} from '@modelgate/client';
import { emit, type CommandContext } from './context.ts';
import { CliRefusal, EXIT, UsageError } from './exit.ts';
import { green, red, table } from './output.ts';

/** What every command that names a model takes. */
export interface Target {
  registry?: string;
  model: string;
}

export interface VersionTarget extends Target {
  modelVersion: string;
}

interface Check {
  passed: boolean;
  message: string;
}
export const checkLine = (c: Check) => `${c.passed ? green('Passed') : red('Failed')}: ${c.message}`;

export async function validate(ctx: CommandContext, o: VersionTarget & { stage: Stage }): Promise<number> {
  const data = await ctx.client.request(EvaluateGatesDocument, { registry: o.registry ?? null, name: o.model, version: o.modelVersion, targetStage: o.stage });
  const report = data.evaluateGates;
  emit(ctx, data, () => {
    for (const check of report.checks) ctx.print(checkLine(check));
    if (report.checks.length === 0) ctx.print('No gates apply to this stage.');
    if (report.approvalsRequired) ctx.print(`Approvals required: ${report.approvalsRequired}`);
  });
  return report.passed ? EXIT.OK : EXIT.FAILED;
}

export async function promote(
  ctx: CommandContext,
  o: VersionTarget & { stage: Stage; dryRun?: boolean; comment?: string; idempotencyKey?: string },
): Promise<number> {
  try {
    const data = await ctx.client.request(PromoteDocument, {
      registry: o.registry ?? null,
      name: o.model,
      version: o.modelVersion,
      targetStage: o.stage,
      dryRun: o.dryRun === true,
      comment: o.comment ?? null,
      idempotencyKey: o.idempotencyKey ?? null,
    });
    const result = data.promote;
    emit(ctx, data, () => {
      for (const check of result.report.checks) ctx.print(checkLine(check));
      if (result.status === 'DRY_RUN') ctx.print(`Dry run: would ${result.wouldDo?.toLowerCase().replace('_', ' ')}; nothing changed.`);
      if (result.status === 'PROMOTED') {
        const archived = result.archived.map((v) => v.version).join(', ');
        ctx.print(`Promoted version ${result.version.version} to ${result.version.stage}${archived ? `; archived ${archived}` : ''}.`);
      }
      if (result.status === 'PENDING_APPROVAL') ctx.print(`Approval request ${result.approvalRequest?.id} opened; approve with: modelgate approve ${result.approvalRequest?.id}`);
    });
    if (result.status === 'PENDING_APPROVAL') return EXIT.APPROVAL_PENDING;
    if (result.status === 'DRY_RUN' && result.wouldDo === 'FAIL') return EXIT.FAILED;
    return EXIT.OK;
  } catch (error) {
    // The failed checks are the answer a user reads (stdout); the refusal itself goes to stderr.
    if (error instanceof GatewayError && error.code === 'GATE_FAILED' && ctx.format === 'table') {
      const report = (error.errors[0]?.extensions?.details as { report?: { checks: Check[] } } | undefined)?.report;
      for (const check of report?.checks ?? []) ctx.print(checkLine(check));
    }
    throw error;
  }
}

export async function approve(ctx: CommandContext, id: string | undefined, o: Partial<VersionTarget> & { stage?: Stage; comment?: string; idempotencyKey?: string }): Promise<number> {
  const data = await ctx.client.request(ApproveDocument, { id: id ?? (await openRequestId(ctx, o)), comment: o.comment ?? null, idempotencyKey: o.idempotencyKey ?? null });
  emit(ctx, data, () => {
    const { request, promotion } = data.approve;
    ctx.print(`Request ${request.id} is ${request.status}.`);
    if (promotion) ctx.print(`Promoted ${request.model} version ${promotion.version.version} to ${promotion.version.stage}.`);
  });
  return EXIT.OK;
}

export async function reject(ctx: CommandContext, id: string | undefined, o: Partial<VersionTarget> & { stage?: Stage; reason: string; idempotencyKey?: string }): Promise<number> {
  const data = await ctx.client.request(RejectDocument, { id: id ?? (await openRequestId(ctx, o)), reason: o.reason, idempotencyKey: o.idempotencyKey ?? null });
  emit(ctx, data, () => ctx.print(`Request ${data.reject.id} is ${data.reject.status}.`));
  return EXIT.OK;
}

/** There is at most one open request per version and stage, so the three name it. */
async function openRequestId(ctx: CommandContext, o: Partial<VersionTarget> & { stage?: Stage }): Promise<string> {
  if (!o.model || !o.modelVersion || !o.stage) throw new UsageError('give a request ID, or --model, --model-version and --stage of the open request');
  const { approvalRequests } = await ctx.client.request(ApprovalRequestsDocument, { registry: o.registry ?? null, name: o.model, status: 'PENDING', first: 200, after: null });
  const open = approvalRequests.find((r) => r.version === o.modelVersion && r.targetStage === o.stage);
  if (!open) throw new CliRefusal('NOT_FOUND', `no pending approval request for ${o.model} version ${o.modelVersion} to ${o.stage}`);
  return open.id;
}

export async function rollback(ctx: CommandContext, o: Target & { reason: string; toVersion?: string }): Promise<number> {
  const data = await ctx.client.request(RollbackDocument, { registry: o.registry ?? null, name: o.model, toVersion: o.toVersion ?? null, reason: o.reason });
  emit(ctx, data, () => {
    const r = data.rollback;
    ctx.print(`Rolled back to version ${r.to.version} (${r.rule}); archived ${r.from.map((v) => v.version).join(', ') || 'nothing'}.`);
  });
  return EXIT.OK;
}

export async function compare(ctx: CommandContext, o: Target & { metrics?: string[]; versions?: string[]; minimize?: string[]; last?: number }): Promise<number> {
  const data = await ctx.client.request(CompareVersionsDocument, {
    registry: o.registry ?? null,
    name: o.model,
    versions: o.versions ?? null,
    metrics: o.metrics ?? null,
    minimize: o.minimize ?? null,
    last: o.last ?? null,
  });
  emit(ctx, data, () => {
    const c = data.compareVersions;
    ctx.print(table(['version', 'stage', ...c.metrics], c.rows.map((row) => [row.version.version, row.version.stage, ...row.values.map((v) => v.value)])));
    for (const best of c.best) ctx.print(`Best ${best.metric} (${best.goal.toLowerCase()}): ${best.version === null ? '-' : `version ${best.version} = ${best.value}`}`);
  });
  return EXIT.OK;
}

export async function best(ctx: CommandContext, o: Target & { metric: string; minimize?: boolean; stages?: Stage[] }): Promise<number> {
  const data = await ctx.client.request(BestVersionDocument, {
    registry: o.registry ?? null,
    name: o.model,
    metric: o.metric,
    goal: o.minimize ? 'MINIMIZE' : 'MAXIMIZE',
    stages: o.stages ?? null,
  });
  emit(ctx, data, () =>
    ctx.print(data.bestVersion ? `Version ${data.bestVersion.version.version} (${data.bestVersion.version.stage}): ${o.metric} = ${data.bestVersion.value}` : `No version recorded ${o.metric}.`),
  );
  return data.bestVersion ? EXIT.OK : EXIT.FAILED;
}

export async function auditVerify(ctx: CommandContext, o: { checkpoint?: string }): Promise<number> {
  const checkpoint = o.checkpoint !== undefined ? readCheckpoint(o.checkpoint) : null;
  const data = await ctx.client.request(VerifyAuditDocument, { checkpoint });
  const v = data.verifyAudit;
  emit(ctx, data, () => {
    if (v.broken.length) ctx.print(`${red('Broken')} at event${v.broken.length > 1 ? 's' : ''} ${v.broken.join(', ')}${v.truncated ? ' and more' : ''} (${v.checked} checked).`);
    else ctx.print(`${green('Intact')}: ${v.checked} audit events verified.`);
    if (v.checkpoint) {
      ctx.print(
        v.checkpoint.holds
          ? `${green('Extends')} the checkpoint at event ${v.checkpoint.seq}.`
          : `${red('Does not extend')} the checkpoint at event ${v.checkpoint.seq}: ${CHECKPOINT_FAILURES[v.checkpoint.reason ?? 'SIGNATURE_INVALID']}.`,
      );
    }
  });
  return v.ok ? EXIT.OK : EXIT.FAILED;
}

const CHECKPOINT_FAILURES: Record<CheckpointFailure, string> = {
  SIGNATURE_INVALID: "its signature does not hold with this gateway's MODELGATE_AUDIT_KEY",
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

/** Prints a signed checkpoint of the log's head as JSON (always JSON: it is a file to keep). */
export async function auditCheckpoint(ctx: CommandContext): Promise<number> {
  const data = await ctx.client.request(AuditCheckpointDocument, {});
  const { seq, hash, at, signature } = data.auditCheckpoint;
  ctx.print(JSON.stringify({ seq, hash, at, signature }, null, ctx.format === 'json' ? 2 : undefined));
  return EXIT.OK;
}
