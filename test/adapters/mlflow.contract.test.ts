import { inject } from 'vitest';
import { MlflowRegistry } from '../../adapters/mlflow/index.ts';
import { defineAdapterContractSuite } from '../contract/adapter-contract.ts';
import { defineFuzzSuite } from '../contract/fuzz-suite.ts';

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
