import { useEffect, useState } from 'preact/hooks';
import { ListModelsDocument, RegistriesDocument, request, type ListModelsQuery, type TagFilter } from '../api.ts';
import { ErrorBox, Loading } from '../components.tsx';
import { toApiError, useQuery } from '../hooks.ts';
import { href, type Route } from '../router.ts';
import type { ApiError } from '../api.ts';

const PAGE = 20;
type Row = ListModelsQuery['models']['edges'][number]['node'];

/** `key=value, other` → tag filters; a key alone matches any value. */
export function parseTags(text: string): TagFilter[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const at = part.indexOf('=');
      return at < 0 ? { key: part } : { key: part.slice(0, at).trim(), value: part.slice(at + 1).trim() };
    });
}

/** Models by name and tags, one registry or all of them, a page at a time (each registry keeps its own cursor). */
export function ModelsPage({ route }: { route: Route }) {
  const registries = useQuery(RegistriesDocument, {});
  const registry = route.query.get('registry') ?? '';
  const name = route.query.get('q') ?? '';
  const tags = route.query.get('tags') ?? '';
  const [form, setForm] = useState({ registry, name, tags });
  const [rows, setRows] = useState<Row[]>([]);
  const [cursors, setCursors] = useState<Record<string, string | null>>({});
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(false);
  const ids = registry ? [registry] : (registries.data?.registries.map((r) => r.id) ?? []);

  async function load(targets: string[], after: Record<string, string | null>, append: boolean) {
    setLoading(true);
    setError(null);
    try {
      const filter = { nameContains: name || null, tags: tags ? parseTags(tags) : null };
      const pages = await Promise.all(targets.map((id) => request(ListModelsDocument, { registry: id, filter, first: PAGE, after: after[id] ?? null }).then((d) => [id, d.models] as const)));
      const next: Record<string, string | null> = {};
      for (const [id, page] of pages) if (page.pageInfo.hasNextPage) next[id] = page.pageInfo.endCursor ?? null;
      const found = pages.flatMap(([, page]) => page.edges.map((e) => e.node));
      setRows((old) => (append ? [...old, ...found] : found));
      setCursors(next);
    } catch (e) {
      setError(toApiError(e));
    } finally {
      setLoading(false);
    }
  }

  useEffect(() => {
    setForm({ registry, name, tags });
    if (ids.length) void load(ids, {}, false);
  }, [registry, name, tags, ids.join(',')]);

  const search = (event: Event) => {
    event.preventDefault();
    location.hash = href('models', [], { registry: form.registry, q: form.name, tags: form.tags });
  };

  return (
    <section>
      <h2>Models</h2>
      <form class="filters" onSubmit={search}>
        <label>
          Registry{' '}
          <select name="registry" value={form.registry} onChange={(e) => setForm({ ...form, registry: e.currentTarget.value })}>
            <option value="">All registries</option>
            {registries.data?.registries.map((r) => <option key={r.id} value={r.id}>{r.id} ({r.kind})</option>)}
          </select>
        </label>
        <label>
          Name contains <input name="q" value={form.name} onInput={(e) => setForm({ ...form, name: e.currentTarget.value })} />
        </label>
        <label>
          Tags <input name="tags" placeholder="team=ml, validated" value={form.tags} onInput={(e) => setForm({ ...form, tags: e.currentTarget.value })} />
        </label>
        <button type="submit">Search</button>
      </form>
      <ErrorBox error={registries.error ?? error} />
      <table class="models">
        <thead>
          <tr><th>Registry</th><th>Name</th><th>Production</th><th>Tags</th><th>Description</th></tr>
        </thead>
        <tbody>
          {rows.map((m) => (
            <tr key={`${m.registry}/${m.name}`} data-model={m.name}>
              <td>{m.registry}</td>
              <td><a href={href('model', [m.registry, m.name])}>{m.name}</a></td>
              <td>{m.productionVersion ? `v${m.productionVersion.version}` : '—'}</td>
              <td>{m.tags.map((t) => <span class="tag" key={t.key}>{t.key}={t.value}</span>)}</td>
              <td>{m.description ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {!loading && rows.length === 0 && !error && <p class="muted">No models match.</p>}
      <Loading when={loading} />
      {Object.keys(cursors).length > 0 && (
        <button type="button" name="more" onClick={() => void load(Object.keys(cursors), cursors, true)} disabled={loading}>
          Next {PAGE} models
        </button>
      )}
    </section>
  );
}
