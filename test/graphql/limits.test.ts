import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postGraphQL, startTestGateway, type TestGateway } from '../support/gateway.ts';

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
