import type { CreateVersion, ModelVersion, RegistryAdapter } from '../core/index.ts';
import { nextSemver, type SemverBump } from './semver.ts';

/**
 * Registers a version, creating the model first when it is new (as mlflow.register_model
 * does), with a semantic version assigned against the previous one. Callers that register
 * concurrently for one model should hold the model's lock, or two may get the same semver.
 */
export async function registerVersion(registry: RegistryAdapter, input: CreateVersion, options: { bump?: SemverBump | null } = {}): Promise<ModelVersion> {
  const semver = input.semver ?? (await nextSemver(registry, input.name, input.signature ?? null, options.bump ?? null));
  return registry.createVersion({ ...input, semver, createModel: input.createModel ?? {} });
}
