import { useState } from 'preact/hooks';
import { ApprovalQueueDocument, ApproveDocument, RejectDocument, request, type ApiError, type ApprovalQueueQuery, type ApprovalStatus } from '../api.ts';
import { ActionButton, ErrorBox, GateReport, Loading, when } from '../components.tsx';
import { toApiError, useQuery } from '../hooks.ts';
import { usePermissions } from '../permissions.ts';
import { href, type Route } from '../router.ts';

const STATUSES: ApprovalStatus[] = ['PENDING', 'APPROVED', 'REJECTED', 'SUPERSEDED', 'EXPIRED'];
type Request = ApprovalQueueQuery['approvalRequests'][number];

/** The queue of requests with the gate report each was opened with; approve with a comment, reject with a reason. */
export function ApprovalsPage({ route }: { route: Route }) {
  const registry = route.query.get('registry');
  const model = route.query.get('model');
  const [status, setStatus] = useState<ApprovalStatus>('PENDING');
  const queue = useQuery(ApprovalQueueDocument, { registry, name: model, status, first: 50 });
  return (
    <section>
      <h2>Approvals{model && <span class="muted"> for {model}</span>}</h2>
      <label>
        Status{' '}
        <select name="status" value={status} onChange={(e) => setStatus(e.currentTarget.value as ApprovalStatus)}>
          {STATUSES.map((s) => <option key={s}>{s}</option>)}
        </select>
      </label>
      <button type="button" class="small" onClick={queue.reload}>Refresh</button>
      <Loading when={queue.loading} />
      <ErrorBox error={queue.error} />
      {queue.data?.approvalRequests.length === 0 && <p class="muted">No {status.toLowerCase()} requests.</p>}
      {queue.data?.approvalRequests.map((r) => <ApprovalCard key={r.id} request={r} />)}
    </section>
  );
}

function ApprovalCard({ request: r }: { request: Request }) {
  const permissions = usePermissions(r.registry, r.model);
  const [comment, setComment] = useState('');
  const [reason, setReason] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function act(step: () => Promise<string>) {
    setBusy(true);
    setError(null);
    try {
      // The card stays with the outcome; the list refreshes when asked.
      setDone(await step());
    } catch (e) {
      setError(toApiError(e));
    } finally {
      setBusy(false);
    }
  }
  const approve = () => act(async () => {
    const { approve } = await request(ApproveDocument, { id: r.id, comment: comment || null });
    return approve.promotion ? `Approved: version ${approve.promotion.version.version} is now ${approve.promotion.version.stage}` : `Approved (${approve.request.status})`;
  });
  const reject = () => act(async () => `Rejected (${(await request(RejectDocument, { id: r.id, reason })).reject.status})`);
  const pending = r.status === 'PENDING';

  return (
    <article class="approval" data-request={r.id} data-status={r.status}>
      <h3>
        <a href={href('model', [r.registry, r.model])}>{r.model}</a> v{r.version} → {r.targetStage} <span class={`status status-${r.status.toLowerCase()}`}>{r.status}</span>
      </h3>
      <p class="muted">
        Requested by <strong class="requested-by">{r.requestedBy}</strong> on {when(r.requestedAt)} in {r.registry}
        {r.fromStage && ` (from ${r.fromStage})`}; {r.approvals.length}/{r.requiredApprovals} approvals
        {r.expiresAt && `; expires ${when(r.expiresAt)}`}
      </p>
      {r.comment && <p>“{r.comment}”</p>}
      {r.reason && <p class="reason-text">Reason: {r.reason}</p>}
      {r.approvals.length > 0 && (
        <ul class="votes">{r.approvals.map((v, i) => <li key={i}>{v.principal} approved {when(v.at)}{v.comment && `: “${v.comment}”`}</li>)}</ul>
      )}
      {r.report && <GateReport report={r.report} title="Gate report when opened" />}
      {pending && !done && (
        <div class="decide">
          <div class="form-row">
            <label>Comment <input name="comment" value={comment} onInput={(e) => setComment(e.currentTarget.value)} /></label>
            <ActionButton name="approve" allowed={permissions.approve} disabled={busy} onClick={approve}>Approve</ActionButton>
          </div>
          <div class="form-row">
            <label>Reason <input name="reason" value={reason} onInput={(e) => setReason(e.currentTarget.value)} /></label>
            <ActionButton name="reject" allowed={permissions.approve} disabled={busy || !reason.trim()} onClick={reject}>Reject</ActionButton>
            {!reason.trim() && <span class="muted hint">a reason is required to reject</span>}
          </div>
        </div>
      )}
      {done && <p class="outcome" role="status">{done}</p>}
      <ErrorBox error={error} />
    </article>
  );
}
