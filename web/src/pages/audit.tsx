import { useEffect, useState } from 'preact/hooks';
import { AuditLogDocument, VerifyAuditDocument, request, type ApiError, type AuditLogQuery } from '../api.ts';
import { ErrorBox, Loading, when } from '../components.tsx';
import { toApiError, useQuery } from '../hooks.ts';
import { href, type Route } from '../router.ts';

const PAGE = 100;
type Event = AuditLogQuery['auditLog'][number];

/**
 * The event log, in order, with the chain's verification. Model and registry filter on the gateway; principal, action
 * and result filter the events read so far (the API has no such arguments), and say so.
 */
export function AuditPage({ route }: { route: Route }) {
  const registry = route.query.get('registry') ?? '';
  const model = route.query.get('model') ?? '';
  const [form, setForm] = useState({ registry, model });
  const [filters, setFilters] = useState({ principal: '', action: '', result: '' });
  const [events, setEvents] = useState<Event[]>([]);
  const [more, setMore] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(false);
  const verify = useQuery(VerifyAuditDocument, {});

  async function load(after: number | null) {
    setLoading(true);
    setError(null);
    try {
      const page = (await request(AuditLogDocument, { registry: registry || null, name: model || null, first: PAGE, after })).auditLog;
      setEvents((old) => (after === null ? page : [...old, ...page]));
      setMore(page.length === PAGE);
    } catch (e) {
      setError(toApiError(e));
    } finally {
      setLoading(false);
    }
  }
  useEffect(() => {
    setForm({ registry, model });
    void load(null);
  }, [registry, model]);

  const shown = events.filter(
    (e) =>
      (!filters.principal || e.principal.includes(filters.principal)) &&
      (!filters.action || e.action.includes(filters.action)) &&
      (!filters.result || e.result === filters.result),
  );
  const results = [...new Set(events.map((e) => e.result))].sort();
  const v = verify.data?.verifyAudit;

  return (
    <section>
      <h2>Audit log</h2>
      <div class="verification" data-ok={v ? String(v.ok) : undefined}>
        <ErrorBox error={verify.error} />
        {v && (v.ok ? (
          <p class="pass">Chain intact: {v.checked} events checked, head #{v.headSeq}.</p>
        ) : (
          <p class="fail">Chain BROKEN at #{v.brokenAt}{v.broken.length > 1 && ` (also ${v.broken.slice(1).map((s) => `#${s}`).join(', ')})`}; {v.checked} events checked.</p>
        ))}
      </div>
      <form class="filters" onSubmit={(e) => { e.preventDefault(); location.hash = href('audit', [], form); }}>
        <label>Registry <input name="registry" value={form.registry} onInput={(e) => setForm({ ...form, registry: e.currentTarget.value })} /></label>
        <label>Model <input name="model" value={form.model} onInput={(e) => setForm({ ...form, model: e.currentTarget.value })} /></label>
        <button type="submit">Read</button>
      </form>
      <div class="filters">
        <label>Principal <input name="principal" value={filters.principal} onInput={(e) => setFilters({ ...filters, principal: e.currentTarget.value })} /></label>
        <label>Action <input name="action" value={filters.action} onInput={(e) => setFilters({ ...filters, action: e.currentTarget.value })} /></label>
        <label>
          Result{' '}
          <select name="result" value={filters.result} onChange={(e) => setFilters({ ...filters, result: e.currentTarget.value })}>
            <option value="">any</option>
            {results.map((r) => <option key={r}>{r}</option>)}
          </select>
        </label>
        <span class="muted">{shown.length} of {events.length} events read{more ? ' (more to read)' : ''}</span>
      </div>
      <ErrorBox error={error} />
      <table class="audit">
        <thead><tr><th>#</th><th>At</th><th>Principal</th><th>Action</th><th>Registry</th><th>Model</th><th>Version</th><th>Result</th><th>Detail</th></tr></thead>
        <tbody>
          {shown.map((e) => (
            <tr key={e.seq} data-seq={e.seq} class={e.result === 'OK' ? '' : 'refused'}>
              <td>{e.seq}</td><td>{when(e.at)}</td><td>{e.principal}</td><td>{e.action}</td><td>{e.registry ?? ''}</td>
              <td>{e.model ?? ''}</td><td>{e.version ?? ''}</td><td>{e.result}</td><td>{e.detail ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <Loading when={loading} />
      {more && <button type="button" name="more" disabled={loading} onClick={() => void load(events.at(-1)?.seq ?? null)}>Read {PAGE} more</button>}
    </section>
  );
}
