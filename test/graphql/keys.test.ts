import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postGraphQL, startTestGateway, type TestGateway } from '../support/gateway.ts';

/** Names of Object.prototype members: a plain-object record would drop or shadow them. */
const KEYS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'];

describe('GraphQL: tag, metric and param keys that name Object.prototype members', () => {
  let test: TestGateway;
  const gql = async (query: string, variables?: Record<string, unknown>) => {
    const { body } = await postGraphQL(test.url, query, variables);
    expect(body.errors).toBeUndefined();
    return body.data;
  };

  beforeAll(async () => {
    test = await startTestGateway();
  });
  afterAll(() => test.stop());

  it('round-trips them through registerVersion, setTags, the lists, tag(key), metric(name) and compareVersions', async () => {
    await gql(
      `mutation ($tags: [TagInput!], $metrics: [MetricInput!], $params: [ParamInput!]) {
        registerVersion(name: "Keys", source: "s3://m", tags: $tags, metrics: $metrics, params: $params) { version }
      }`,
      {
        tags: KEYS.map((key) => ({ key, value: `v-${key}` })),
        metrics: KEYS.map((key, i) => ({ key, value: i + 0.25 })),
        params: KEYS.map((key) => ({ key, value: `p-${key}` })),
      },
    );
    await gql('mutation ($tags: [TagInput!]!) { setTags(name: "Keys", tags: $tags) { model { name } } }', { tags: [{ key: '__proto__', value: '1' }] });
    const data = await gql(`{
      model(name: "Keys") {
        tags { key value }
        version(version: "1") {
          tags { key value } metrics { key value } params { key value }
          proto: tag(key: "__proto__") ctor: tag(key: "constructor") missing: tag(key: "valueOf")
          m: metric(name: "toString") absent: metric(name: "valueOf")
        }
      }
      compareVersions(name: "Keys") { metrics best { metric version value } }
    }`);
    const sorted = [...KEYS].sort();
    expect(data.model.tags).toEqual([{ key: '__proto__', value: '1' }]);
    expect(data.model.version.tags).toEqual(sorted.map((key) => ({ key, value: `v-${key}` })));
    expect(data.model.version.metrics).toEqual(sorted.map((key) => ({ key, value: KEYS.indexOf(key) + 0.25 })));
    expect(data.model.version.params).toEqual(sorted.map((key) => ({ key, value: `p-${key}` })));
    expect(data.model.version).toMatchObject({ proto: 'v-__proto__', ctor: 'v-constructor', missing: null, m: 2.25, absent: null });
    expect(data.compareVersions.metrics).toEqual(sorted);
    expect(data.compareVersions.best.find((b: { metric: string }) => b.metric === '__proto__')).toEqual({ metric: '__proto__', version: '1', value: 0.25 });

    await gql('mutation { deleteTags(name: "Keys", version: "1", keys: ["__proto__", "toString"]) { model { name } } }');
    const after = await gql('{ modelVersion(name: "Keys", version: "1") { tags { key } } }');
    expect(after.modelVersion.tags.map((t: { key: string }) => t.key)).toEqual(['constructor', 'hasOwnProperty']);
  });

  it('refuses a key given twice, even __proto__, and stores nothing', async () => {
    const { body } = await postGraphQL(test.url, 'mutation { setTags(name: "Keys", tags: [{ key: "__proto__", value: "a" }, { key: "__proto__", value: "b" }]) { model { name } } }');
    expect(body.errors?.[0]?.extensions?.code).toBe('INVALID_INPUT');
  });
});
