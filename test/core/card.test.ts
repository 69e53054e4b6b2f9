import { describe, expect, it } from 'vitest';
import { LocalRegistry } from '../../adapters/local/index.ts';
import {
  cardEntries,
  cardFromEntries,
  emptyCard,
  enforceInputRules,
  metricsFromTags,
  readCard,
  recordFrom,
  versionKeyId,
  withMetricSources,
  type ModelVersion,
} from '../../src/core/index.ts';
import { renderCardMarkdown } from '../../src/workflows/card-markdown.ts';
import { FULL_CARD } from '../contract/card-contract.ts';

const version = (fields: Partial<ModelVersion>): ModelVersion => ({
  registry: 'r',
  name: 'churn',
  version: '3',
  stage: 'NONE' as ModelVersion['stage'],
  description: null,
  source: null,
  runId: null,
  status: 'READY' as ModelVersion['status'],
  tags: recordFrom<string>([]),
  aliases: [],
  createdAt: new Date('2026-01-02T03:04:05Z'),
  updatedAt: new Date('2026-01-02T03:04:05Z'),
  createdBy: null,
  semver: null,
  signature: null,
  ...fields,
});

describe('the model card', () => {
  it('round-trips through flat entries, prototype-named keys included', () => {
    const entries = cardEntries(FULL_CARD());
    expect(entries['training.hyperparameters.__proto__']).toBe('kept as data');
    expect(cardFromEntries(recordFrom(Object.entries(entries).map(([k, v]) => [`p.${k}`, v] as const)), 'p.')).toEqual(FULL_CARD());
    expect(cardFromEntries(recordFrom([['other', 'x']]), 'p.')).toBeNull();
  });

  it("reads the tutorial's tags and Markdown description when nothing is stored", () => {
    const card = readCard(
      version({
        description: '# churn v3\n\n## Training Info\n- Framework: sklearn\n- Algorithm: RandomForest\n- Data Version: v2.1\n',
        tags: recordFrom([
          ['features_schema', JSON.stringify({ input_schema: { age: 'int' }, output_schema: { churn: 'float' } })],
          ['dependencies', JSON.stringify({ sklearn: '1.3.0', python: 3.9 })],
          ['modelgate.copied_from', 'mlflow:models:/churn/2'],
        ]),
      }),
    );
    expect(card.training).toMatchObject({ framework: 'sklearn', algorithm: 'RandomForest', dataVersion: 'v2.1', trainingData: null });
    expect(card.features).toEqual({ inputs: [{ name: 'age', type: 'int', optional: false }], outputs: [{ name: 'churn', type: 'float', optional: false }] });
    expect(card.dependencies).toEqual([
      { name: 'python', version: '3.9' },
      { name: 'sklearn', version: '1.3.0' },
    ]);
    expect(card.lineage.parentVersion).toBe('mlflow:models:/churn/2');
  });

  it('prefers the stored card over conventions, and ignores malformed convention tags rather than guessing', () => {
    const stored = { ...emptyCard(), training: { ...emptyCard().training, framework: 'xgboost' }, dependencies: [{ name: 'xgboost', version: '2.0.0' }] };
    const card = readCard(
      version({
        card: stored,
        description: '- Framework: sklearn',
        tags: recordFrom([
          ['dependencies', '{not json'],
          ['features_schema', '42'],
        ]),
      }),
    );
    expect(card.training.framework).toBe('xgboost');
    expect(card.dependencies).toEqual([{ name: 'xgboost', version: '2.0.0' }]);
    expect(readCard(version({ tags: recordFrom([['dependencies', '{not json'], ['features_schema', '42']]) }))).toMatchObject({ dependencies: [], features: null });
  });

  it('renders Markdown whose bullet lines read back as the same card, with user text escaped', () => {
    const card = FULL_CARD();
    card.training.algorithm = 'Forest | with *stars*\n# not a heading';
    const markdown = renderCardMarkdown(version({ card }), readCard(version({ card })), { metrics: recordFrom([['accuracy', 0.9]]), sources: recordFrom([['accuracy', 'TAGS' as const]]) });
    expect(markdown).toContain('- Algorithm: Forest \\| with \\*stars\\* # not a heading');
    expect(markdown).not.toMatch(/^# not a heading/m);
    expect(markdown).toContain('| accuracy | 0.9 | TAGS |');
    const reread = readCard(version({ description: markdown }));
    expect(reread.training).toMatchObject({ framework: 'scikit-learn', algorithm: 'Forest | with *stars* # not a heading', dataVersion: 'v2.1', codeVersion: '9f2c1e7' });
    expect(reread.deployment).toMatchObject({ latencyP99Ms: 45.5, throughputRps: 1000, endpoint: 'https://serve.example/churn' });
  });
});

describe('metric sources', () => {
  it('reads numeric prefixed tags as metrics and leaves the rest as tags', () => {
    expect(metricsFromTags(recordFrom([['metric_accuracy', '0.9'], ['metric_note', 'good'], ['metric_', '1'], ['metric_empty', ' '], ['other', '1']]), 'metric_')).toEqual(
      recordFrom([['accuracy', 0.9]]),
    );
  });

  it('merges run and tag metrics in the configured order and says where each came from', async () => {
    const local = new LocalRegistry({ id: 'local', path: ':memory:' });
    await local.createModel({ name: 'm' });
    const v = await local.createVersion({ name: 'm', metrics: { accuracy: 0.9 }, params: { depth: '3' }, tags: { metric_accuracy: '0.95', metric_f1: '0.8' } });
    const id = versionKeyId(v);
    const runFirst = enforceInputRules(withMetricSources(local, { sources: ['run', 'tags'], tagPrefix: 'metric_' }));
    // Without the tags in hand, the wrapper reads them itself.
    const merged = (await runFirst.getMetrics([{ name: 'm', version: v.version }])).get(id)!;
    expect({ ...merged.metrics }).toEqual({ accuracy: 0.9, f1: 0.8 });
    expect({ ...merged.sources }).toEqual({ accuracy: 'RUN', f1: 'TAGS' });
    expect({ ...merged.params }).toEqual({ depth: '3' });
    const tagsFirst = withMetricSources(local, { sources: ['tags', 'run'], tagPrefix: 'metric_' });
    expect({ ...(await tagsFirst.getMetrics([v])).get(id)!.sources }).toEqual({ accuracy: 'TAGS', f1: 'TAGS' });
    const tagsOnly = withMetricSources(local, { sources: ['tags'], tagPrefix: 'metric_' });
    expect({ ...(await tagsOnly.getMetrics([v])).get(id)!.metrics }).toEqual({ accuracy: 0.95, f1: 0.8 });
    const runOnly = withMetricSources(local, { sources: ['run'], tagPrefix: 'metric_' });
    expect({ ...(await runOnly.getMetrics([v])).get(id)!.metrics }).toEqual({ accuracy: 0.9 });
    await local.close();
  });
});
