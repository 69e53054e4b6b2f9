import { useState } from 'preact/hooks';
import { ModelPageDocument, RollbackDocument, request, type ApiError, type RollbackMutation } from '../api.ts';
import { ActionButton, ErrorBox, Loading, when } from '../components.tsx';
import { toApiError, useQuery } from '../hooks.ts';
import { usePermissions } from '../permissions.ts';
import { href } from '../router.ts';

const RULES: Record<string, string> = {
  EXPLICIT: 'the version you chose',
  PRODUCTION_HISTORY: 'the most recent earlier production version (production history)',
  HIGHEST_ARCHIVED: 'the highest archived version (no usable production history)',
};

/** Choose the target (history suggested) and give a reason; the answer names the rule that chose the target. */
export function RollbackPage({ registry, name }: { registry: string; name: string }) {
  const model = useQuery(ModelPageDocument, { registry, name });
  const permissions = usePermissions(registry, name);
  const [target, setTarget] = useState('');
  const [reason, setReason] = useState('');
  const [result, setResult] = useState<RollbackMutation['rollback'] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const m = model.data?.model;
  const current = m?.productionVersion?.version ?? null;
  const history = [...new Set((m?.productionHistory ?? []).map((h) => h.version).filter((v) => v !== current))];
  const archived = (m?.versions.nodes ?? []).filter((v) => v.stage === 'ARCHIVED' && !history.includes(v.version)).map((v) => v.version);

  async function rollback() {
    setBusy(true);
    setError(null);
    try {
      setResult((await request(RollbackDocument, { registry, name, toVersion: target || null, reason: reason.trim() })).rollback);
      model.reload();
    } catch (e) {
      setError(toApiError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="rollback">
      <h2>Roll back <a href={href('model', [registry, name])}>{name}</a></h2>
      <Loading when={model.loading} />
      <ErrorBox error={model.error} />
      <p>In production now: {current ? <strong data-production={current}>v{current}</strong> : <span class="muted">nothing</span>}</p>
      {m && m.productionHistory.length > 0 && (
        <p class="muted">Production history: {m.productionHistory.map((h) => `v${h.version} (${when(h.at)})`).join(' ← ')}</p>
      )}
      <fieldset class="targets">
        <legend>Target</legend>
        <label><input type="radio" name="target" value="" checked={target === ''} onChange={() => setTarget('')} /> Let the rules choose (the previous production version, else the highest archived)</label>
        {history.map((v) => (
          <label key={v}><input type="radio" name="target" value={v} checked={target === v} onChange={() => setTarget(v)} /> v{v} <span class="muted">(was in production)</span></label>
        ))}
        {archived.map((v) => (
          <label key={v}><input type="radio" name="target" value={v} checked={target === v} onChange={() => setTarget(v)} /> v{v} <span class="muted">(archived)</span></label>
        ))}
      </fieldset>
      <div class="form-row">
        <label>Reason (required) <input name="reason" value={reason} onInput={(e) => setReason(e.currentTarget.value)} /></label>
        <ActionButton name="rollback" allowed={permissions.rollback} disabled={busy || !reason.trim()} onClick={rollback}>Roll back</ActionButton>
        {!reason.trim() && <span class="muted hint">a reason is required</span>}
      </div>
      {result && (
        <div class="outcome" role="status" data-rule={result.rule}>
          <p>
            Version <strong>{result.to.version}</strong> is in {result.to.stage}; taken out: {result.from.map((v) => `v${v.version}`).join(', ') || 'none'}.
          </p>
          <p>Rule <code>{result.rule}</code>: {RULES[result.rule] ?? result.rule}.</p>
        </div>
      )}
      <ErrorBox error={error} />
    </section>
  );
}
