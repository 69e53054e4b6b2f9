import { RegistriesDocument } from '../api.ts';
import { ErrorBox, Loading } from '../components.tsx';
import { useQuery } from '../hooks.ts';
import { href } from '../router.ts';

/** Each registry: kind, health and latency, and what it holds natively, by emulation, or not at all. */
export function RegistriesPage() {
  const { data, error, loading, reload } = useQuery(RegistriesDocument, {});
  return (
    <section>
      <h2>Registries <button type="button" class="small" onClick={reload}>Refresh</button></h2>
      <Loading when={loading} />
      <ErrorBox error={error} />
      {data && (
        <table class="registries">
          <thead>
            <tr><th>Id</th><th>Kind</th><th>Health</th><th>Latency</th><th>Stages</th><th>Aliases</th><th>Metrics</th><th>Atomic archive</th><th>Descriptions</th><th>Limits</th></tr>
          </thead>
          <tbody>
            {data.registries.map((r) => (
              <tr key={r.id} data-registry={r.id}>
                <td><a href={href('models', [], { registry: r.id })}>{r.id}</a></td>
                <td>{r.kind}</td>
                <td class={r.health.ok ? 'pass' : 'fail'} title={r.health.message ?? ''}>{r.health.ok ? 'ok' : `down: ${r.health.message ?? ''}`}</td>
                <td>{Math.round(r.health.latencyMs)} ms</td>
                <td class={`support-${r.capabilities.stages.toLowerCase()}`}>{r.capabilities.stages}</td>
                <td class={`support-${r.capabilities.aliases.toLowerCase()}`}>{r.capabilities.aliases}</td>
                <td class={`support-${r.capabilities.metrics.toLowerCase()}`}>{r.capabilities.metrics}</td>
                <td>{r.capabilities.archiveExistingAtomic ? 'yes' : 'no'}</td>
                <td>
                  model {r.capabilities.modelDescriptionMutable ? 'editable' : 'fixed'}, version {r.capabilities.versionDescriptionMutable ? 'editable' : 'fixed'}
                </td>
                <td class="limits">
                  name ≤ {r.capabilities.limits.modelName.maxLength}, tag key ≤ {r.capabilities.limits.tagKey.maxLength}, tag value ≤{' '}
                  {r.capabilities.limits.tagValue.maxLength}
                  {r.capabilities.limits.maxVersionTags !== null && r.capabilities.limits.maxVersionTags !== undefined && `, ≤ ${r.capabilities.limits.maxVersionTags} version tags`}
                  {r.capabilities.limits.modelName.rule && <div class="muted">{r.capabilities.limits.modelName.rule}</div>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
