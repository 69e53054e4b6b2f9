import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalRegistry } from '../../adapters/local/index.ts';
import { countingAdapter } from '../support/counting-adapter.ts';
import { postGraphQL, startTestGateway, type TestGateway } from '../support/gateway.ts';
import { defineReadCostSuite } from './read-cost-suite.ts';

/**
 * SQL statements per shape: versions; metrics; (+ the model row, its tags and aliases, tags of the versions, params).
 * A selected metric reads the versions' tags too (metrics may live in `metric_*` tags), so the lean page counts 3.
 */
defineReadCostSuite(
  'local (SQLite statements counted)',
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'modelgate-cost-'));
    const calls: string[] = [];
    const adapter = new LocalRegistry({ id: 'local', path: join(dir, 'local.db'), onStatement: (sql) => calls.push(sql) });
    return { adapter, backend: { calls }, teardown: async () => (await adapter.close(), rmSync(dir, { recursive: true, force: true })) };
  },
  { leanPage: 3, fullPage: 7, oneVersion: 4, modelWithAliases: 2, versionWithModel: 5 },
);

describe('details selected after a lean read', () => {
  let test: TestGateway;
  let counter: ReturnType<typeof countingAdapter>;

  beforeAll(async () => {
    test = await startTestGateway({
      adapters: (dir) => {
        counter = countingAdapter(new LocalRegistry({ id: 'local', path: join(dir, 'local.db') }));
        return [counter.adapter];
      },
    });
    await counter.adapter.createModel({ name: 'm', tags: { team: 'a' } });
    for (let v = 1; v <= 3; v++) await counter.adapter.createVersion({ name: 'm', tags: { n: String(v) } });
    await counter.adapter.setAlias('m', 'champion', '2');
  });
  afterAll(() => test.stop());

  it('reads tags again for a version first read without them, and gets them right', async () => {
    counter.reset();
    const { body } = await postGraphQL(test.url, '{ model(name: "m") { versions { nodes { version } } version(version: "2") { tags { key value } aliases } } }');
    expect(body.errors).toBeUndefined();
    expect(body.data.model.version).toEqual({ tags: [{ key: 'n', value: '2' }], aliases: ['champion'] });
    expect(Object.fromEntries(counter.calls)).toEqual({ getModel: 1, listVersions: 1, getVersions: 1 });
  });

  it('merges what sibling fields want of one version into one read', async () => {
    counter.reset();
    const { body } = await postGraphQL(test.url, '{ a: modelVersion(name: "m", version: "3") { version } b: modelVersion(name: "m", version: "3") { tag(key: "n") } }');
    expect(body.errors).toBeUndefined();
    expect(body.data).toEqual({ a: { version: '3' }, b: { tag: '3' } });
    expect(Object.fromEntries(counter.calls)).toEqual({ getVersions: 1 });
  });

  it('reads the selected versions page once, arguments from variables, and no model row when a version proves the model', async () => {
    counter.reset();
    const { body } = await postGraphQL(test.url, 'query ($first: Int) { model(name: "m") { versions(first: $first, stages: NONE) { nodes { version } } } }', { first: 2 });
    expect(body.errors).toBeUndefined();
    expect(body.data.model.versions.nodes).toEqual([{ version: '3' }, { version: '2' }]);
    expect(Object.fromEntries(counter.calls)).toEqual({ listVersions: 1 });
  });

  it('still refuses a bad page size, and answers null for an absent model', async () => {
    const bad = await postGraphQL(test.url, '{ model(name: "m") { versions(first: 0) { nodes { version } } } }');
    expect(bad.body.errors?.[0]?.extensions?.code).toBe('INVALID_INPUT');
    const absent = await postGraphQL(test.url, '{ model(name: "nope") { versions { nodes { version } } } }');
    expect(absent.body).toEqual({ data: { model: null } });
  });

  it('reads through fragments: tags selected in a fragment come back', async () => {
    const { body } = await postGraphQL(
      test.url,
      'query { model(name: "m") { ...M } } fragment M on Model { tags { key value } versions(first: 1) { edges { node { ... on ModelVersion { tags { key } } } } } }',
    );
    expect(body.errors).toBeUndefined();
    expect(body.data.model).toEqual({ tags: [{ key: 'team', value: 'a' }], versions: { edges: [{ node: { tags: [{ key: 'n' }] } }] } });
  });
});
