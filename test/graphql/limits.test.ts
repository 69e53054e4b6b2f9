import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postGraphQL, startTestGateway, type TestGateway } from '../support/gateway.ts';
import { scaled } from '../support/time-scale.ts';

describe('query limits', () => {
  let test: TestGateway;
  beforeAll(async () => {
    test = await startTestGateway({ config: { server: { limits: { maxDepth: 8, maxComplexity: 5000, maxAliases: 5, maxTokens: 400 } } } as never });
  });
  afterAll(() => test.stop());

  const code = async (query: string) => {
    const { status, body } = await postGraphQL(test.url, query);
    return { status, code: body.errors?.[0]?.extensions?.code ?? 'OK', reason: body.errors?.[0]?.extensions?.reason, message: body.errors?.[0]?.message };
  };

  it('refuses a query deeper than the limit before running it', async () => {
    const deep = '{ models { nodes { versions { nodes { model { versions { nodes { model { name } } } } } } } } }';
    expect(await code(deep)).toMatchObject({ status: 400, code: 'INVALID_INPUT', reason: 'QUERY_TOO_DEEP' });
  });

  it('weighs lists by first: 200 x 200 is too costly, a normal page is not', async () => {
    const costly = '{ models(first: 200) { nodes { versions(first: 200) { nodes { version metrics { key value } } } } } }';
    const refused = await code(costly);
    expect(refused).toMatchObject({ code: 'INVALID_INPUT', reason: 'QUERY_TOO_COSTLY' });
    expect(refused.message).toContain('limit is 5000');
    expect(await code('{ models(first: 20) { nodes { versions(first: 10) { nodes { version } } } } }')).toMatchObject({ code: 'OK' });
  });

  it('refuses too many aliases and too many tokens', async () => {
    const aliases = `{ ${Array.from({ length: 6 }, (_, i) => `a${i}: registries { id }`).join(' ')} }`;
    expect(await code(aliases)).toMatchObject({ code: 'INVALID_INPUT', reason: 'TOO_MANY_ALIASES' });
    const long = `{ registries { ${Array.from({ length: 500 }, () => 'id').join(' ')} } }`;
    expect(await code(long)).toMatchObject({ code: 'INVALID_INPUT' });
  });

  /** `fragment F0 on Model { ...F1 ...F1 }` … `levels` deep: 2^levels fields once expanded. */
  const fragmentBomb = (levels: number) =>
    [
      '{ models(first: 1) { nodes { ...F0 } } }',
      ...Array.from({ length: levels - 1 }, (_, i) => `fragment F${i} on Model { ...F${i + 1} ...F${i + 1} }`),
      `fragment F${levels - 1} on Model { name }`,
    ].join('\n');

  it('refuses fragments that double at each of 30 levels at once, and /healthz answers meanwhile', async () => {
    const base = test.url.replace(/\/graphql$/, '');
    const started = performance.now();
    const bomb = code(fragmentBomb(30));
    const health = fetch(`${base}/healthz`).then((r) => ({ status: r.status, at: performance.now() - started }));
    expect(await bomb).toMatchObject({ status: 400, code: 'INVALID_INPUT', reason: 'QUERY_TOO_COSTLY' });
    // Generous bounds that only prove nothing hangs; bench/edge.bench.ts measures the real times.
    expect(performance.now() - started).toBeLessThan(scaled(5_000));
    expect(await health).toMatchObject({ status: 200 });
    expect((await health).at).toBeLessThan(scaled(5_000));
  });

  it('counts aliases inside a fragment once per spread', async () => {
    const fragment = 'fragment Named on Registry { a: id b: kind c: id }';
    expect(await code(`{ registries { ...Named } } ${fragment}`)).toMatchObject({ code: 'OK' });
    expect(await code(`{ registries { ...Named } r: registries { ...Named } } ${fragment}`)).toMatchObject({ code: 'INVALID_INPUT', reason: 'TOO_MANY_ALIASES' });
  });

  it('counts a fragment spread deep at its deep position even after a shallow spread', async () => {
    const fragment = 'fragment Down on Model { versions(first: 1) { nodes { model { name } } } }';
    expect(await code(`{ models(first: 1) { nodes { ...Down } } } ${fragment}`)).toMatchObject({ code: 'OK' });
    const deep = `{ models(first: 1) { nodes { ...Down versions(first: 1) { nodes { model { versions(first: 1) { nodes { model { ...Down } } } } } } } } } ${fragment}`;
    expect(await code(deep)).toMatchObject({ code: 'INVALID_INPUT', reason: 'QUERY_TOO_DEEP' });
  });

  it('prices compareVersions rows by last, so rows x versions(first: 100) x downloadUri is refused', async () => {
    const fanOut = '{ compareVersions(name: "m") { rows { version { model { versions(first: 100) { nodes { downloadUri } } } } } } }';
    expect(await code(fanOut)).toMatchObject({ code: 'INVALID_INPUT', reason: 'QUERY_TOO_COSTLY' });
    expect(await code('{ compareVersions(name: "m", last: 5) { rows { version { version } values { key value } } } }')).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('answers compareRegistries once per distinct registry however often one is named', async () => {
    const { body } = await postGraphQL(test.url, 'query($r: [String!]) { compareRegistries(name: "m", registries: $r) { registry found } }', {
      r: Array.from({ length: 2000 }, () => 'local'),
    });
    expect(body.errors).toBeUndefined();
    expect(body.data.compareRegistries).toEqual([{ registry: 'local', found: false }]);
  });

  it('prices a field that calls a backend per item above a plain field', async () => {
    expect(await code('{ models(first: 20) { nodes { versions(first: 30) { nodes { version } } } } }')).toMatchObject({ code: 'OK' });
    expect(await code('{ models(first: 20) { nodes { versions(first: 30) { nodes { downloadUri } } } } }')).toMatchObject({ reason: 'QUERY_TOO_COSTLY' });
  });

  it('prices latestVersions by its stages and metrics by their declared bound', async () => {
    expect(await code('{ models(first: 100) { nodes { latestVersions { metrics { key value } } } } }')).toMatchObject({ reason: 'QUERY_TOO_COSTLY' });
    expect(await code('{ models(first: 100) { nodes { latestVersions(stages: [PRODUCTION]) { metrics { key value } } } } }')).toMatchObject({ code: 'OK' });
  });

  it('refuses a page size over 200 and can turn introspection off', async () => {
    expect(await code('{ models(first: 100000) { nodes { name } } }')).toMatchObject({ code: 'INVALID_INPUT' });
    const closed = await startTestGateway({ config: { server: { introspection: false } } as never });
    try {
      const { body } = await postGraphQL(closed.url, '{ __schema { types { name } } }');
      expect(body.errors?.[0]?.extensions?.code).toBe('INVALID_INPUT');
    } finally {
      await closed.stop();
    }
  });
});
