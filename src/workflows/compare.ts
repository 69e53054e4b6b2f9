import {
  ErrorCode,
  RegistryError,
  Stage,
  VersionOrder,
  EMPTY_METRICS,
  cardFieldValue,
  checkCardField,
  readCard,
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
  /** Card fields to show beside the metrics: framework, dataVersion, dependencies.sklearn, ... (see CARD_FIELDS). */
  cardFields?: readonly string[] | null;
}

export interface ComparisonRow {
  version: ModelVersion;
  /** One entry per compared metric, in `metrics` order; null where the version did not record it. */
  values: { key: string; value: number | null; source: string | null }[];
  /** One entry per requested card field, in `cardFields` order; null where the card has nothing there. */
  card: { field: string; value: string | null }[];
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
  cardFields: string[];
  rows: ComparisonRow[];
  best: BestByMetric[];
}

/** Side by side metrics of a model's versions, oldest first, with the best version per metric. */
export async function compareVersions(registry: RegistryAdapter, name: string, options: CompareOptions = {}): Promise<VersionComparison> {
  const cardFields = [...new Set(options.cardFields ?? [])];
  cardFields.forEach(checkCardField);
  const versions = await pickVersions(registry, name, options);
  const recorded = await registry.getMetrics(versions.map((v) => ({ name: v.name, version: v.version, runId: v.runId, tags: v.tags })));
  const metricsOf = (v: ModelVersion) => recorded.get(versionKeyId(v))?.metrics ?? EMPTY_METRICS.metrics;
  const metrics = options.metrics?.length
    ? [...new Set(options.metrics)]
    : [...new Set(versions.flatMap((v) => Object.keys(metricsOf(v))))].sort();
  const minimize = new Set(options.minimize ?? []);

  const rows = versions.map((version) => {
    const own = metricsOf(version);
    const sources = recorded.get(versionKeyId(version))?.sources;
    const card = cardFields.length ? readCard(version) : null;
    return {
      version,
      values: metrics.map((key) => ({ key, value: Object.hasOwn(own, key) ? own[key]! : null, source: Object.hasOwn(own, key) ? (sources?.[key] ?? 'RUN') : null })),
      card: cardFields.map((field) => ({ field, value: card ? cardFieldValue(card, field) : null })),
    };
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
  return { registry: registry.id, name, metrics, cardFields, rows, best };
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

export interface BestVersion {
  version: ModelVersion;
  value: number;
}

/** The version with the best recorded value of `metric` among the given stages (all when none); ties go to the newer. */
export async function bestVersion(
  registry: RegistryAdapter,
  name: string,
  metric: string,
  goal: 'MAXIMIZE' | 'MINIMIZE',
  stages: readonly Stage[] | null,
): Promise<BestVersion | null> {
  const page = await registry.listVersions(name, { stages: stages?.length ? [...stages] : undefined }, { first: MAX_COMPARE_VERSIONS });
  const recorded = await registry.getMetrics(page.items.map((v) => ({ name: v.name, version: v.version, runId: v.runId, tags: v.tags })));
  let best: BestVersion | null = null;
  for (const version of page.items) {
    const metrics = recorded.get(versionKeyId(version))?.metrics;
    if (!metrics || !Object.hasOwn(metrics, metric)) continue;
    const value = metrics[metric]!;
    const better = !best || (goal === 'MAXIMIZE' ? value > best.value : value < best.value) || (value === best.value && Number(version.version) > Number(best.version.version));
    if (better) best = { version, value };
  }
  return best;
}

export interface RegistrySlot {
  registry: string;
  kind: string;
  found: boolean;
  versionCount: number | null;
  production: ModelVersion | null;
  productionMetrics: Record<string, number> | null;
  /** Where each production metric came from. */
  productionMetricSources?: Record<string, string>;
  latest: ModelVersion | null;
  error: { code: string; message: string } | null;
}

/** The same model in several registries side by side; a registry that fails reports in its own slot. */
export async function compareRegistries(registries: readonly RegistryAdapter[], name: string): Promise<RegistrySlot[]> {
  return Promise.all(
    registries.map(async (registry): Promise<RegistrySlot> => {
      const slot: RegistrySlot = { registry: registry.id, kind: registry.kind, found: false, versionCount: null, production: null, productionMetrics: null, latest: null, error: null };
      try {
        if (!(await registry.getModel(name))) return slot;
        const versions = await registry.listVersions(name, {}, { first: MAX_COMPARE_VERSIONS });
        const production = versions.items.find((v) => v.stage === Stage.PRODUCTION) ?? null;
        const metrics = production ? await registry.getMetrics([{ name, version: production.version, runId: production.runId, tags: production.tags }]) : null;
        return {
          ...slot,
          found: true,
          versionCount: versions.hasNextPage ? null : versions.items.length,
          production,
          productionMetrics: production ? (metrics?.get(versionKeyId(production))?.metrics ?? EMPTY_METRICS.metrics) : null,
          productionMetricSources: production ? metrics?.get(versionKeyId(production))?.sources : undefined,
          latest: versions.items[0] ?? null,
        };
      } catch (error) {
        const code = error instanceof RegistryError ? error.code : ErrorCode.INTERNAL;
        const message = error instanceof RegistryError ? error.message : 'Internal error';
        return { ...slot, error: { code, message } };
      }
    }),
  );
}
