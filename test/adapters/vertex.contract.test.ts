import { VertexRegistry } from '../../adapters/vertex/index.ts';
import { defineAdapterContractSuite } from '../contract/adapter-contract.ts';
import { defineFuzzSuite } from '../contract/fuzz-suite.ts';
import { standinClientOptions } from '../support/vertex/vertex-client.ts';
import { startVertexStandin } from '../support/vertex/vertex-standin.ts';

defineAdapterContractSuite('vertex (stand-in from Google protos)', async () => {
  const standin = await startVertexStandin();
  const adapter = new VertexRegistry({
    id: 'vertex',
    project: 'test-project',
    location: 'us-central1',
    clientOptions: standinClientOptions(standin),
  });
  return {
    adapter,
    teardown: async () => {
      await adapter.close();
      await standin.stop();
    },
  };
});

defineFuzzSuite('vertex (stand-in)', async () => {
  const standin = await startVertexStandin();
  const adapter = new VertexRegistry({ id: 'vertex', project: 'test-project', location: 'us-central1', clientOptions: standinClientOptions(standin) });
  return {
    adapter,
    teardown: async () => {
      await adapter.close();
      await standin.stop();
    },
  };
});
