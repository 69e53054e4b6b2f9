import { useState } from 'preact/hooks';
import { ModelPageDocument } from '../api.ts';
import { MetricChart } from '../chart.tsx';
import { ErrorBox, Loading, num, when } from '../components.tsx';
import { useQuery } from '../hooks.ts';
import { href } from '../router.ts';

/** One model: versions with chosen metrics, a chart per metric, production and its history, tags and description. */
export function ModelPage({ registry, name }: { registry: string; name: string }) {
  const { data, error, loading } = useQuery(ModelPageDocument, { registry, name });
  const [chosen, setChosen] = useState<string[] | null>(null);
  const [chartMetric, setChartMetric] = useState<string | null>(null);
  const [kind, setKind] = useState<'line' | 'bar'>('line');
  const model = data?.model;
  if (loading && !data) return <Loading when />;
  if (error) return <ErrorBox error={error} />;
  if (!model) return <div class="error" data-code="NOT_FOUND"><strong class="code">NOT_FOUND</strong> No model {name} in {registry}</div>;

  const versions = model.versions.nodes;
  const metricNames = [...new Set(versions.flatMap((v) => v.metrics.map((m) => m.key)))].sort();
  const columns = chosen ?? metricNames.slice(0, 4);
  const charted = chartMetric ?? metricNames[0] ?? null;
  const value = (v: (typeof versions)[number], key: string) => v.metrics.find((m) => m.key === key)?.value ?? null;
  const oldestFirst = [...versions].sort((a, b) => Number(a.version) - Number(b.version));

  return (
    <section class="model-page">
      <h2>{model.name} <span class="muted">in {model.registry}</span></h2>
      <nav class="model-actions">
        <a href={href('compare', [registry, name])}>Compare versions</a>
        <a href={href('promote', [registry, name])}>Promote</a>
        <a href={href('rollback', [registry, name])}>Roll back</a>
        <a href={href('approvals', [], { registry, model: name })}>Approvals</a>
        <a href={href('audit', [], { registry, model: name })}>Audit</a>
      </nav>
      <p class="description">{model.description ?? <span class="muted">No description</span>}</p>
      <p class="tags">
        {model.tags.length === 0 ? <span class="muted">No tags</span> : model.tags.map((t) => <span class="tag" key={t.key}>{t.key}={t.value}</span>)}
        {model.aliases.map((a) => <span class="alias" key={a.alias}>@{a.alias} → v{a.version}</span>)}
      </p>

      <div class="production">
        <h3>Production</h3>
        {model.productionVersion ? (
          <p data-production={model.productionVersion.version}>
            Version <strong>{model.productionVersion.version}</strong>
            {model.productionVersion.semver && ` (${model.productionVersion.semver})`}
          </p>
        ) : (
          <p class="muted" data-production="">No version in production</p>
        )}
        {model.productionHistory.length > 0 && (
          <table class="history">
            <thead><tr><th>Version</th><th>Entered production</th><th>By</th></tr></thead>
            <tbody>
              {model.productionHistory.map((h, i) => (
                <tr key={i}><td>v{h.version}</td><td>{when(h.at)}</td><td>{h.by}</td></tr>
              ))}
            </tbody>
          </table>
        )}
      </div>

      <h3>Metrics across versions</h3>
      {charted ? (
        <>
          <div class="chart-controls">
            <label>
              Metric{' '}
              <select name="chart-metric" value={charted} onChange={(e) => setChartMetric(e.currentTarget.value)}>
                {metricNames.map((m) => <option key={m}>{m}</option>)}
              </select>
            </label>
            <label><input type="radio" name="kind" checked={kind === 'line'} onChange={() => setKind('line')} /> line</label>
            <label><input type="radio" name="kind" checked={kind === 'bar'} onChange={() => setKind('bar')} /> bar</label>
          </div>
          <MetricChart series={{ metric: charted, kind, points: oldestFirst.map((v) => ({ version: v.version, value: value(v, charted) })) }} />
        </>
      ) : (
        <p class="muted">No metrics recorded.</p>
      )}

      <h3>Versions</h3>
      {metricNames.length > 0 && (
        <fieldset class="metric-columns">
          <legend>Metric columns</legend>
          {metricNames.map((m) => (
            <label key={m}>
              <input type="checkbox" checked={columns.includes(m)} onChange={(e) => setChosen(e.currentTarget.checked ? [...columns, m] : columns.filter((c) => c !== m))} /> {m}
            </label>
          ))}
        </fieldset>
      )}
      <table class="versions">
        <thead>
          <tr><th>Version</th><th>Semver</th><th>Stage</th><th>Aliases</th><th>Created</th>{columns.map((c) => <th key={c}>{c}</th>)}</tr>
        </thead>
        <tbody>
          {versions.map((v) => (
            <tr key={v.version} data-version={v.version}>
              <td>{v.version}</td>
              <td>{v.semver ?? ''}</td>
              <td class={`stage stage-${v.stage.toLowerCase()}`}>{v.stage}</td>
              <td>{v.aliases.join(', ')}</td>
              <td>{when(v.createdAt)}</td>
              {columns.map((c) => <td key={c}>{num(value(v, c))}</td>)}
            </tr>
          ))}
        </tbody>
      </table>
      {model.versions.pageInfo.hasNextPage && <p class="muted">Showing the newest 200 versions.</p>}
    </section>
  );
}
