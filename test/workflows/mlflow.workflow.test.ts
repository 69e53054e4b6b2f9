import { inject } from 'vitest';
import { MlflowRegistry } from '../../adapters/mlflow/index.ts';
import { defineWorkflowSuite } from './workflow-suite.ts';
import { scaled } from '../support/time-scale.ts';

for (const stageMode of ['stages', 'aliases'] as const) {
  defineWorkflowSuite(`mlflow (real server, stageMode ${stageMode})`, async () => {
    const adapter = new MlflowRegistry({ id: 'mlflow', trackingUri: inject('mlflowUrl'), timeoutMs: scaled(60_000), stageMode });
    return { adapter, teardown: () => adapter.close() };
  });
}
