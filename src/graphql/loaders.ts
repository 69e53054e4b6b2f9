import DataLoader from 'dataloader';
import {
  ALL_STAGES,
  EMPTY_METRICS,
  versionKeyId,
  type Model,
  type ModelVersion,
  type RegistryAdapter,
  type RegistrySet,
  type MetricsRef,
  type VersionKey,
  type VersionMetrics,
} from '../core/index.ts';

/** Batching and caching for one registry within one GraphQL request. */
export class RegistryLoaders {
  readonly model: DataLoader<string, Model | null>;
  readonly version: DataLoader<VersionKey, ModelVersion | null, string>;
  readonly metrics: DataLoader<MetricsRef, VersionMetrics, string>;
  /** Latest version in each stage, per model name. */
  readonly latest: DataLoader<string, ModelVersion[]>;

  constructor(readonly registry: RegistryAdapter) {
    this.model = new DataLoader(async (names) => Promise.all(names.map((name) => registry.getModel(name))));
    this.version = new DataLoader((keys) => registry.getVersions(keys), { cacheKeyFn: versionKeyId });
    this.metrics = new DataLoader(
      async (keys) => {
        const found = await registry.getMetrics(keys);
        return keys.map((key) => found.get(versionKeyId(key)) ?? EMPTY_METRICS);
      },
      { cacheKeyFn: versionKeyId },
    );
    this.latest = new DataLoader(async (names) => {
      const found = await registry.latestVersions(names, ALL_STAGES);
      return names.map((name) => found.get(name) ?? []);
    });
  }

  /**
   * The registry as workflows should see it within this request: batch reads go through
   * the request's loaders, so a workflow and the fields around it read each thing once.
   */
  cached(): RegistryAdapter {
    const loaders = this;
    return new Proxy(this.registry, {
      get(target, property, receiver) {
        if (property === 'getVersions') return (keys: readonly VersionKey[]) => loaders.version.loadMany(keys).then(rethrow);
        if (property === 'getMetrics') {
          return async (refs: readonly MetricsRef[]) => {
            const values = rethrow(await loaders.metrics.loadMany(refs));
            return new Map(refs.map((ref, i) => [versionKeyId(ref), values[i]!]));
          };
        }
        const value = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  }

  /** After a write, nothing read earlier in the request may be served again. */
  clear(): void {
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

/** loadMany reports failures as values; workflows expect them thrown. */
function rethrow<T>(values: (T | Error)[]): T[] {
  const failure = values.find((value): value is Error => value instanceof Error);
  if (failure) throw failure;
  return values as T[];
}
