import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LocalRegistry } from '../../adapters/local/index.ts';
import { MlflowRegistry } from '../../adapters/mlflow/index.ts';
import { SageMakerRegistry } from '../../adapters/sagemaker/index.ts';
import { VertexRegistry } from '../../adapters/vertex/index.ts';
import { postGraphQL, startTestGateway, type TestGateway } from '../support/gateway.ts';
import { standinClientOptions } from '../support/vertex/vertex-client.ts';
import { startVertexStandin, type VertexStandin } from '../support/vertex/vertex-standin.ts';

const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };
type Attack = [label: string, query: string, variables: Record<string, unknown>, code: string];

const tags = (count: number) => Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value: 'v' }));
const q = {
  stage: 'mutation ($r: String!, $n: String!, $v: String!) { transitionStage(registry: $r, name: $n, version: $v, stage: STAGING) { __typename } }',
  setTags: 'mutation ($r: String!, $n: String!, $v: String, $t: [TagInput!]!) { setTags(registry: $r, name: $n, version: $v, tags: $t) { __typename } }',
  deleteTags: 'mutation ($r: String!, $n: String!, $v: String, $k: [String!]!) { deleteTags(registry: $r, name: $n, version: $v, keys: $k) { __typename } }',
  register: 'mutation ($r: String!, $n: String!, $s: String!, $t: [TagInput!], $m: [MetricInput!]) { registerVersion(registry: $r, name: $n, source: $s, tags: $t, metrics: $m) { version } }',
  setAlias: 'mutation ($r: String!, $n: String!, $a: String!) { setAlias(registry: $r, name: $n, alias: $a, version: "1") { version } }',
  deleteAlias: 'mutation ($r: String!, $n: String!, $a: String!) { deleteAlias(registry: $r, name: $n, alias: $a) { name } }',
};

// Input that breaks a rule known from the arguments alone (the core's or the backend's own) is refused in the
// pipeline's validate step: the error, nothing changed on the backend, the refusal alone in the audit log.
const ATTACKS: Record<string, Attack[]> = {
  local: [['transitionStage to a malformed version', q.stage, { v: 'x1' }, 'INVALID_INPUT']],
  mlflow: [['transitionStage to a malformed version', q.stage, { v: '0' }, 'INVALID_INPUT']],
  sagemaker: [
    ['transitionStage to a malformed version', q.stage, { v: 'x1' }, 'INVALID_INPUT'],
    ['a reserved version tag', q.setTags, { v: '1', t: [{ key: 'modelgate.stage', value: 'PRODUCTION' }] }, 'INVALID_INPUT'],
    ['deleting a reserved version tag', q.deleteTags, { v: '1', k: ['modelgate.stage'] }, 'INVALID_INPUT'],
    ['a reserved model tag', q.setTags, { v: null, t: [{ key: 'modelgate.alias.champ', value: '1' }] }, 'INVALID_INPUT'],
    ['60 tags on a version (over 50 entries whatever it holds)', q.setTags, { v: '1', t: tags(60) }, 'INVALID_INPUT'],
    ['a registration with a reserved tag', q.register, { s: 's3://b/m/2', t: [{ key: 'modelgate.stage', value: 'x' }] }, 'INVALID_INPUT'],
    ['a registration over 50 entries (45 tags, 10 metrics)', q.register, { s: 's3://b/m/2', t: tags(45), m: Array.from({ length: 10 }, (_, i) => ({ key: `m${i}`, value: 1 })) }, 'INVALID_INPUT'],
    ['an alias too long for a group tag key', q.setAlias, { a: 'a'.repeat(120) }, 'INVALID_INPUT'],
  ],
  vertex: [
    ['transitionStage to a malformed version', q.stage, { v: 'x1' }, 'INVALID_INPUT'],
    ['70 labels on a model', q.setTags, { v: null, t: tags(70) }, 'INVALID_INPUT'],
    ['70 labels on a version', q.setTags, { v: '1', t: tags(70) }, 'INVALID_INPUT'],
    ['the stage label', q.setTags, { v: '1', t: [{ key: 'modelgate-stage', value: 'production' }] }, 'INVALID_INPUT'],
    ['removing the stage label', q.deleteTags, { v: null, k: ['modelgate-stage'] }, 'INVALID_INPUT'],
    ['a registration with the stage label', q.register, { s: 'gs://b/m/2', t: [{ key: 'modelgate-stage', value: 'production' }] }, 'INVALID_INPUT'],
    ['a version tag with the model-tag prefix', q.setTags, { v: '1', t: [{ key: 'model_owner', value: 'x' }] }, 'INVALID_INPUT'],
    ['a managed alias', q.setAlias, { a: 'production' }, 'INVALID_INPUT'],
    ['an alias Vertex forbids (upper case)', q.setAlias, { a: 'Champ' }, 'INVALID_INPUT'],
    ['deleting a managed alias', q.deleteAlias, { a: 'default' }, 'INVALID_INPUT'],
  ],
};

