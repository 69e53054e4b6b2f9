import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalRegistry } from '../../adapters/local/index.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { modelgate } from './support/in-process.ts';

/* `modelgate card set` fed what a careless or hostile user would feed it: each is refused plainly and nothing changes. */
describe('modelgate card set, attacked', () => {
  let test: TestGateway;
  let files: string;
  const cardOf = async (model: string) => JSON.parse((await modelgate(test.url, ['card', 'show', '--model', model, '-v', '1', '--json'])).out.join('\n')).modelVersion.card;

  beforeAll(async () => {
    test = await startTestGateway({ adapters: (dir) => [new LocalRegistry({ id: 'local', path: join(dir, 'local.db') })] });
    files = mkdtempSync(join(tmpdir(), 'modelgate-card-attacks-'));
  });
  afterAll(() => test?.stop());

  it('a --file with a key the card does not have is a clear error naming it, never dropped silently', async () => {
    await modelgate(test.url, ['register', '--model', 'extra', '--source', 's3://m/e/1']);
    await modelgate(test.url, ['card', 'set', '--model', 'extra', '-v', '1', '--framework', 'sklearn']);
    const before = await cardOf('extra');
    for (const [file, unknown] of [
      [{ training: { framework: 'xgboost', learningRate: '0.1' } }, 'learningRate'],
      [{ training: { framework: 'xgboost' }, owner: 'me' }, 'owner'],
      [{ dependencies: [{ name: 'numpy', version: '1', pinned: true }] }, 'pinned'],
      ['{"__proto__": {"training": {"framework": "xgboost"}}}', '__proto__'],
    ] as const) {
      const path = join(files, `${unknown}.json`);
      writeFileSync(path, typeof file === 'string' ? file : JSON.stringify(file));
      const result = await modelgate(test.url, ['card', 'set', '--model', 'extra', '-v', '1', '--file', path]);
      expect(result.code).not.toBe(0);
      expect(result.err.join('\n')).toContain(unknown);
      expect(result.err.join('\n')).not.toMatch(/INTERNAL|at .*\.ts:/);
    }
    expect(await cardOf('extra')).toEqual(before);
  });

  it('a huge or endless --file is refused before it is read whole or sent', async () => {
    await modelgate(test.url, ['register', '--model', 'huge', '--source', 's3://m/h/1']);
    const path = join(files, 'huge.json');
    // 9 MiB of valid JSON: far past any card (100 dependencies of short texts); before, it was read whole and uploaded.
    writeFileSync(path, `{"training": {"framework": "sklearn", "trainingData": "${'x'.repeat(9 * 1024 * 1024)}"}}`);
    for (const file of [path, '/dev/zero']) {
      const result = await modelgate(test.url, ['card', 'set', '--model', 'huge', '-v', '1', '--file', file]);
      expect(result.code, result.err.join('\n')).toBe(2);
      expect(result.err.join('\n')).toContain(`--file: '${file}' is too large: at most 8 MiB of JSON`);
    }
    expect((await cardOf('huge')).training.framework).toBeNull();
  });

  it('--dependency a= and --hyperparameter =x are refused with a clear message; nothing changes', async () => {
    await modelgate(test.url, ['register', '--model', 'pairs', '--source', 's3://m/p/1']);
    const emptyVersion = await modelgate(test.url, ['card', 'set', '--model', 'pairs', '-v', '1', '--dependency', 'numpy=']);
    expect(emptyVersion.code).not.toBe(0);
    expect(emptyVersion.err.join('\n')).toMatch(/numpy.*empty|empty.*numpy/i);
    const emptyKey = await modelgate(test.url, ['card', 'set', '--model', 'pairs', '-v', '1', '--hyperparameter', '=x']);
    expect(emptyKey.code).toBe(2);
    expect(emptyKey.err.join('\n')).toContain("Expected key=value, not '=x'");
    const card = await cardOf('pairs');
    expect(card.dependencies).toEqual([]);
    expect(card.training.hyperparameters).toEqual([]);
  });
});
