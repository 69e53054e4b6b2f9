import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalRegistry } from '../../adapters/local/index.ts';
import { defineAdapterContractSuite } from '../contract/adapter-contract.ts';
import { defineFuzzSuite } from '../contract/fuzz-suite.ts';

defineAdapterContractSuite('local (SQLite file)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'modelgate-local-'));
  const adapter = new LocalRegistry({ id: 'local', path: join(dir, 'registry.db') });
  return {
    adapter,
    teardown: async () => {
      await adapter.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

defineFuzzSuite('local', async () => {
  const adapter = new LocalRegistry({ id: 'local', path: ':memory:' });
  return { adapter, teardown: () => adapter.close() };
});
