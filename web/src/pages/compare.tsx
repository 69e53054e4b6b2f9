import { useState } from 'preact/hooks';
import { CompareRegistriesDocument, CompareVersionsDocument, ModelPageDocument } from '../api.ts';
import { ErrorBox, Loading, num } from '../components.tsx';
import { useQuery } from '../hooks.ts';
import { href } from '../router.ts';

/** Chosen versions side by side with the best per metric highlighted, and the same model in every registry. */
export function ComparePage({ registry, name }: { registry: string; name: string }) {
  const model = useQuery(ModelPageDocument, { registry, name });
  const all = model.data?.model?.versions.nodes.map((v) => v.version) ?? [];
  const [picked, setPicked] = useState<string[] | null>(null);
  const [minimize, setMinimize] = useState<string[]>([]);
  const versions = picked ?? all.slice(0, 5);
  const comparison = useQuery(CompareVersionsDocument, { registry, name, versions, minimize }, versions.length === 0);
  const across = useQuery(CompareRegistriesDocument, { name });
  const result = comparison.data?.compareVersions;

  return (
    <section>
      <h2>Compare <a href={href('model', [registry, name])}>{name}</a></h2>
      <Loading when={model.loading} />
      <ErrorBox error={model.error} />
      <fieldset class="pick-versions">
        <legend>Versions</legend>
        {all.map((v) => (
          <label key={v}>
            <input type="checkbox" name={`v${v}`} checked={versions.includes(v)} onChange={(e) => setPicked(e.currentTarget.checked ? [...versions, v] : versions.filter((x) => x !== v))} /> v{v}
          </label>
        ))}
      </fieldset>
      <ErrorBox error={comparison.error} />
      {result && versions.length > 0 && (
        <table class="comparison">
          <thead>
            <tr>
              <th>Version</th><th>Stage</th>
              {result.metrics.map((m) => (
                <th key={m}>
                  {m}{' '}
                  <label class="goal" title="Lower is better">
                    <input type="checkbox" name={`minimize-${m}`} checked={minimize.includes(m)} onChange={(e) => setMinimize(e.currentTarget.checked ? [...minimize, m] : minimize.filter((x) => x !== m))} /> min
                  </label>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {result.rows.map((row) => (
              <tr key={row.version.version} data-version={row.version.version}>
                <td>v{row.version.version}</td>
                <td>{row.version.stage}</td>
                {result.metrics.map((m) => {
                  const value = row.values.find((x) => x.key === m)?.value ?? null;
                  const best = result.best.some((b) => b.metric === m && b.version === row.version.version);
                  return <td key={m} class={best ? 'best' : ''} data-metric={m} data-best={best ? 'true' : undefined}>{num(value)}{best && ' ★'}</td>;
                })}
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h3>Across registries</h3>
      <ErrorBox error={across.error} />
      {across.data && (
        <table class="across">
          <thead><tr><th>Registry</th><th>Kind</th><th>Found</th><th>Versions</th><th>Production</th><th>Production metrics</th><th>Latest</th></tr></thead>
          <tbody>
            {across.data.compareRegistries.map((slot) => (
              <tr key={slot.registry} data-registry={slot.registry}>
                <td>{slot.registry}</td>
                <td>{slot.kind}</td>
                {slot.error ? (
                  <td colSpan={5} class="fail"><strong>{slot.error.code}</strong> {slot.error.message}</td>
                ) : (
                  <>
                    <td>{slot.found ? 'yes' : 'no'}</td>
                    <td>{slot.versionCount ?? '>200'}</td>
                    <td>{slot.production ? `v${slot.production.version}` : '—'}</td>
                    <td>{slot.productionMetrics?.map((m) => `${m.key} ${num(m.value)}`).join(', ')}</td>
                    <td>{slot.latest ? `v${slot.latest.version} (${slot.latest.stage})` : '—'}</td>
                  </>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
