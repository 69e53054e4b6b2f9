import type { RegistryAdapter } from '../../src/core/index.ts';

/** An artifact location the registry can hold: under its first declared scheme (SageMaker `s3://`, Vertex AI `gs://`), else `s3://`. */
export const artifactUri = (registry: Pick<RegistryAdapter, 'capabilities'>, path: string): string => `${registry.capabilities().artifactSchemes?.[0] ?? 's3://'}${path}`;
