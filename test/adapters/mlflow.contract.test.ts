import { inject } from 'vitest';
import { MlflowRegistry } from '../../adapters/mlflow/index.ts';
import { defineAdapterContractSuite } from '../contract/adapter-contract.ts';
import { defineFuzzSuite } from '../contract/fuzz-suite.ts';
import { defineReadCostSuite } from '../graphql/read-cost-suite.ts';
import { scaled } from '../support/time-scale.ts';

for (const stageMode of ['stages', 'aliases'] as const) {
  defineAdapterContractSuite(`mlflow (real server, stageMode ${stageMode})`, async () => {
    const adapter = new MlflowRegistry({ id: `mlflow-${stageMode}`, trackingUri: inject('mlflowUrl'), timeoutMs: scaled(60_000), stageMode });
    return { adapter, teardown: () => adapter.close() };
  });
}

defineFuzzSuite('mlflow (real server)', async () => {
  const adapter = new MlflowRegistry({ id: 'mlflow', trackingUri: inject('mlflowUrl'), timeoutMs: scaled(60_000) });
  return { adapter, teardown: () => adapter.close() };
});

// HTTP requests per query shape: a page is one version search then one runs/search (the registered model only when its fields are selected, sent with the search).
defineReadCostSuite(
  'mlflow (real server, HTTP requests counted)',
  async () => {
    const calls: string[] = [];
    const adapter = new MlflowRegistry({
      id: 'mlflow-cost',
      trackingUri: inject('mlflowUrl'), timeoutMs: scaled(60_000),
      onRequest: (method, path) => calls.push(`${method} ${path.split('?')[0]}`),
    });
    return { adapter, backend: { calls }, teardown: () => adapter.close() };
  },
  {
    leanPage: ['GET model-versions/search', 'POST runs/search'],
    fullPage: ['GET model-versions/search', 'GET registered-models/get', 'POST runs/search'],
    oneVersion: ['GET model-versions/get', 'GET runs/get'],
    modelWithAliases: ['GET registered-models/get'],
    versionWithModel: ['GET model-versions/get', 'GET registered-models/get'],
  },
);
