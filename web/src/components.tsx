import type { ComponentChildren } from 'preact';
import type { ApiError, GateReportFieldsFragment } from './api.ts';

/** Every error shows its code and message; INTERNAL also the request id to quote to an operator. */
export function ErrorBox({ error }: { error: ApiError | null }) {
  if (!error) return null;
  return (
    <div class="error" role="alert" data-code={error.code}>
      <strong class="code">{error.code}</strong> {error.message}
      {error.registry && <span class="muted"> (registry {error.registry})</span>}
      {error.code === 'INTERNAL' && error.requestId && <div class="request-id">Request id: <code>{error.requestId}</code></div>}
    </div>
  );
}

export const Loading = ({ when }: { when: boolean }) => (when ? <p class="muted loading">Loading…</p> : null);

/** A gate report, check by check: what was required, what was found, pass or fail. */
export function GateReport({ report, title = 'Gate report' }: { report: GateReportFieldsFragment; title?: string }) {
  return (
    <section class="gate-report" data-passed={String(report.passed)}>
      <h3>
        {title}: <span class={report.passed ? 'pass' : 'fail'}>{report.passed ? 'all gates pass' : 'gates fail'}</span>
        {report.approvalsRequired > 0 && <span class="muted"> · {report.approvalsRequired} approval(s) required</span>}
      </h3>
      {report.checks.length === 0 ? (
        <p class="muted">No policy has gates for this stage.</p>
      ) : (
        <table>
          <thead>
            <tr><th>Gate</th><th>Subject</th><th>Threshold</th><th>Actual</th><th>Result</th><th>Message</th></tr>
          </thead>
          <tbody>
            {report.checks.map((check, i) => (
              <tr key={i} class={check.passed ? 'pass-row' : 'fail-row'}>
                <td>{check.gate}</td>
                <td>{check.subject ?? ''}</td>
                <td>{check.threshold ?? ''}</td>
                <td>{check.actual ?? '—'}</td>
                <td class={check.passed ? 'pass' : 'fail'}>{check.passed ? 'pass' : 'FAIL'}</td>
                <td>{check.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** A button the caller's grants may not allow: disabled, with the reason shown beside it, not only on hover. */
export function ActionButton(props: { allowed: { allowed: boolean; reason: string | null } | undefined; onClick: () => void; disabled?: boolean; children: ComponentChildren; name: string }) {
  const refused = props.allowed && !props.allowed.allowed ? props.allowed.reason : null;
  return (
    <span class="action">
      <button type="button" name={props.name} disabled={Boolean(refused) || props.disabled || !props.allowed} title={refused ?? undefined} onClick={props.onClick}>
        {props.children}
      </button>
      {refused && <span class="reason">{refused}</span>}
    </span>
  );
}

export const when = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString() : '');
export const num = (value: number | null | undefined) => (value === null || value === undefined ? '—' : String(Math.round(value * 10_000) / 10_000));
