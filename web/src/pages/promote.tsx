import { useState } from 'preact/hooks';
import { EvaluateGatesDocument, ModelPageDocument, PromoteDocument, request, type ApiError, type GateReportFieldsFragment, type PromoteMutation, type Stage } from '../api.ts';
import { ActionButton, ErrorBox, GateReport, Loading } from '../components.tsx';
import { toApiError, useQuery } from '../hooks.ts';
import { usePermissions } from '../permissions.ts';
import { href } from '../router.ts';

const STAGES: Stage[] = ['STAGING', 'PRODUCTION', 'ARCHIVED', 'NONE'];
const permissionFor = (stage: Stage) => (stage === 'PRODUCTION' || stage === 'ARCHIVED' ? 'promote:production' : 'promote:staging');

/** Pick a version and a stage → the gate report check by check → a dry run → confirm. */
export function PromotePage({ registry, name, initialVersion }: { registry: string; name: string; initialVersion: string | null }) {
  const model = useQuery(ModelPageDocument, { registry, name });
  const permissions = usePermissions(registry, name);
  const versions = model.data?.model?.versions.nodes ?? [];
  const [version, setVersion] = useState(initialVersion ?? '');
  const [stage, setStage] = useState<Stage>('STAGING');
  const [comment, setComment] = useState('');
  const [report, setReport] = useState<GateReportFieldsFragment | null>(null);
  const [dryRun, setDryRun] = useState<PromoteMutation['promote'] | null>(null);
  const [outcome, setOutcome] = useState<PromoteMutation['promote'] | null>(null);
  const [refusal, setRefusal] = useState<{ error: ApiError; report: GateReportFieldsFragment | null } | null>(null);
  const [busy, setBusy] = useState(false);
  const chosen = version || versions[0]?.version || '';
  const allowed = permissions[permissionFor(stage)];

  const reset = () => {
    setReport(null);
    setDryRun(null);
    setOutcome(null);
    setRefusal(null);
  };
  async function run(step: () => Promise<void>) {
    setBusy(true);
    setRefusal(null);
    try {
      await step();
    } catch (e) {
      const error = toApiError(e);
      // GATE_FAILED carries the full report: show it, not a raw error.
      const failed = error.code === 'GATE_FAILED' ? ((error.details?.report as GateReportFieldsFragment | undefined) ?? null) : null;
      setRefusal({ error, report: failed });
    } finally {
      setBusy(false);
    }
  }
  const evaluate = () => run(async () => {
    reset();
    setReport((await request(EvaluateGatesDocument, { registry, name, version: chosen, targetStage: stage })).evaluateGates);
  });
  const tryIt = () => run(async () => {
    setDryRun((await request(PromoteDocument, { registry, name, version: chosen, targetStage: stage, dryRun: true })).promote);
  });
  const confirm = () => run(async () => {
    setOutcome((await request(PromoteDocument, { registry, name, version: chosen, targetStage: stage, comment: comment || null, idempotencyKey: `console-${crypto.randomUUID()}` })).promote);
    model.reload();
  });

  return (
    <section class="promote">
      <h2>Promote <a href={href('model', [registry, name])}>{name}</a></h2>
      <Loading when={model.loading} />
      <ErrorBox error={model.error} />
      <div class="form-row">
        <label>
          Version{' '}
          <select name="version" value={chosen} onChange={(e) => { setVersion(e.currentTarget.value); reset(); }}>
            {versions.map((v) => <option key={v.version} value={v.version}>v{v.version} ({v.stage})</option>)}
          </select>
        </label>
        <label>
          Target stage{' '}
          <select name="stage" value={stage} onChange={(e) => { setStage(e.currentTarget.value as Stage); reset(); }}>
            {STAGES.map((s) => <option key={s}>{s}</option>)}
          </select>
        </label>
        <ActionButton name="evaluate" allowed={{ allowed: true, reason: null }} disabled={!chosen || busy} onClick={evaluate}>1. Check gates</ActionButton>
      </div>
      {report && <GateReport report={report} />}
      {report && (
        <div class="form-row">
          <ActionButton name="dry-run" allowed={allowed} disabled={busy} onClick={tryIt}>2. Dry run</ActionButton>
        </div>
      )}
      {dryRun && (
        <div class="dry-run" data-status={dryRun.status}>
          <h3>Dry run: would {dryRun.wouldDo === 'REQUIRE_APPROVAL' ? 'open an approval request' : dryRun.wouldDo === 'PROMOTE' ? `move v${chosen} to ${stage}` : (dryRun.wouldDo ?? dryRun.status)}</h3>
          {!outcome && <p class="muted">Nothing has changed yet.</p>}
          <div class="form-row">
            <label>Comment <input name="comment" value={comment} onInput={(e) => setComment(e.currentTarget.value)} /></label>
            <ActionButton name="confirm" allowed={allowed} disabled={busy || Boolean(outcome)} onClick={confirm}>3. Confirm</ActionButton>
          </div>
        </div>
      )}
      {outcome && (
        <div class="outcome" data-status={outcome.status} role="status">
          {outcome.status === 'PENDING_APPROVAL' ? (
            <p>
              Approval requested (request <code>{outcome.approvalRequest?.id}</code>): an approver decides it on the{' '}
              <a href={href('approvals', [], { registry, model: name })}>Approvals</a> page.
            </p>
          ) : (
            <p>
              {outcome.status}: version {outcome.version.version} is now <strong>{outcome.version.stage}</strong>
              {outcome.archived.length > 0 && `; archived ${outcome.archived.map((a) => `v${a.version}`).join(', ')}`}.
            </p>
          )}
        </div>
      )}
      {refusal && (
        <div class="refusal">
          {refusal.report ? (
            <>
              <p class="error" role="alert" data-code={refusal.error.code}><strong class="code">{refusal.error.code}</strong> {refusal.error.message}</p>
              <GateReport report={refusal.report} title="Why the gates refused it" />
            </>
          ) : (
            <ErrorBox error={refusal.error} />
          )}
        </div>
      )}
    </section>
  );
}
