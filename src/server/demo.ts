import { ErrorCode, isRegistryError, type RegistryAdapter } from '../core/index.ts';
import { registerVersion } from '../workflows/register.ts';

const MODEL = 'ChurnPredictionModel';

/** The three versions of the seed tutorial, so a first query has something to show. */
const VERSIONS: { description: string; metrics: Record<string, number>; params: Record<string, string> }[] = [
  { description: 'Baseline logistic regression', metrics: { accuracy: 0.88, f1_score: 0.84 }, params: { algorithm: 'logistic_regression' } },
  { description: 'Gradient boosting with tuned depth', metrics: { accuracy: 0.92, f1_score: 0.89 }, params: { algorithm: 'gradient_boosting', max_depth: '6' } },
  { description: 'Random forest with class weights', metrics: { accuracy: 0.91, f1_score: 0.9 }, params: { algorithm: 'random_forest', n_estimators: '300' } },
];

/**
 * The tutorial's governance, used by `--demo` without a config file. Without authentication
 * everyone is `anonymous`, so production allows self-approval: one person plays both roles.
 */
export const DEMO_POLICIES = [
  { models: '*', stage: 'STAGING', gates: { metrics: { accuracy: { min: 0.85 }, f1_score: { min: 0.8 } } } },
  {
    models: '*',
    stage: 'PRODUCTION',
    gates: { currentStage: 'STAGING', tags: ['validated'], description: true, metrics: { accuracy: { min: 0.9 }, f1_score: { min: 0.85 } } },
    approvals: 1,
    allowSelfApproval: true,
  },
];

/** Loads the demo model unless it is already there; returns whether it wrote anything. */
export async function loadDemo(registry: RegistryAdapter): Promise<boolean> {
  if (await registry.getModel(MODEL)) return false;
  try {
    await registry.createModel({ name: MODEL, description: 'Predicts which customers will cancel next month', tags: { team: 'retention' }, createdBy: 'demo' });
  } catch (error) {
    if (isRegistryError(error) && error.code === ErrorCode.ALREADY_EXISTS) return false;
    throw error;
  }
  for (const [index, version] of VERSIONS.entries()) {
    await registerVersion(registry, {
      name: MODEL,
      source: `file:///models/churn/${index + 1}`,
      createdBy: 'demo',
      ...version,
    });
  }
  return true;
}
