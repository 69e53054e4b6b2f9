import {
  ErrorCode,
  RegistryError,
  VersionOrder,
  versionKeyId,
  type ModelVersion,
  type RegistryAdapter,
} from '../core/index.ts';

export const DEFAULT_COMPARE_LAST = 50;
export const MAX_COMPARE_VERSIONS = 200;

export interface CompareOptions {
  /** Versions to compare; the newest `last` when omitted. */
  versions?: readonly string[] | null;
  last?: number | null;
  /** Metrics to show; every metric any compared version has when omitted. */
  metrics?: readonly string[] | null;
  /** Metrics where lower is better (loss, error); the rest are maximised. */
  minimize?: readonly string[] | null;
}

export interface ComparisonRow {
  version: ModelVersion;
  /** One entry per compared metric, in `metrics` order; null where the version did not record it. */
  values: { key: string; value: number | null }[];
}

export interface BestByMetric {
  metric: string;
  goal: 'MAXIMIZE' | 'MINIMIZE';
  /** Null when no compared version recorded the metric. */
  version: string | null;
  value: number | null;
}

export interface VersionComparison {
  registry: string;
  name: string;
  metrics: string[];
  rows: ComparisonRow[];
  best: BestByMetric[];
}

/** Side by side metrics of a model's versions, oldest first, with the best version per metric. */
export async function compareVersions(registry: RegistryAdapter, name: string, options: CompareOptions = {}): Promise<VersionComparison> {
  const versions = await pickVersions(registry, name, options);
  const recorded = await registry.getMetrics(versions.map((v) => ({ name: v.name, version: v.version, runId: v.runId })));
  const metricsOf = (v: ModelVersion) => recorded.get(versionKeyId(v))?.metrics ?? {};
  const metrics = options.metrics?.length
    ? [...new Set(options.metrics)]
    : [...new Set(versions.flatMap((v) => Object.keys(metricsOf(v))))].sort();
  const minimize = new Set(options.minimize ?? []);

  const rows = versions.map((version) => {
    const own = metricsOf(version);
    return { version, values: metrics.map((key) => ({ key, value: Object.hasOwn(own, key) ? own[key]! : null })) };
  });
  const best = metrics.map((metric, index): BestByMetric => {
    const goal = minimize.has(metric) ? 'MINIMIZE' : 'MAXIMIZE';
    let winner: ComparisonRow | null = null;
    for (const row of rows) {
      const value = row.values[index]!.value;
      if (value === null) continue;
      const current = winner?.values[index]!.value ?? null;
      // Ties go to the newer version: the later registration of an equal model wins.
      if (current === null || (goal === 'MAXIMIZE' ? value >= current : value <= current)) winner = row;
    }
    return { metric, goal, version: winner?.version.version ?? null, value: winner?.values[index]!.value ?? null };
  });
  return { registry: registry.id, name, metrics, rows, best };
}

async function pickVersions(registry: RegistryAdapter, name: string, options: CompareOptions): Promise<ModelVersion[]> {
  if (options.versions?.length) {
    const wanted = [...new Set(options.versions)];
    if (wanted.length > MAX_COMPARE_VERSIONS) {
      throw new RegistryError(ErrorCode.INVALID_INPUT, `Compare at most ${MAX_COMPARE_VERSIONS} versions at once`);
    }
    const found = await registry.getVersions(wanted.map((version) => ({ name, version })));
    const missing = wanted.filter((_, i) => !found[i]);
    if (missing.length) {
      if (!(await registry.getModel(name))) throw new RegistryError(ErrorCode.NOT_FOUND, `Model '${name}' does not exist`);
      throw new RegistryError(ErrorCode.NOT_FOUND, `Model '${name}' has no version ${missing.join(', ')}`, { details: { missing } });
    }
    return (found as ModelVersion[]).sort((a, b) => Number(a.version) - Number(b.version));
  }
  const last = options.last ?? DEFAULT_COMPARE_LAST;
  if (!Number.isInteger(last) || last < 1 || last > MAX_COMPARE_VERSIONS) {
    throw new RegistryError(ErrorCode.INVALID_INPUT, `last must be from 1 to ${MAX_COMPARE_VERSIONS}, got ${last}`);
  }
  const page = await registry.listVersions(name, { order: VersionOrder.NEWEST_FIRST }, { first: last });
  return page.items.reverse();
}
