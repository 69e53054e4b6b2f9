import type { MlflowAuth } from '../../adapters/mlflow/index.ts';
import { RegistrySet, enforceInputRules, resilience, tracing, withMetricSources, type RegistryAdapter, type ScopedView, type TraceScope } from '../core/index.ts';

/** A backend gets 60 s per call at most; five unavailable answers in a row stop calls for 30 s. */
const DEFAULT_RESILIENCE = { deadlineMs: 60_000, failureThreshold: 5, cooldownMs: 30_000 };
import { ConfigError, type RegistryConfig, type ResolvedConfig } from './config.ts';
import type { GatewayMetrics } from './metrics.ts';

type Env = Record<string, string | undefined>;

/**
 * The one place that knows every adapter: builds each configured registry by its kind.
 * Adapters load on demand, so a gateway without Vertex never loads Google's protos (and
 * without SageMaker never loads the AWS SDK): about 165 MB of memory saved.
 */
async function createAdapter(config: RegistryConfig, env: Env): Promise<RegistryAdapter> {
  switch (config.kind) {
    case 'local': {
      const { LocalRegistry } = await import('../../adapters/local/index.ts');
      return new LocalRegistry({ id: config.id, path: config.path! });
    }
    case 'mlflow': {
      const { MlflowRegistry } = await import('../../adapters/mlflow/index.ts');
      return new MlflowRegistry({
        id: config.id,
        trackingUri: config.trackingUri,
        stageMode: config.stageMode,
        auth: mlflowAuth(config, env),
        timeoutMs: config.timeoutMs,
        readAttempts: config.readAttempts,
        concurrency: config.concurrency,
        metricsExperiment: config.metricsExperiment,
      });
    }
    case 'sagemaker': {
      // Credentials come from the default AWS chain (environment, profile, instance role).
      const { SageMakerRegistry } = await import('../../adapters/sagemaker/index.ts');
      return new SageMakerRegistry({
        id: config.id,
        region: config.region,
        endpoint: config.endpoint,
        maxAttempts: config.maxAttempts,
        timeoutMs: config.timeoutMs,
        concurrency: config.concurrency,
      });
    }
    case 'vertex': {
      // Google credentials come from the default chain (ADC: env, gcloud, metadata server).
      const { VertexRegistry } = await import('../../adapters/vertex/index.ts');
      return new VertexRegistry({
        id: config.id,
        project: config.project,
        location: config.location,
        apiEndpoint: config.apiEndpoint,
        productionIsDefault: config.productionIsDefault,
        timeoutMs: config.timeoutMs,
        concurrency: config.concurrency,
      });
    }
  }
}

/** Credentials come from the environment; a missing variable stops start-up, naming it. */
function mlflowAuth(config: Extract<RegistryConfig, { kind: 'mlflow' }>, env: Env): MlflowAuth {
  const read = (key: string, variable: string) => {
    const value = env[variable];
    if (!value) throw new ConfigError(`registries.${config.id}.auth.${key}: environment variable ${variable} is not set`);
    return value;
  };
  const { auth } = config;
  switch (auth.type) {
    case 'none':
      return { type: 'none' };
    case 'bearer':
      return { type: 'bearer', token: read('tokenEnv', auth.tokenEnv) };
    case 'basic':
      return { type: 'basic', username: read('usernameEnv', auth.usernameEnv), password: read('passwordEnv', auth.passwordEnv) };
  }
}

export async function createRegistries(config: ResolvedConfig, env: Env = process.env, metrics?: GatewayMetrics): Promise<RegistrySet> {
  const adapters: RegistryAdapter[] = [];
  const views = new Map<string, ScopedView>();
  for (const registry of config.registries) {
    const adapter = await createAdapter(registry, env);
    const measured = metrics ? metrics.instrument(adapter) : adapter;
    metrics?.recordCircuit(registry.id, 'closed');
    const onCircuitChange = metrics ? (state: 'closed' | 'open' | 'half_open') => metrics.recordCircuit(registry.id, state) : undefined;
    const resilient = resilience(measured, { ...DEFAULT_RESILIENCE, ...registry.resilience, onCircuitChange });
    const outer = (scope?: TraceScope) => enforceInputRules(withMetricSources(resilient(scope), { sources: registry.metricSources, tagPrefix: registry.metricTagPrefix }));
    adapters.push(outer());
    // Traced requests see the same adapter, breaker and all, each backend call a span under theirs.
    if (tracing.enabled) views.set(registry.id, outer);
  }
  return new RegistrySet(adapters, config.defaultRegistry, views);
}
