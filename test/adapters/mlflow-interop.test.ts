import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MlflowRegistry } from '../../adapters/mlflow/index.ts';
import { GetVersionDocument, TransitionStageDocument } from '@modelgate/client';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { venvBin } from '../support/peers/python-env.ts';
import { scaled } from '../support/time-scale.ts';

const script = fileURLToPath(new URL('../support/mlflow/interop.py', import.meta.url));

/** Runs one phase of the Python side with the official mlflow client; returns its JSON. */
async function python(phase: 'write' | 'verify', model: string): Promise<PythonVersion[]> {
  const { stdout } = await promisify(execFile)(venvBin('python'), [script, phase, inject('mlflowUrl'), model], {
    encoding: 'utf8',
    timeout: scaled(120_000),
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!);
}

interface PythonVersion {
  version: string;
  stage: string;
  description: string | null;
  tags: Record<string, string>;
  run_id: string;
}

describe('interop with the official MLflow Python client', () => {
  const model = `interop-${randomUUID().slice(0, 8)}`;
  let test: TestGateway;

  beforeAll(async () => {
    test = await startTestGateway({ adapters: () => [new MlflowRegistry({ id: 'mlflow', trackingUri: inject('mlflowUrl'), timeoutMs: scaled(60_000) })] });
  });
  afterAll(() => test?.stop());

  it('reads what the Python client wrote, and Python reads what the gateway moved', async () => {
    const written = await python('write', model);
    expect(written.map((v) => v.version).sort()).toEqual(['1', '2']);

    const one = (await test.client.request(GetVersionDocument, { name: model, version: '1' })).modelVersion!;
    expect(one).toMatchObject({ stage: 'NONE', description: 'baseline from the seed', runId: written.find((v) => v.version === '1')!.run_id });
    expect(one.metrics).toEqual([
      { key: 'accuracy', value: 0.88 },
      { key: 'f1_score', value: 0.84 },
    ]);
    expect(one.params).toEqual([{ key: 'algorithm', value: 'gradient_boosting' }]);
    const two = (await test.client.request(GetVersionDocument, { name: model, version: '2' })).modelVersion!;
    expect(two.stage).toBe('STAGING');
    expect(two.tags).toEqual([{ key: 'validated', value: 'true' }]);
    expect(two.metrics.find((m) => m.key === 'accuracy')?.value).toBe(0.92);

    const moved = await test.client.request(TransitionStageDocument, { name: model, version: '2', stage: 'PRODUCTION', archiveExisting: true });
    expect(moved.transitionStage.version.stage).toBe('PRODUCTION');

    const production = await python('verify', model);
    expect(production).toEqual([expect.objectContaining({ version: '2', stage: 'Production', tags: { validated: 'true' } })]);
    // Two Python processes importing mlflow (each up to 120 s) and the gateway's calls: over 60 s on a loaded machine.
  }, scaled(300_000));
});
