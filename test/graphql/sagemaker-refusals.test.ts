import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SageMakerRegistry } from '../../adapters/sagemaker/index.ts';
import { postGraphQL, startTestGateway, type TestGateway } from '../support/gateway.ts';

const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

// What SageMaker cannot do (rename a group, change its description) is refused before the write-ahead intent: one audited refusal, nothing for the reconciler.
describe('SageMaker (moto_server): edits it cannot hold are refused before anything is written', () => {
  let test: TestGateway;
  const run = async (query: string, variables: Record<string, unknown> = {}) => (await postGraphQL(test.url, query, variables)).body;
  const audit = async (name: string) =>
    ((await run('query ($name: String!) { auditLog(registry: "sagemaker", name: $name) { action result } }', { name })).data.auditLog as { action: string; result: string }[])
      .filter((event) => event.action !== 'createModel')
      .map((event) => [event.action, event.result]);
  const suffix = Date.now().toString(36);

  beforeAll(async () => {
    test = await startTestGateway({
      adapters: () => [new SageMakerRegistry({ id: 'sagemaker', region: 'us-east-1', endpoint: inject('motoUrl'), credentials: CREDENTIALS, maxAttempts: 1 })],
    });
  });
  afterAll(async () => {
    await test?.stop();
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
});
