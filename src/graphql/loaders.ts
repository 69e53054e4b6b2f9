import DataLoader from 'dataloader';
import {
  ALL_STAGES,
  EMPTY_METRICS,
  versionKeyId,
  type Detail,
  type Model,
  type ModelVersion,
  type RegistryAdapter,
  type RegistrySet,
  type MetricsRef,
  type Page,
  type PageRequest,
  type ReadShape,
  type VersionKey,
  type VersionQuery,
  type VersionMetrics,
} from '../core/index.ts';
import { DetailLoader } from './detail-loader.ts';

/** Everything a record can carry: what workflows read, as they may use any of it. */
const WHOLE_RECORD: readonly Detail[] = ['tags', 'aliases'];
const WHOLE_VALUES: readonly Detail[] = ['metrics', 'params'];

const recordDetail = (value: Model | ModelVersion, detail: Detail): unknown =>
  detail === 'tags' ? value.tags : detail === 'aliases' ? value.aliases : undefined;
const valuesDetail = (value: VersionMetrics, detail: Detail): unknown =>
  detail === 'metrics' ? value.metrics : detail === 'params' ? value.params : undefined;

/**
 * Batching and caching for one registry within one GraphQL request. Models, versions and
 * their metrics are read with only the details the query selects (see DetailLoader); the
 * model loader is shared, so a request looks a model up once.
 */
export class RegistryLoaders {
  readonly model: DetailLoader<string, Model>;
  readonly version: DetailLoader<VersionKey, ModelVersion>;
  readonly metrics: DetailLoader<MetricsRef, VersionMetrics>;
  /** Latest version in each stage, per model name. */
  readonly latest: DataLoader<string, ModelVersion[]>;
  /** Pages of versions read (or started early, next to their model) in this request. */
  private readonly versionPages = new Map<string, Promise<Page<ModelVersion>>>();

  constructor(readonly registry: RegistryAdapter) {
    this.model = new DetailLoader((names, shape) => Promise.all(names.map((name) => registry.getModel(name, shape))), String, recordDetail);
    this.version = new DetailLoader((keys, shape) => registry.getVersions(keys, shape), versionKeyId, recordDetail);
    this.metrics = new DetailLoader(
      async (refs, shape) => {
        const found = await registry.getMetrics(refs, shape);
        return refs.map((ref) => found.get(versionKeyId(ref)) ?? EMPTY_METRICS);
      },
      versionKeyId,
      valuesDetail,
    );
    this.latest = new DataLoader(async (names) => {
      const found = await registry.latestVersions(names, ALL_STAGES);
      return names.map((name) => found.get(name) ?? []);
    });
  }

  /**
   * The registry as workflows should see it within this request: batch reads go through
   * the request's loaders, so a workflow and the fields around it read each thing once.
   * Workflows get whole records; the loaders read again what a shaped read left out.
   */
  cached(): RegistryAdapter {
    const loaders = this;
    return new Proxy(this.registry, {
      get(target, property, receiver) {
        if (property === 'getVersions') return (keys: readonly VersionKey[]) => loaders.version.loadMany(keys, WHOLE_RECORD);
        if (property === 'getMetrics') {
          return async (refs: readonly MetricsRef[]) => {
            const values = await loaders.metrics.loadMany(refs, WHOLE_VALUES);
            return new Map(refs.map((ref, i) => [versionKeyId(ref), values[i] ?? EMPTY_METRICS]));
          };
        }
        const value = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  }

  /** One page of a model's versions, read once per request however often it is asked for. */
  versionPage(name: string, query: VersionQuery, page: PageRequest, shape: ReadShape): Promise<Page<ModelVersion>> {
    const key = JSON.stringify([name, query.stages ?? null, query.order ?? null, page.first, page.after ?? null, [...shape].sort()]);
    let found = this.versionPages.get(key);
    if (!found) {
      this.versionPages.set(key, (found = this.registry.listVersions(name, query, page, shape)));
      // Started early, it may fail before anyone awaits it (an absent model): the awaiting resolver reports it.
      found.catch(() => undefined);
    }
    return found;
  }

  /** After a write, nothing read earlier in the request may be served again. */
  clear(): void {
    this.versionPages.clear();
    this.model.clearAll();
    this.version.clearAll();
    this.metrics.clearAll();
    this.latest.clearAll();
  }

  /** Versions read by a list are cached so later field lookups do not fetch them again. */
  primeVersions(versions: readonly ModelVersion[]): void {
    for (const version of versions) this.version.prime(version, version);
  }
}

export class RequestLoaders {
  private readonly byRegistry = new Map<string, RegistryLoaders>();

  constructor(private readonly registries: RegistrySet) {}

  for(registryId: string | null | undefined): RegistryLoaders {
    const registry = this.registries.get(registryId);
    let loaders = this.byRegistry.get(registry.id);
    if (!loaders) this.byRegistry.set(registry.id, (loaders = new RegistryLoaders(registry)));
    return loaders;
  }
}
