import { inject } from 'vitest';
import { MlflowRegistry } from '../../adapters/mlflow/index.ts';
import { defineAdapterContractSuite } from '../contract/adapter-contract.ts';
import { defineFuzzSuite } from '../contract/fuzz-suite.ts';
import { defineReadCostSuite } from '../graphql/read-cost-suite.ts';

for (const stageMode of ['stages', 'aliases'] as const) {
  defineAdapterContractSuite(`mlflow (real server, stageMode ${stageMode})`, async () => {
    const adapter = new MlflowRegistry({ id: `mlflow-${stageMode}`, trackingUri: inject('mlflowUrl'), stageMode });
    return { adapter, teardown: () => adapter.close() };
  });
}

defineFuzzSuite('mlflow (real server)', async () => {
  const adapter = new MlflowRegistry({ id: 'mlflow', trackingUri: inject('mlflowUrl') });
  return { adapter, teardown: () => adapter.close() };
});

// HTTP requests per query shape: one registered-models/get, one version search, one run read.
defineReadCostSuite(
  'mlflow (real server, HTTP requests counted)',
  async () => {
    const calls: string[] = [];
    const adapter = new MlflowRegistry({
      id: 'mlflow-cost',
      trackingUri: inject('mlflowUrl'),
      onRequest: (method, path) => calls.push(`${method} ${path.split('?')[0]}`),
    });
    return { adapter, backend: { calls }, teardown: () => adapter.close() };
  },
  {
    leanPage: ['GET registered-models/get', 'GET model-versions/search', 'POST runs/search'],
    fullPage: ['GET registered-models/get', 'GET model-versions/search', 'POST runs/search'],
    oneVersion: ['GET model-versions/get', 'GET runs/get'],
  },
);
