import type { CreateVersion, ModelVersion, RegistryAdapter } from '../core/index.ts';

/** Registers a version, creating the model first when it is new (as mlflow.register_model does). */
export function registerVersion(registry: RegistryAdapter, input: CreateVersion): Promise<ModelVersion> {
  return registry.createVersion({ ...input, createModel: input.createModel ?? {} });
}
