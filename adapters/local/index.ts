export { LocalRegistry, type LocalRegistryOptions } from './local-registry.ts';
