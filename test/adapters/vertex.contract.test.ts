import { defineAdapterContractSuite } from '../contract/adapter-contract.ts';
import { defineFuzzSuite } from '../contract/fuzz-suite.ts';
import { defineReadCostSuite } from '../graphql/read-cost-suite.ts';
import { vertexSubject } from '../support/vertex/vertex-client.ts';

defineAdapterContractSuite('vertex (stand-in from Google protos)', () => vertexSubject());

defineFuzzSuite('vertex (stand-in)', () => vertexSubject());

/** RPCs per shape: the model by display name, its versions only when aliases are selected, one evaluations list per version. */
defineReadCostSuite('vertex (stand-in)', () => vertexSubject('vertex-cost'), {
  leanPage: [...times(3, 'ListModelEvaluations'), 'ListModelVersions', ...times(2, 'ListModels')],
  fullPage: [...times(3, 'ListModelEvaluations'), ...times(2, 'ListModelVersions'), ...times(3, 'ListModels')],
  oneVersion: ['GetModel', 'ListModelEvaluations', ...times(2, 'ListModels')],
  modelWithAliases: ['ListModelVersions', 'ListModels'],
  versionWithModel: ['GetModel', ...times(2, 'ListModels')],
});

function times(n: number, call: string): string[] {
  return Array.from({ length: n }, () => call);
}
