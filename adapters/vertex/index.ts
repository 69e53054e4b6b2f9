export { VertexRegistry, type VertexRegistryOptions } from './vertex-registry.ts';
