export { SageMakerRegistry, SAGEMAKER_LIMITS, type SageMakerRegistryOptions } from './sagemaker-registry.ts';
