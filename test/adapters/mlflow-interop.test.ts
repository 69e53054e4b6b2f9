import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MlflowRegistry } from '../../adapters/mlflow/index.ts';
import { CompareVersionsDocument, EvaluateGatesDocument, GetVersionCardDocument, GetVersionDocument, ModelCardDocument, TransitionStageDocument } from '@modelgate/client';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { venvBin } from '../support/peers/python-env.ts';
import { scaled } from '../support/time-scale.ts';

const script = fileURLToPath(new URL('../support/mlflow/interop.py', import.meta.url));

/** Runs one phase of the Python side with the official mlflow client; returns its JSON. */
async function python(phase: 'write' | 'verify' | 'tutorial', model: string): Promise<PythonVersion[]> {
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

  describe("the tutorial's save_model_metadata convention", () => {
    const tutorialModel = `tutorial-${randomUUID().slice(0, 8)}`;
    let version: string;
    let gated: TestGateway;
    let tagsFirst: TestGateway;

    beforeAll(async () => {
      [{ version }] = (await python('tutorial', tutorialModel)) as [PythonVersion];
      const policies = [{ models: 'tutorial-*', stage: 'STAGING', gates: { metrics: { precision: { min: 0.9 } }, card: { dataVersion: true, codeVersion: true, dependencies: { sklearn: '>=1.2 <2', pandas: '>=2' } } } }];
      gated = await startTestGateway({ adapters: () => [new MlflowRegistry({ id: 'mlflow', trackingUri: inject('mlflowUrl') })], config: { policies } as never });
      tagsFirst = await startTestGateway({
        adapters: () => [new MlflowRegistry({ id: 'mlflow', trackingUri: inject('mlflowUrl') })],
        metricSourcing: { sources: ['tags', 'run'], tagPrefix: 'metric_' },
      });
    }, scaled(300_000));
    afterAll(() => Promise.all([gated?.stop(), tagsFirst?.stop()]));

    it('reads the card, features, dependencies and tag metrics, saying where each metric came from', async () => {
      const read = (await gated.client.request(GetVersionCardDocument, { name: tutorialModel, version })).modelVersion!;
      expect(read.card.training).toMatchObject({ framework: 'sklearn', algorithm: 'RandomForestClassifier', trainingData: 's3://data/churn/2024-q1.parquet', dataVersion: 'v2.1', codeVersion: null });
      expect(read.card.features).toEqual({
        inputs: [
          { name: 'age', type: 'int', optional: false },
          { name: 'tenure_months', type: 'int', optional: false },
          { name: 'monthly_charges', type: 'float', optional: false },
        ],
        outputs: [{ name: 'churn_probability', type: 'float', optional: false }],
      });
      expect(read.card.dependencies).toEqual([
        { name: 'pandas', version: '2.0.3' },
        { name: 'python', version: '3.9' },
        { name: 'sklearn', version: '1.3.0' },
      ]);
      expect(read.card.lineage.dataVersion).toBe('v2.1');
      expect(read.card.lineage.runId).toMatch(/^[0-9a-f]{32}$/);
      // The run's accuracy wins under the default order (run, tags); the rest come from the tags.
      expect(read.metrics).toEqual([
        { key: 'accuracy', value: 0.9, source: 'RUN' },
        { key: 'auc', value: 0.95, source: 'TAGS' },
        { key: 'f1', value: 0.895, source: 'TAGS' },
        { key: 'precision', value: 0.91, source: 'TAGS' },
        { key: 'recall', value: 0.88, source: 'TAGS' },
      ]);
      const reordered = (await tagsFirst.client.request(GetVersionCardDocument, { name: tutorialModel, version })).modelVersion!;
      expect(reordered.metrics.find((m) => m.key === 'accuracy')).toEqual({ key: 'accuracy', value: 0.93, source: 'TAGS' });
    });

    it('gates on tag metrics, card fields and dependency ranges, and compares card fields side by side', async () => {
      const report = (await gated.client.request(EvaluateGatesDocument, { name: tutorialModel, version, targetStage: 'STAGING' })).evaluateGates;
      const byGate = Object.fromEntries(report.checks.map((c) => [`${c.gate}:${c.subject}`, c]));
      expect(byGate['metric:precision']).toMatchObject({ passed: true, actual: '0.91' });
      expect(byGate['card:dataVersion']).toMatchObject({ passed: true, actual: 'v2.1' });
      expect(byGate['card:codeVersion']).toMatchObject({ passed: false, actual: null });
      expect(byGate['dependency:sklearn']).toMatchObject({ passed: true, actual: '1.3.0', message: 'dependency sklearn 1.3.0 satisfies >=1.2 <2' });
      expect(byGate['dependency:pandas']).toMatchObject({ passed: true });
      expect(report.passed).toBe(false);

      const compared = (await gated.client.request(CompareVersionsDocument, { name: tutorialModel, metrics: ['precision'], cardFields: ['framework', 'dataVersion', 'dependencies.sklearn'] })).compareVersions;
      expect(compared.cardFields).toEqual(['framework', 'dataVersion', 'dependencies.sklearn']);
      expect(compared.rows[0]!.card).toEqual([
        { field: 'framework', value: 'sklearn' },
        { field: 'dataVersion', value: 'v2.1' },
        { field: 'dependencies.sklearn', value: '1.3.0' },
      ]);
      expect(compared.rows[0]!.values).toEqual([{ key: 'precision', value: 0.91, source: 'TAGS' }]);
      expect(compared.best[0]).toMatchObject({ metric: 'precision', version });
    });

    it("renders the card as Markdown in the tutorial's layout, with each metric's source", async () => {
      const markdown = (await gated.client.request(ModelCardDocument, { name: tutorialModel, version })).modelCard!;
      expect(markdown).toContain(`# ${tutorialModel} v${version}`);
      expect(markdown).toContain('- Framework: sklearn');
      expect(markdown).toContain('- Data Version: v2.1');
      expect(markdown).toContain('| precision | 0.91 | TAGS |');
      expect(markdown).toContain('| tenure\\_months | int | no |');
      expect(markdown).toContain('- sklearn: 1.3.0');
    });
  });
});
