import { defineAdapterContractSuite } from '../contract/adapter-contract.ts';
import { defineFuzzSuite } from '../contract/fuzz-suite.ts';
import { defineReadCostSuite } from '../graphql/read-cost-suite.ts';
import { vertexSubject } from '../support/vertex/vertex-client.ts';

defineAdapterContractSuite('vertex (stand-in from Google protos)', () => vertexSubject());

defineFuzzSuite('vertex (stand-in)', () => vertexSubject());

defineReadCostSuite('vertex (stand-in)', () => vertexSubject('vertex-cost'));
