import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LocalRegistry } from '../../adapters/local/index.ts';
import { MlflowRegistry } from '../../adapters/mlflow/index.ts';
import { ErrorCode, enforceInputRules, type RegistryAdapter } from '../../src/core/index.ts';
import { compareVersions } from '../../src/workflows/compare.ts';
import { expectCode } from '../contract/adapter-contract.ts';
import { scaled } from '../support/time-scale.ts';

const backends: [string, () => RegistryAdapter][] = [
  ['local', () => new LocalRegistry({ id: 'local', path: ':memory:' })],
  ['mlflow', () => new MlflowRegistry({ id: 'mlflow', trackingUri: inject('mlflowUrl'), timeoutMs: scaled(60_000) })],
];

describe.each(backends)('compareVersions on %s', (_label, create) => {
  let raw: RegistryAdapter;
  let registry: RegistryAdapter;
  const name = `compare-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    raw = create();
    registry = enforceInputRules(raw);
    await registry.createModel({ name });
    const seed: Record<string, number>[] = [
      { accuracy: 0.88, f1_score: 0.84, loss: 0.3 },
      { accuracy: 0.92, f1_score: 0.89, loss: 0.2 },
      { accuracy: 0.91, f1_score: 0.9 },
    ];
    for (const metrics of seed) await registry.createVersion({ name, source: 's3://m/model', metrics });
    await registry.createVersion({ name, source: 's3://m/model' });
  });
  afterAll(() => raw.close?.());

  it('puts every version side by side, oldest first, with null (never 0) where a metric is missing', async () => {
    const result = await compareVersions(registry, name);
    expect(result.metrics).toEqual(['accuracy', 'f1_score', 'loss']);
    expect(result.rows.map((r) => [r.version.version, ...r.values.map((v) => v.value)])).toEqual([
      ['1', 0.88, 0.84, 0.3],
      ['2', 0.92, 0.89, 0.2],
      ['3', 0.91, 0.9, null],
      ['4', null, null, null],
    ]);
  });

  it('names the best version per metric, minimising where asked', async () => {
    const result = await compareVersions(registry, name, { minimize: ['loss'] });
    expect(result.best).toEqual([
      { metric: 'accuracy', goal: 'MAXIMIZE', version: '2', value: 0.92 },
      { metric: 'f1_score', goal: 'MAXIMIZE', version: '3', value: 0.9 },
      { metric: 'loss', goal: 'MINIMIZE', version: '2', value: 0.2 },
    ]);
  });

  it('compares only the versions and metrics asked for', async () => {
    const result = await compareVersions(registry, name, { versions: ['3', '1'], metrics: ['f1_score', 'auc'] });
    expect(result.rows.map((r) => [r.version.version, ...r.values.map((v) => v.value)])).toEqual([
      ['1', 0.84, null],
      ['3', 0.9, null],
    ]);
    expect(result.best.find((b) => b.metric === 'auc')).toEqual({ metric: 'auc', goal: 'MAXIMIZE', version: null, value: null });
  });

  it('refuses missing versions and out-of-range sizes', async () => {
    const missing = await expectCode(compareVersions(registry, name, { versions: ['1', '99'] }), ErrorCode.NOT_FOUND);
    expect(missing.message).toContain('99');
    await expectCode(compareVersions(registry, `${name}-none`, { versions: ['1'] }), ErrorCode.NOT_FOUND);
    await expectCode(compareVersions(registry, name, { last: 500 }), ErrorCode.INVALID_INPUT);
  });
});
