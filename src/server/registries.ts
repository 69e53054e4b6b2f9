import { LocalRegistry } from '../../adapters/local/index.ts';
import { RegistrySet, enforceInputRules, type RegistryAdapter } from '../core/index.ts';
import type { RegistryConfig, ResolvedConfig } from './config.ts';

/** The one place that knows every adapter: builds each configured registry by its kind. */
function createAdapter(config: RegistryConfig & { path?: string }): RegistryAdapter {
  switch (config.kind) {
    case 'local':
      return new LocalRegistry({ id: config.id, path: config.path! });
  }
}

export function createRegistries(config: ResolvedConfig): RegistrySet {
  const adapters = config.registries.map((registry) => enforceInputRules(createAdapter(registry)));
  return new RegistrySet(adapters, config.defaultRegistry);
}
