import { callView, type RegistryAdapter } from './adapter.ts';
import { UNREAD, emptyRecord, isUnread, versionKeyId, type MetricSource, type MetricsRef, type ReadShape, type Tags, type VersionMetrics } from './model.ts';

export interface MetricSourcing {
  /** Sources in order of precedence: where both hold a metric, the first one listed wins. */
  sources: readonly ('run' | 'tags')[];
  /** Tags named `<prefix><metric>` hold a metric (the tutorial's `metric_accuracy`). */
  tagPrefix: string;
}

export const DEFAULT_METRIC_SOURCING: MetricSourcing = { sources: ['run', 'tags'], tagPrefix: 'metric_' };

/** Metrics a version keeps in tags: `<prefix><name>` whose value is a finite number; anything else stays a plain tag. */
export function metricsFromTags(tags: Tags, prefix: string): Record<string, number> {
  const metrics = emptyRecord<number>();
  for (const [key, value] of Object.entries(tags)) {
    if (!key.startsWith(prefix) || key.length === prefix.length) continue;
    const number = Number(value);
    if (value.trim() !== '' && Number.isFinite(number)) metrics[key.slice(prefix.length)] = number;
  }
  return metrics;
}

/**
 * An adapter whose getMetrics reads every configured source and merges them in the configured
 * order, saying per metric where its value came from. Gates, comparison, bestVersion and
 * degradation all read metrics through getMetrics, so a metric kept in a tag counts everywhere.
 */
export function withMetricSources(adapter: RegistryAdapter, sourcing: MetricSourcing): RegistryAdapter {
  const usesRun = sourcing.sources.includes('run');
  const usesTags = sourcing.sources.includes('tags');
  if (usesRun && !usesTags) return adapter;

  const getMetrics = async (refs: readonly MetricsRef[], shape?: ReadShape): Promise<Map<string, VersionMetrics>> => {
    // A read of params alone is the backend's; its UNREAD metrics marker must reach the caller as it is.
    if (shape && !shape.includes('metrics')) return adapter.getMetrics(refs, shape);
    // Params live only in the backend's store: it is read for them even when its metrics do not count.
    const readsBackend = usesRun || !shape || shape.includes('params');
    const [run, tags] = await Promise.all([readsBackend ? adapter.getMetrics(refs, shape) : Promise.resolve(new Map<string, VersionMetrics>()), tagsOf(adapter, refs)]);
    const result = new Map<string, VersionMetrics>();
    for (const ref of refs) {
      const id = versionKeyId(ref);
      const own = run.get(id);
      const fromRun = usesRun ? (own?.metrics ?? {}) : {};
      const fromTags = metricsFromTags(tags.get(id) ?? {}, sourcing.tagPrefix);
      const metrics = emptyRecord<number>();
      const sources = emptyRecord<MetricSource>();
      // Lowest precedence first, so the first listed source writes last and wins.
      for (const source of [...sourcing.sources].reverse()) {
        for (const [key, value] of Object.entries(source === 'run' ? fromRun : fromTags)) {
          metrics[key] = value;
          sources[key] = source === 'run' ? 'RUN' : 'TAGS';
        }
      }
      const params = own?.params ?? (readsBackend ? emptyRecord<string>() : UNREAD.params);
      if (own || Object.keys(metrics).length) result.set(id, { metrics, params, sources });
    }
    return result;
  };
  return callView(adapter, { getMetrics });
}

/** The tags of each version: those the caller passed, the rest in one batched read. */
async function tagsOf(adapter: RegistryAdapter, refs: readonly MetricsRef[]): Promise<Map<string, Tags>> {
  const tags = new Map<string, Tags>();
  const missing: MetricsRef[] = [];
  for (const ref of refs) {
    if (ref.tags && !isUnread(ref.tags)) tags.set(versionKeyId(ref), ref.tags);
    else missing.push(ref);
  }
  if (missing.length) {
    const versions = await adapter.getVersions(missing.map(({ name, version }) => ({ name, version })), ['tags']);
    versions.forEach((version, index) => {
      if (version) tags.set(versionKeyId(missing[index]!), version.tags);
    });
  }
  return tags;
}
