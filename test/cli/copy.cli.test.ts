import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalRegistry } from '../../adapters/local/index.ts';
import { postGraphQL, startTestGateway, type TestGateway } from '../support/gateway.ts';
import { modelgate } from './support/in-process.ts';

describe('modelgate copy and modelgate migrate', () => {
  let test: TestGateway;
  beforeAll(async () => {
    test = await startTestGateway({ adapters: (dir) => [new LocalRegistry({ id: 'laptop', path: join(dir, 'laptop.db') }), new LocalRegistry({ id: 'team', path: join(dir, 'team.db') })] });
    for (let i = 1; i <= 5; i++) {
      const { body } = await postGraphQL(test.url, `mutation { registerVersion(registry: "laptop", name: "churn", source: "s3://a/${i}", metrics: [{key: "auc", value: 0.${i}}]) { version } }`);
      expect(body.errors).toBeUndefined();
    }
  });
  afterAll(() => test?.stop());

  it('copy prints what it did; copying again finds the copy (exit 0 both times)', async () => {
    const first = await modelgate(test.url, ['copy', '--from-registry', 'laptop', '--to-registry', 'team', '--to-model', 'churn-single', '--model', 'churn', '-v', '2']);
    expect(first.code).toBe(0);
    expect(first.out.join('\n')).toContain('Copied to team: churn-single version 1 (NONE)');
    const again = await modelgate(test.url, ['copy', '--from-registry', 'laptop', '--to-registry', 'team', '--to-model', 'churn-single', '--model', 'churn', '-v', '2', '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.out.join('\n')).copyVersion).toMatchObject({ status: 'EXISTING', version: { version: '1' } });
  });

  it('copy of a version that does not exist: exit 1, the code on stderr, nothing on stdout', async () => {
    const result = await modelgate(test.url, ['copy', '--from-registry', 'laptop', '--to-registry', 'team', '--model', 'churn', '-v', '99']);
    expect(result.code).toBe(1);
    expect(result.out).toEqual([]);
    expect(result.err.join('\n')).toContain('NOT_FOUND');
  });

  it('migrate without a terminal prints JSON lines of progress, ending DONE', async () => {
    const result = await modelgate(test.url, ['migrate', '--from-registry', 'laptop', '--to-registry', 'team', '--model', 'churn', '--interval', '10']);
    expect(result.code).toBe(0);
    const lines = result.out.map((line) => JSON.parse(line));
    expect(lines.at(-1)).toMatchObject({ status: 'DONE', done: 5, total: 5, created: 5, failed: 0 });
    expect(result.frames).toEqual([]);
  });

  it('migrate on a terminal draws a progress bar and says how it ended; a second run finds every copy', async () => {
    const result = await modelgate(test.url, ['migrate', '--from-registry', 'laptop', '--to-registry', 'team', '--model', 'churn', '--to-model', 'churn-tty', '--interval', '10'], true);
    expect(result.code).toBe(0);
    expect(result.frames.filter(Boolean).at(-1)).toBe('[##############################] 5/5  created 5, existing 0, failed 0');
    expect(result.frames.at(-1)).toBeNull();
    expect(result.out.at(-1)).toMatch(/^Migration .* done: 5 created, 0 already there\.$/);
    const again = await modelgate(test.url, ['migrate', '--from-registry', 'laptop', '--to-registry', 'team', '--model', 'churn', '--to-model', 'churn-tty', '--interval', '10', '--json']);
    expect(JSON.parse(again.out.at(-1)!)).toMatchObject({ status: 'DONE', created: 0, existing: 5 });
  });
});
