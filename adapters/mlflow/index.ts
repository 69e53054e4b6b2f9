export { MlflowRegistry, type MlflowRegistryOptions } from './mlflow-registry.ts';
export type { MlflowAuth } from './http.ts';
export type { StageMode } from './mapping.ts';
