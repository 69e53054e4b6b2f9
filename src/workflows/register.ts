import { ErrorCode, isRegistryError, type CreateVersion, type ModelVersion, type RegistryAdapter } from '../core/index.ts';

/** Registers a version, creating the model first when it is new (as mlflow.register_model does). */
export async function registerVersion(registry: RegistryAdapter, input: CreateVersion): Promise<ModelVersion> {
  if (!(await registry.getModel(input.name))) {
    try {
      await registry.createModel({ name: input.name, createdBy: input.createdBy ?? null });
    } catch (error) {
      // Another caller created it between our read and write: that is what we wanted.
      if (!(isRegistryError(error) && error.code === ErrorCode.ALREADY_EXISTS)) throw error;
    }
  }
  return registry.createVersion(input);
}