describe('bad input changes nothing and leaves the refusal alone in the audit log, on every backend', () => {
  let test: TestGateway;
  let standin: VertexStandin;
  const run = async (query: string, variables: Record<string, unknown> = {}) => (await postGraphQL(test.url, query, variables)).body;
  const audit = async (registry: string, name: string) => {
    const events: { seq: number; action: string; result: string }[] = [];
    for (;;) {
      const page = (await run('query ($r: String!, $n: String!, $after: Int) { auditLog(registry: $r, name: $n, after: $after) { seq action result } }', { r: registry, n: name, after: events.at(-1)?.seq ?? null })).data.auditLog;
      if (!page.length) return events;
      events.push(...page);
    }
  };
  const state = async (registry: string, name: string) =>
    (await run('query ($r: String!, $n: String!) { model(registry: $r, name: $n) { tags { key value } aliases { alias version } versions { edges { node { version stage tags { key value } } } } } }', { r: registry, n: name })).data.model;
  const suffix = Date.now().toString(36);

  beforeAll(async () => {
    standin = await startVertexStandin();
    test = await startTestGateway({
      adapters: (dir) => [
        new LocalRegistry({ id: 'local', path: join(dir, 'local.db') }),
        new MlflowRegistry({ id: 'mlflow', trackingUri: inject('mlflowUrl') }),
        new SageMakerRegistry({ id: 'sagemaker', region: 'us-east-1', endpoint: inject('motoUrl'), credentials: CREDENTIALS, maxAttempts: 1 }),
        new VertexRegistry({ id: 'vertex', project: 'test-project', location: 'us-central1', clientOptions: standinClientOptions(standin) }),
      ],
    });
  });
  afterAll(async () => {
    await test?.stop();
    await standin?.stop();
  });

  it.each(Object.keys(ATTACKS))('%s', async (registry) => {
    const name = `attack-${suffix}`;
    const source = registry === 'vertex' ? 'gs://b/m/1' : 's3://b/m/1';
    expect((await run(q.register, { r: registry, n: name, s: source })).errors).toBeUndefined();
    const before = await state(registry, name);
    const seen = (await audit(registry, name)).length;
    const results: [string, string, string[]][] = [];
    for (const [label, query, variables, code] of ATTACKS[registry]!) {
      const answer = await run(query, { r: registry, n: name, s: source, ...variables });
      const fresh = (await audit(registry, name)).slice(seen + results.length).map((event) => `${event.action}:${event.result}`);
      results.push([label, answer.errors?.[0]?.extensions?.code ?? 'OK', fresh]);
      // One event per refusal, so the next attack's events start one further.
      expect([label, answer.errors?.[0]?.extensions?.code]).toEqual([label, code]);
    }
    expect(results.map(([label, , events]) => [label, events.length, events.some((e) => e.includes('INTENT') || e.startsWith('reconcile'))])).toEqual(
      results.map(([label]) => [label, 1, false]),
    );
    expect(await state(registry, name)).toEqual(before);
  });

  it('copyVersion into a name the target forbids is refused before the intent, a dry run too; nothing is created', async () => {
    const name = `copy-${suffix}`;
    expect((await run(q.register, { r: 'local', n: name, s: 's3://b/m/1' })).errors).toBeUndefined();
    for (const dryRun of [true, false]) {
      const refused = await run('mutation ($n: String!, $d: Boolean!) { copyVersion(dryRun: $d, from: { registry: "local", name: $n, version: "1" }, to: { registry: "sagemaker", name: "bad_name" }) { status } }', { n: name, d: dryRun });
      expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'INVALID_INPUT', registry: 'sagemaker' });
    }
    expect((await run('query { model(registry: "sagemaker", name: "bad_name") { name } }')).data.model).toBeNull();
    expect((await audit('sagemaker', 'bad_name')).map((event) => `${event.action}:${event.result}`)).toEqual(['copyVersion:INVALID_INPUT', 'copyVersion:INVALID_INPUT']);
  });

  // migrateModel used to accept such a name as a job whose every copy then failed; the target's rules are checked before any job exists.
  it.each([
    ['sagemaker', 'bad_name_migrated'],
    ['vertex', 'x'.repeat(200)],
    ['local', 'a/b'],
    ['mlflow', ' padded'],
  ])('migrateModel into %s under a name it forbids (%s) is INVALID_INPUT before any job or write', async (registry, to) => {
    const name = `migrate-${registry}-${suffix}`;
    expect((await run(q.register, { r: 'local', n: name, s: 's3://b/m/1' })).errors).toBeUndefined();
    const refused = await run('mutation ($n: String!, $r: String!, $to: String!) { migrateModel(from: { registry: "local", name: $n }, to: { registry: $r, name: $to }) { id status } }', { n: name, r: registry, to });
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'INVALID_INPUT', registry });
    expect(refused.errors?.[0]?.message).toMatch(/name/i);
    expect(refused.data).toBeNull();
    expect((await run('query ($r: String!, $n: String!) { model(registry: $r, name: $n) { name } }', { r: registry, n: to })).data.model).toBeNull();
    expect((await audit(registry, to)).map((event) => `${event.action}:${event.result}`)).toEqual(['migrateModel:INVALID_INPUT']);
  });

  // A location the backend cannot hold (SageMaker needs s3://, Vertex AI gs://; MLflow refuses a local path without the run that holds it)
  // is refused before the write-ahead intent, a new model included: nothing is created, the refusal is the only event.
  it.each([
    ['sagemaker', 'file:///tmp/model', null, /s3:\/\//],
    ['sagemaker', 'gs://b/m', null, /s3:\/\//],
    ['vertex', 'file:///tmp/model', null, /gs:\/\//],
    ['vertex', 's3://b/m', null, /gs:\/\//],
    ['mlflow', 'file:///tmp/model', null, /local/i],
    ['mlflow', '/tmp/model', null, /local/i],
    ['mlflow', 's3://b/models/../../etc', null, /\.\./],
  ] as const)('registerVersion on %s with source %s is INVALID_INPUT naming what it accepts; nothing is created', async (registry, source, runId, says) => {
    const name = `source-${registry}-${suffix}-${source.replace(/[^a-z0-9]+/gi, '')}`.slice(0, 60);
    const refused = await run('mutation ($r: String!, $n: String!, $s: String!, $run: String) { registerVersion(registry: $r, name: $n, source: $s, runId: $run) { version } }', { r: registry, n: name, s: source, run: runId });
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'INVALID_INPUT', registry, details: { field: 'source' } });
    expect(refused.errors?.[0]?.message).toMatch(says);
    expect((await run('query ($r: String!, $n: String!) { model(registry: $r, name: $n) { name } }', { r: registry, n: name })).data.model).toBeNull();
    expect((await audit(registry, name)).map((event) => `${event.action}:${event.result}`)).toEqual(['registerVersion:INVALID_INPUT']);
  });

  it('the schemes a backend accepts still register (and local keeps any location)', async () => {
    for (const [registry, source] of [['sagemaker', 's3://b/m/ok'], ['vertex', 'gs://b/m/ok'], ['mlflow', 's3://b/m/ok'], ['local', 'file:///tmp/model']] as const) {
      const answer = await run('mutation ($r: String!, $n: String!, $s: String!) { registerVersion(registry: $r, name: $n, source: $s) { version source } }', { r: registry, n: `ok-source-${suffix}`, s: source });
      expect([registry, answer.errors]).toEqual([registry, undefined]);
      expect(answer.data.registerVersion.source).toBe(source);
    }
  });
});
