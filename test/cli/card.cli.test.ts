import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalRegistry } from '../../adapters/local/index.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { modelgate } from './support/in-process.ts';

describe('modelgate card show and card set', () => {
  let test: TestGateway;
  let files: string;
  beforeAll(async () => {
    test = await startTestGateway({
      adapters: (dir) => [new LocalRegistry({ id: 'local', path: join(dir, 'local.db') })],
      config: { policies: [{ models: 'churn', stage: 'STAGING', gates: { card: { dataVersion: true, dependencies: { sklearn: '>=1.2 <2' } } } }] as never },
    });
    files = mkdtempSync(join(tmpdir(), 'modelgate-card-cli-'));
  });
  afterAll(async () => {
    await test?.stop();
    rmSync(files, { recursive: true, force: true });
  });

  it('register --card, then card set fills what a card gate needs, field by field, and promote passes', async () => {
    const cardFile = join(files, 'card.json');
    writeFileSync(cardFile, JSON.stringify({ training: { framework: 'sklearn' }, dependencies: [{ name: 'sklearn', version: '1.1.3' }] }));
    const registered = await modelgate(test.url, ['register', '--model', 'churn', '--source', 's3://m/churn/1', '--card', cardFile]);
    expect(registered.code).toBe(0);

    const refused = await modelgate(test.url, ['promote', '--model', 'churn', '-v', '1', '--stage', 'staging']);
    expect(refused.code).toBe(1);

    const set = await modelgate(test.url, ['card', 'set', '--model', 'churn', '-v', '1', '--data-version', 'dv-7', '--dependency', 'sklearn=1.3.0', '--hyperparameter', 'lr=0.1']);
    expect(set.code).toBe(0);
    const shown = await modelgate(test.url, ['card', 'show', '--model', 'churn', '-v', '1']);
    expect(shown.code).toBe(0);
    const rows = shown.out.join('\n').split('\n').slice(1).map((line) => line.split(/\s{2,}/));
    // The framework given at registration stays: set changes only the fields it is given.
    expect(rows).toEqual(expect.arrayContaining([['framework', 'sklearn'], ['dataVersion', 'dv-7'], ['hyperparameters.lr', '0.1'], ['dependencies.sklearn', '1.3.0']]));

    const promoted = await modelgate(test.url, ['promote', '--model', 'churn', '-v', '1', '--stage', 'staging']);
    expect(promoted.code).toBe(0);
    const markdown = await modelgate(test.url, ['card', 'show', '--model', 'churn', '-v', '1', '--markdown']);
    expect(markdown.out.join('\n')).toContain('- sklearn: 1.3.0');
  });

  it('--file replaces the sections it holds; --json prints the GraphQL data', async () => {
    await modelgate(test.url, ['register', '--model', 'sections', '--source', 's3://m/s/1']);
    await modelgate(test.url, ['card', 'set', '--model', 'sections', '-v', '1', '--framework', 'xgboost', '--algorithm', 'gbm']);
    const file = join(files, 'training.json');
    writeFileSync(file, JSON.stringify({ training: { framework: 'lightgbm' } }));
    const result = await modelgate(test.url, ['card', 'set', '--model', 'sections', '-v', '1', '--file', file, '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.out.join('\n')).updateCard.card.training).toMatchObject({ framework: 'lightgbm', algorithm: null });
  });

  it('bad usage is exit 2 and sends nothing; a field the gateway refuses is exit 1 with its code; a missing version is NOT_FOUND', async () => {
    await modelgate(test.url, ['register', '--model', 'bad', '--source', 's3://m/b/1']);
    const nothing = await modelgate(test.url, ['card', 'set', '--model', 'bad', '-v', '1']);
    expect(nothing.code).toBe(2);
    expect(nothing.err.join('\n')).toContain('Nothing to set');
    const both = await modelgate(test.url, ['card', 'set', '--model', 'bad', '-v', '1', '--file', join(files, 'card.json'), '--framework', 'x']);
    expect(both.code).toBe(2);
    const notJson = join(files, 'not.json');
    writeFileSync(notJson, '[1, 2]');
    expect((await modelgate(test.url, ['card', 'set', '--model', 'bad', '-v', '1', '--file', notJson])).code).toBe(2);
    expect((await modelgate(test.url, ['card', 'set', '--model', 'bad', '-v', '1', '--latency-p99-ms', 'fast'])).code).toBe(2);
    const refused = await modelgate(test.url, ['card', 'set', '--model', 'bad', '-v', '1', '--dependency', 'not a package=1']);
    expect(refused.code).toBe(1);
    expect(refused.err.join('\n')).toContain('INVALID_INPUT');
    const shown = await modelgate(test.url, ['card', 'show', '--model', 'bad', '-v', '1', '--json']);
    expect(JSON.parse(shown.out.join('\n')).modelVersion.card.dependencies).toEqual([]);
    const missing = await modelgate(test.url, ['card', 'show', '--model', 'bad', '-v', '9']);
    expect(missing.code).toBe(1);
    expect(missing.err.join('\n')).toContain('NOT_FOUND');
  });
});
