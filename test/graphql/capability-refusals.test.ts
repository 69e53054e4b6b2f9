import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SageMakerRegistry } from '../../adapters/sagemaker/index.ts';
import { VertexRegistry } from '../../adapters/vertex/index.ts';
import { postGraphQL, startTestGateway, type TestGateway } from '../support/gateway.ts';
import { standinClientOptions } from '../support/vertex/vertex-client.ts';
import { startVertexStandin, type VertexStandin } from '../support/vertex/vertex-standin.ts';

const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

// What a backend cannot do (SageMaker: rename a group, change its description; Vertex AI: a model without a version) is refused before the write-ahead intent: one audited refusal, nothing for the reconciler.
describe('edits a backend cannot hold are refused before anything is written (moto_server, the Vertex stand-in)', () => {
  let test: TestGateway;
  let standin: VertexStandin;
  const run = async (query: string, variables: Record<string, unknown> = {}) => (await postGraphQL(test.url, query, variables)).body;
  const audit = async (name: string, registry = 'sagemaker', except = 'createModel') =>
    ((await run('query ($registry: String!, $name: String!) { auditLog(registry: $registry, name: $name) { action result } }', { registry, name })).data.auditLog as { action: string; result: string }[])
      .filter((event) => event.action !== except)
      .map((event) => [event.action, event.result]);
  const suffix = Date.now().toString(36);

  beforeAll(async () => {
    standin = await startVertexStandin();
    test = await startTestGateway({
      adapters: () => [
        new SageMakerRegistry({ id: 'sagemaker', region: 'us-east-1', endpoint: inject('motoUrl'), credentials: CREDENTIALS, maxAttempts: 1 }),
        new VertexRegistry({ id: 'vertex', project: 'test-project', location: 'us-central1', clientOptions: standinClientOptions(standin) }),
      ],
    });
  });
  afterAll(async () => {
    await test?.stop();
    await standin?.stop();
  });

  it('renameModel is UNSUPPORTED, the group keeps its name, and the audit log holds the refusal alone', async () => {
    const name = `rename-${suffix}`;
    expect((await run('mutation ($name: String!) { createModel(registry: "sagemaker", name: $name, description: "fixed") { name } }', { name })).errors).toBeUndefined();
    const refused = await run('mutation ($name: String!, $to: String!) { renameModel(registry: "sagemaker", name: $name, newName: $to) { name } }', { name, to: `${name}-new` });
    expect(refused.errors?.[0]?.extensions?.code).toBe('UNSUPPORTED');
    expect(refused.errors?.[0]?.message).toContain('renamed');
    expect((await run('query ($name: String!) { model(registry: "sagemaker", name: $name) { name } }', { name })).data.model).toEqual({ name });
    expect((await run('query ($name: String!) { model(registry: "sagemaker", name: $name) { name } }', { name: `${name}-new` })).data.model).toBeNull();
    expect(await audit(name)).toEqual([['renameModel', 'UNSUPPORTED']]);
  });

  it('a changed description is UNSUPPORTED with the same audit; the same description is a no-op that succeeds', async () => {
    const name = `describe-${suffix}`;
    expect((await run('mutation ($name: String!) { createModel(registry: "sagemaker", name: $name, description: "fixed") { name } }', { name })).errors).toBeUndefined();
    const refused = await run('mutation ($name: String!) { updateModel(registry: "sagemaker", name: $name, description: "changed") { description } }', { name });
    expect(refused.errors?.[0]?.extensions?.code).toBe('UNSUPPORTED');
    expect(refused.errors?.[0]?.message).toContain('at creation only');
    expect(await audit(name)).toEqual([['updateModel', 'UNSUPPORTED']]);
    const same = await run('mutation ($name: String!) { updateModel(registry: "sagemaker", name: $name, description: "fixed") { description } }', { name });
    expect(same.errors).toBeUndefined();
    expect(same.data.updateModel).toEqual({ description: 'fixed' });
    const missing = await run('mutation { updateModel(registry: "sagemaker", name: "no-such-group", description: "x") { description } }');
    expect(missing.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('createModel on Vertex AI is UNSUPPORTED (a model comes with its first version) with the refusal alone in the audit log; ALREADY_EXISTS when it exists', async () => {
    const name = `bare-${suffix}`;
    const refused = await run('mutation ($name: String!) { createModel(registry: "vertex", name: $name) { name } }', { name });
    expect(refused.errors?.[0]?.extensions?.code).toBe('UNSUPPORTED');
    expect(refused.errors?.[0]?.message).toContain('registerVersion');
    expect((await run('query ($name: String!) { model(registry: "vertex", name: $name) { name } }', { name })).data.model).toBeNull();
    expect(await audit(name, 'vertex', 'none')).toEqual([['createModel', 'UNSUPPORTED']]);
    const registered = await run('mutation ($name: String!) { registerVersion(registry: "vertex", name: $name, source: "gs://b/m/1") { version } }', { name });
    expect(registered.errors).toBeUndefined();
    const taken = await run('mutation ($name: String!) { createModel(registry: "vertex", name: $name) { name } }', { name });
    expect(taken.errors?.[0]?.extensions?.code).toBe('ALREADY_EXISTS');
    expect(await audit(name, 'vertex', 'registerVersion')).toEqual([['createModel', 'UNSUPPORTED'], ['createModel', 'ALREADY_EXISTS']]);
  });

  it('input past a backend limit changes nothing: a long changed description or tag value is refused before the intent, too many metadata entries settles its intent without a reconcile', async () => {
    const name = `limits-${suffix}`;
    expect((await run('mutation ($name: String!) { registerVersion(registry: "sagemaker", name: $name, source: "s3://b/1") { version } }', { name })).errors).toBeUndefined();
    // 60 tags: past SageMaker's 50 entries per version (counted against what the version holds: read before the intent).
    const tags = Array.from({ length: 60 }, (_, i) => ({ key: `t${i}`, value: 'x' }));
    const many = await run('mutation ($name: String!, $tags: [TagInput!]!) { setTags(registry: "sagemaker", name: $name, version: "1", tags: $tags) { __typename } }', { name, tags });
    expect(many.errors?.[0]?.extensions).toMatchObject({ code: 'INVALID_INPUT', registry: 'sagemaker' });
    const long = await run(`mutation ($name: String!) { updateVersion(registry: "sagemaker", name: $name, version: "1", description: "${'x'.repeat(300)}") { version } }`, { name });
    expect(long.errors?.[0]?.extensions).toMatchObject({ code: 'INVALID_INPUT', details: { field: 'description', limit: 256 } });
    const value = await run(`mutation ($name: String!) { setTags(registry: "sagemaker", name: $name, tags: [{ key: "note", value: "${'v'.repeat(300)}" }]) { __typename } }`, { name });
    expect(value.errors?.[0]?.extensions?.code).toBe('INVALID_INPUT');
    expect(await audit(name, 'sagemaker', 'registerVersion')).toEqual([
      // 60 tags are more than 50 entries whatever the version holds: refused before the intent.
      ['setTags', 'INVALID_INPUT'],
      ['updateVersion', 'INVALID_INPUT'],
      ['setTags', 'INVALID_INPUT'],
    ]);
    const version = await run('query ($name: String!) { modelVersion(registry: "sagemaker", name: $name, version: "1") { description tags { key } } }', { name });
    expect(version.data.modelVersion.tags).toEqual([]);
  });
});
