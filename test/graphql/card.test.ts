import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalRegistry } from '../../adapters/local/index.ts';
import {
  AuditLogDocument,
  BestVersionDocument,
  CompareVersionsDocument,
  EvaluateGatesDocument,
  GetVersionCardDocument,
  ModelCardDocument,
  RegisterVersionDocument,
  SetTagsDocument,
  UpdateCardDocument,
  type GatewayClient,
} from '@modelgate/client';
import { expectGatewayCode, postGraphQL, startTestGateway, type TestGateway } from '../support/gateway.ts';

const CARD = {
  training: { framework: 'sklearn', algorithm: 'RandomForest', hyperparameters: [{ key: 'n_estimators', value: '100' }], dataVersion: 'v2.1', trainingData: 's3://d/q1' },
  dependencies: [
    { name: 'sklearn', version: '1.1.3' },
    { name: 'pandas', version: '2.0.3' },
  ],
  deployment: { servingFramework: 'mlserver', latencyP99Ms: 45 },
};

describe('the model card over GraphQL', () => {
  let test: TestGateway;
  let client: GatewayClient;

  beforeAll(async () => {
    test = await startTestGateway({
      adapters: (dir) => [new LocalRegistry({ id: 'local', path: join(dir, 'local.db') })],
      config: {
        policies: [{ models: 'Card*', stage: 'STAGING', gates: { card: { dataVersion: true, framework: true, dependencies: { sklearn: '>=1.2 <2' } } } }] as never,
      },
    });
    client = test.client;
  });
  afterAll(() => test.stop());

  it('registers a version with a card and reads it back typed', async () => {
    const { registerVersion } = await client.request(RegisterVersionDocument, { name: 'CardModel', card: CARD, tags: [{ key: 'metric_auc', value: '0.91' }] });
    const read = (await client.request(GetVersionCardDocument, { name: 'CardModel', version: registerVersion.version })).modelVersion!;
    expect(read.card.training).toEqual({ framework: 'sklearn', algorithm: 'RandomForest', hyperparameters: [{ key: 'n_estimators', value: '100' }], trainingData: 's3://d/q1', dataVersion: 'v2.1', codeVersion: null });
    expect(read.card.dependencies).toEqual([
      { name: 'pandas', version: '2.0.3' },
      { name: 'sklearn', version: '1.1.3' },
    ]);
    expect(read.card.deployment).toEqual({ servingFramework: 'mlserver', endpoint: null, latencyP99Ms: 45, throughputRps: null });
    expect(read.card.lineage).toEqual({ runId: null, trainingData: 's3://d/q1', dataVersion: 'v2.1', codeVersion: null, parentVersion: null });
    expect(read.metrics).toEqual([{ key: 'auc', value: 0.91, source: 'TAGS' }]);
  });

  it('fails a dependency range gate and passes once updateCard fixes it; updateCard replaces only the sections given', async () => {
    const { registerVersion } = await client.request(RegisterVersionDocument, { name: 'CardGated', card: CARD });
    const version = registerVersion.version;
    const before = (await client.request(EvaluateGatesDocument, { name: 'CardGated', version, targetStage: 'STAGING' })).evaluateGates;
    expect(before.passed).toBe(false);
    expect(before.checks.find((c) => c.gate === 'dependency')).toMatchObject({ subject: 'sklearn', actual: '1.1.3', passed: false, message: 'dependency sklearn 1.1.3 does not satisfy >=1.2 <2' });

    const updated = await client.request(UpdateCardDocument, { name: 'CardGated', version, card: { dependencies: [{ name: 'sklearn', version: '1.3.0' }] } });
    expect(updated.updateCard.card.dependencies).toEqual([{ name: 'sklearn', version: '1.3.0' }]);
    expect(updated.updateCard.card.training.framework).toBe('sklearn');
    expect(updated.updateCard.card.deployment.latencyP99Ms).toBe(45);
    const after = (await client.request(EvaluateGatesDocument, { name: 'CardGated', version, targetStage: 'STAGING' })).evaluateGates;
    expect(after.checks.map((c) => [c.gate, c.subject, c.passed])).toEqual([
      ['card', 'framework', true],
      ['card', 'dataVersion', true],
      ['dependency', 'sklearn', true],
    ]);
    expect(after.passed).toBe(true);

    // A section given as null is cleared.
    const cleared = await client.request(UpdateCardDocument, { name: 'CardGated', version, card: { deployment: null } });
    expect(cleared.updateCard.card.deployment).toEqual({ servingFramework: null, endpoint: null, latencyP99Ms: null, throughputRps: null });
    expect(cleared.updateCard.card.dependencies).toEqual([{ name: 'sklearn', version: '1.3.0' }]);
  });

  it('replays updateCard with the same idempotency key, refuses the key with other arguments, and audits each call', async () => {
    const { registerVersion } = await client.request(RegisterVersionDocument, { name: 'CardOnce' });
    const version = registerVersion.version;
    const first = await client.request(UpdateCardDocument, { name: 'CardOnce', version, card: { parentVersion: 'local:models:/CardModel/1' }, idempotencyKey: 'k-1' });
    // Changed in between: a replay must not write the old card back.
    await client.request(UpdateCardDocument, { name: 'CardOnce', version, card: { parentVersion: 'local:models:/CardModel/2' } });
    const replay = await client.request(UpdateCardDocument, { name: 'CardOnce', version, card: { parentVersion: 'local:models:/CardModel/1' }, idempotencyKey: 'k-1' });
    expect(replay.updateCard.card.lineage.parentVersion).toBe(first.updateCard.card.lineage.parentVersion);
    const now = (await client.request(GetVersionCardDocument, { name: 'CardOnce', version })).modelVersion!;
    expect(now.card.lineage.parentVersion).toBe('local:models:/CardModel/2');
    await expectGatewayCode(client.request(UpdateCardDocument, { name: 'CardOnce', version, card: { parentVersion: 'other' }, idempotencyKey: 'k-1' }), 'CONFLICT');
    const audit = (await client.request(AuditLogDocument, { name: 'CardOnce', first: 20 })).auditLog.filter((e) => e.action === 'updateCard');
    expect(audit.map((e) => e.result)).toEqual(expect.arrayContaining(['OK', 'REPLAYED', 'CONFLICT']));
  });

  it('refuses bad cards with INVALID_INPUT, changes nothing and audits the refusal', async () => {
    const { registerVersion } = await client.request(RegisterVersionDocument, { name: 'CardBad', card: CARD });
    const version = registerVersion.version;
    const bad = [
      { dependencies: [{ name: 'a b', version: '1' }] },
      { dependencies: [{ name: 'numpy', version: '1' }, { name: 'NUMPY', version: '2' }] },
      { training: { hyperparameters: [{ key: 'x', value: '1' }, { key: 'x', value: '2' }] } },
      { deployment: { throughputRps: -5 } },
      { training: { framework: '' } },
      { training: { framework: 'x'.repeat(251) } },
    ];
    for (const card of bad) {
      const error = await expectGatewayCode(client.request(UpdateCardDocument, { name: 'CardBad', version, card }), 'INVALID_INPUT');
      expect(error.message).not.toMatch(/at .*\.ts/);
    }
    const loneSurrogate = await postGraphQL(test.url, 'mutation ($c: CardInput!) { updateCard(name: "CardBad", version: "1", card: $c) { version } }', { c: { training: { framework: 'a\ud800' } } });
    expect(loneSurrogate.body.errors?.[0]?.extensions.code).toBe('INVALID_INPUT');
    await expectGatewayCode(client.request(RegisterVersionDocument, { name: 'CardBad', card: { dependencies: [{ name: '__proto__ x', version: '1' }] } }), 'INVALID_INPUT');
    const read = (await client.request(GetVersionCardDocument, { name: 'CardBad', version })).modelVersion!;
    expect(read.card.dependencies).toHaveLength(2);
    expect(read.card.deployment.latencyP99Ms).toBe(45);
    const refusals = (await client.request(AuditLogDocument, { name: 'CardBad', first: 50 })).auditLog.filter((e) => e.action === 'updateCard');
    // A key given twice is refused while reading the arguments, before the pipeline; the rest are audited.
    expect(refusals.length).toBeGreaterThanOrEqual(bad.length - 1);
    expect(refusals.every((e) => e.result === 'INVALID_INPUT')).toBe(true);
    await expectGatewayCode(client.request(UpdateCardDocument, { name: 'CardBad', version: '99', card: {} }), 'NOT_FOUND');
  });

  it('compares card fields side by side and refuses a field that does not exist', async () => {
    await client.request(RegisterVersionDocument, { name: 'CardCompare', card: { training: { framework: 'sklearn', dataVersion: 'v1' }, dependencies: [{ name: 'sklearn', version: '1.2.0' }] } });
    await client.request(RegisterVersionDocument, { name: 'CardCompare', card: { training: { framework: 'xgboost', dataVersion: 'v2' } } });
    const compared = (await client.request(CompareVersionsDocument, { name: 'CardCompare', cardFields: ['framework', 'dataVersion', 'dependencies.sklearn'] })).compareVersions;
    expect(compared.rows.map((r) => r.card.map((c) => c.value))).toEqual([
      ['sklearn', 'v1', '1.2.0'],
      ['xgboost', 'v2', null],
    ]);
    const error = await expectGatewayCode(client.request(CompareVersionsDocument, { name: 'CardCompare', cardFields: ['colour'] }), 'INVALID_INPUT');
    expect(error.message).toMatch(/not a card field/);
  });

  it('exports the card as Markdown; null for a missing version', async () => {
    const { registerVersion } = await client.request(RegisterVersionDocument, { name: 'CardDoc', card: CARD, metrics: [{ key: 'accuracy', value: 0.93 }] });
    const markdown = (await client.request(ModelCardDocument, { name: 'CardDoc', version: registerVersion.version })).modelCard!;
    expect(markdown.split('\n').slice(0, 3)).toEqual(['# CardDoc v1', '', '- Stage: NONE']);
    expect(markdown).toContain('## Training Info\n\n- Framework: sklearn\n- Algorithm: RandomForest\n- Training Data: s3://d/q1\n- Data Version: v2.1\n- Hyperparameters:\n  - n\\_estimators = 100');
    expect(markdown).toContain('| accuracy | 0.93 | RUN |');
    expect(markdown).toContain('## Dependencies\n\n- pandas: 2.0.3\n- sklearn: 1.1.3');
    expect(markdown).toContain('- Latency P99 (ms): 45');
    expect((await client.request(ModelCardDocument, { name: 'CardDoc', version: '7' })).modelCard).toBeNull();
  });

  it('keeps metric_* tags as tags too, and a later tag counts as a metric at once', async () => {
    const { registerVersion } = await client.request(RegisterVersionDocument, { name: 'CardTags' });
    await client.request(SetTagsDocument, { name: 'CardTags', version: registerVersion.version, tags: [{ key: 'metric_recall', value: '0.7' }] });
    const read = (await client.request(GetVersionCardDocument, { name: 'CardTags', version: registerVersion.version })).modelVersion!;
    expect(read.metrics).toEqual([{ key: 'recall', value: 0.7, source: 'TAGS' }]);
  });

  it('applies two concurrent updateCard calls on one version one after the other, losing neither section', async () => {
    const { registerVersion } = await client.request(RegisterVersionDocument, { name: 'CardRace' });
    const version = registerVersion.version;
    await Promise.all([
      client.request(UpdateCardDocument, { name: 'CardRace', version, card: { training: { framework: 'sklearn' } } }),
      client.request(UpdateCardDocument, { name: 'CardRace', version, card: { deployment: { endpoint: 'https://serve/race' } } }),
      client.request(UpdateCardDocument, { name: 'CardRace', version, card: { dependencies: [{ name: 'numpy', version: '1.26.0' }] } }),
    ]);
    const read = (await client.request(GetVersionCardDocument, { name: 'CardRace', version })).modelVersion!;
    expect(read.card.training.framework).toBe('sklearn');
    expect(read.card.deployment.endpoint).toBe('https://serve/race');
    expect(read.card.dependencies).toEqual([{ name: 'numpy', version: '1.26.0' }]);
  });

  it('merge changes only the fields given: concurrent merges of fields in one section all land; dependencies merge by name', async () => {
    const { registerVersion } = await client.request(RegisterVersionDocument, { name: 'CardMerge', card: CARD });
    const version = registerVersion.version;
    await Promise.all([
      client.request(UpdateCardDocument, { name: 'CardMerge', version, merge: true, card: { training: { codeVersion: '9f2c1e7' } } }),
      client.request(UpdateCardDocument, { name: 'CardMerge', version, merge: true, card: { training: { dataVersion: 'v3', hyperparameters: [{ key: 'max_depth', value: '8' }] } } }),
      client.request(UpdateCardDocument, { name: 'CardMerge', version, merge: true, card: { dependencies: [{ name: 'SKLEARN', version: '1.3.0' }, { name: 'numpy', version: '1.26.0' }] } }),
      client.request(UpdateCardDocument, { name: 'CardMerge', version, merge: true, card: { deployment: { endpoint: 'https://serve/churn' } } }),
    ]);
    const card = (await client.request(GetVersionCardDocument, { name: 'CardMerge', version })).modelVersion!.card;
    expect(card.training).toEqual({
      framework: 'sklearn', algorithm: 'RandomForest', trainingData: 's3://d/q1', dataVersion: 'v3', codeVersion: '9f2c1e7',
      hyperparameters: [{ key: 'max_depth', value: '8' }, { key: 'n_estimators', value: '100' }],
    });
    expect(card.dependencies).toEqual([{ name: 'numpy', version: '1.26.0' }, { name: 'pandas', version: '2.0.3' }, { name: 'SKLEARN', version: '1.3.0' }]);
    expect(card.deployment).toEqual({ servingFramework: 'mlserver', endpoint: 'https://serve/churn', latencyP99Ms: 45, throughputRps: null });

    // Each merge is fine alone, but together they would pass the card's 100 dependencies: refused, nothing changes.
    const many = (from: number) => Array.from({ length: 60 }, (_, i) => ({ name: `dep${from + i}`, version: '1' }));
    await client.request(UpdateCardDocument, { name: 'CardMerge', version, merge: true, card: { dependencies: many(0) } });
    const error = await expectGatewayCode(client.request(UpdateCardDocument, { name: 'CardMerge', version, merge: true, card: { dependencies: many(60) } }), 'INVALID_INPUT');
    expect(error.message).toContain('100 dependencies');
    expect((await client.request(GetVersionCardDocument, { name: 'CardMerge', version })).modelVersion!.card.dependencies).toHaveLength(63);
  });

  it('finds the best version by a metric kept only in tags', async () => {
    for (const auc of ['0.81', '0.93', '0.88']) await client.request(RegisterVersionDocument, { name: 'CardBest', tags: [{ key: 'metric_auc', value: auc }] });
    const best = (await client.request(BestVersionDocument, { name: 'CardBest', metric: 'auc' })).bestVersion!;
    expect(best).toMatchObject({ value: 0.93, version: { version: '2' } });
  });
});
