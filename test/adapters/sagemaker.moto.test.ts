import { afterAll, beforeAll, inject } from 'vitest';
import { SageMakerRegistry } from '../../adapters/sagemaker/index.ts';
import { defineAdapterContractSuite } from '../contract/adapter-contract.ts';

/** The SageMaker adapter against moto_server (one file, so a reset never hits another suite). */
const motoAdapter = (id = 'sagemaker') =>
  new SageMakerRegistry({
    id,
    region: 'us-east-1',
    endpoint: inject('motoUrl'),
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    maxAttempts: 1,
  });

beforeAll(async () => {
  const response = await fetch(`${inject('motoUrl')}/moto-api/reset`, { method: 'POST' });
  if (!response.ok) throw new Error(`moto reset failed: HTTP ${response.status}`);
});

defineAdapterContractSuite('sagemaker (moto_server)', async () => {
  const adapter = motoAdapter();
  return { adapter, teardown: () => adapter.close(), peerLacks: ['deleteModel', 'deleteVersion'] };
});

afterAll(() => undefined);
