import { LocalRegistry } from '../../adapters/local/index.ts';
import { defineWorkflowSuite } from './workflow-suite.ts';

defineWorkflowSuite('local', async () => {
  const adapter = new LocalRegistry({ id: 'local', path: ':memory:' });
  return { adapter, teardown: () => adapter.close() };
});
