import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { v1 } from '@google-cloud/aiplatform';
import { VertexRegistry } from '../../adapters/vertex/index.ts';
import { ErrorCode, Stage, enforceInputRules, versionKeyId, type RegistryAdapter } from '../../src/core/index.ts';
import { expectCode } from '../contract/adapter-contract.ts';
import { postGraphQL, startTestGateway } from '../support/gateway.ts';
import { standinClientOptions, standinModelClient } from '../support/vertex/vertex-client.ts';
import { startVertexStandin, type VertexStandin } from '../support/vertex/vertex-standin.ts';

const PARENT = 'projects/test-project/locations/us-central1';

describe('Vertex adapter mapping, as Vertex tools see it (stand-in)', () => {
  let standin: VertexStandin;
  let adapter: VertexRegistry;
  let registry: RegistryAdapter;
  let google: v1.ModelServiceClient;
  const make = (options: Partial<ConstructorParameters<typeof VertexRegistry>[0]> = {}) =>
    new VertexRegistry({ id: 'vertex', project: 'test-project', location: 'us-central1', clientOptions: standinClientOptions(standin), ...options });

  beforeAll(async () => {
    standin = await startVertexStandin();
    adapter = make();
    registry = enforceInputRules(adapter);
    google = standinModelClient(standin);
  });
  afterAll(async () => {
    await adapter.close();
    await google.close();
    await standin.stop();
  });
  beforeEach(() => standin.reset());

  const vertexModel = async (displayName: string) => {
    const [models] = await google.listModels({ parent: PARENT, filter: `display_name="${displayName}"` });
    return models[0]!;
  };

  it('creates the Vertex model with its first version; the model name is the display name', async () => {
    const error = await expectCode(registry.createModel({ name: 'churn' }), ErrorCode.UNSUPPORTED);
    expect(error.message).toContain('first version');
    const first = await registry.createVersion({ name: 'churn', source: 'gs://b/churn/1', createModel: { description: 'Churn', tags: { team: 'growth' } } });
    expect(first).toMatchObject({ version: '1', source: 'gs://b/churn/1', stage: Stage.NONE, tags: {} });
    const raw = await vertexModel('churn');
    expect(raw).toMatchObject({ displayName: 'churn', description: 'Churn', versionId: '1', versionAliases: ['default'], artifactUri: 'gs://b/churn/1' });
    expect(raw.labels).toEqual({ model_team: 'growth', 'modelgate-stage': 'none' });
    expect((await registry.getModel('churn'))?.native?.modelResourceName).toBe(raw.name);
  });

  it('moves aliases staging/production with the stage, labels every stage, and moves default with production', async () => {
    await registry.createVersion({ name: 'm', createModel: {} });
    await registry.createVersion({ name: 'm' });
    await registry.createVersion({ name: 'm' });
    await registry.setStage({ name: 'm', version: '2' }, Stage.PRODUCTION);
    const model = await vertexModel('m');
    const [two] = await google.getModel({ name: `${model.name}@2` });
    expect(two.versionAliases?.sort()).toEqual(['default', 'production']);
    expect(two.labels?.['modelgate-stage']).toBe('production');
    await registry.setStage({ name: 'm', version: '3' }, Stage.PRODUCTION);
    await registry.setStage({ name: 'm', version: '2' }, Stage.ARCHIVED);
    const [production] = await google.getModel({ name: `${model.name}@production` });
    expect(production.versionId).toBe('3');
    const [archived] = await google.getModel({ name: `${model.name}@2` });
    expect(archived.labels?.['modelgate-stage']).toBe('archived');
    expect(archived.versionAliases).toEqual([]);
    const stages = (await registry.listVersions('m', {}, { first: 5 })).items.map((v) => `${v.version}:${v.stage}`);
    expect(stages).toEqual(['3:PRODUCTION', '2:ARCHIVED', '1:NONE']);
  });

  it('leaves default alone when productionIsDefault is false', async () => {
    const own = enforceInputRules(make({ productionIsDefault: false }));
    await own.createVersion({ name: 'd', createModel: {} });
    await own.createVersion({ name: 'd' });
    await own.setStage({ name: 'd', version: '2' }, Stage.PRODUCTION);
    const model = await vertexModel('d');
    const [fallback] = await google.getModel({ name: model.name! });
    expect(fallback.versionId).toBe('1');
    await own.close?.();
  });

  it('refuses labels that break Vertex rules, naming the rule, and changes nothing', async () => {
    await registry.createVersion({ name: 'l', createModel: {} });
    const upper = await expectCode(registry.setTags({ name: 'l', version: '1' }, { Team: 'x' }, []), ErrorCode.INVALID_INPUT);
    expect(upper.message).toContain('lowercase');
    const value = await expectCode(registry.setTags({ name: 'l', version: '1' }, { team: 'Growth Team' }, []), ErrorCode.INVALID_INPUT);
    expect(value.message).toContain('Vertex label values');
    await expectCode(registry.setTags({ name: 'l', version: '1' }, { 'modelgate-stage': 'production' }, []), ErrorCode.INVALID_INPUT);
    await expectCode(registry.setAlias('l', 'production', '1'), ErrorCode.INVALID_INPUT);
    await expectCode(registry.setAlias('l', 'Bad_Alias', '1'), ErrorCode.INVALID_INPUT);
    expect((await vertexModel('l')).labels).toEqual({ 'modelgate-stage': 'none' });
  });

  it('records metrics as a ModelEvaluation and reads them back as numbers', async () => {
    await registry.createVersion({ name: 'e', createModel: {}, metrics: { accuracy: 0.93, f1_score: 0.9 }, params: { depth: '6' } });
    const model = await vertexModel('e');
    const [evaluations] = await google.listModelEvaluations({ parent: `${model.name}@1` });
    expect(evaluations).toHaveLength(1);
    expect(evaluations[0]?.metrics?.structValue?.fields?.accuracy?.numberValue).toBe(0.93);
    const metrics = await registry.getMetrics([{ name: 'e', version: '1' }]);
    expect(metrics.get(versionKeyId({ name: 'e', version: '1' }))).toEqual({ metrics: { accuracy: 0.93, f1_score: 0.9 }, params: { depth: '6' } });
    const [version] = await registry.getVersions([{ name: 'e', version: '1' }]);
    expect(version?.createdAt.getTime()).toBeGreaterThan(Date.now() - 60_000);
  });

  it('escapes display names in filters so no name widens a lookup', async () => {
    const names = ['a"b', 'a\\"b', 'a\\b', 'x" OR display_name="y', 'y'];
    for (const name of names) await registry.createVersion({ name, createModel: {} });
    for (const name of names) expect((await registry.getModel(name))?.name).toBe(name);
    expect(await registry.getModel('x')).toBeNull();
  });

  it('refuses to guess between two Vertex models with the same display name', async () => {
    for (let i = 0; i < 2; i++) {
      const [operation] = await google.uploadModel({ parent: PARENT, model: { displayName: 'twin' } });
      await operation.promise();
    }
    await expectCode(registry.getModel('twin'), ErrorCode.CONFLICT);
  });

  it('moves default off a version before deleting it, and refuses to delete the only version', async () => {
    await registry.createVersion({ name: 'del', createModel: {} });
    await expectCode(registry.deleteVersion({ name: 'del', version: '1' }), ErrorCode.INVALID_INPUT);
    await registry.createVersion({ name: 'del' });
    await registry.deleteVersion({ name: 'del', version: '1' });
    const model = await vertexModel('del');
    expect(model.versionId).toBe('2');
    expect(model.versionAliases).toEqual(['default']);
  });

  it('answers UNAVAILABLE and hangs with BACKEND_UNAVAILABLE naming the registry', async () => {
    await registry.createVersion({ name: 'f', createModel: {} });
    standin.faults.unavailable = true;
    const down = await expectCode(registry.getModel('f'), ErrorCode.BACKEND_UNAVAILABLE);
    expect(down.registry).toBe('vertex');
    standin.faults.unavailable = false;
    standin.faults.hangMs = 2_000;
    const slow = enforceInputRules(make({ timeoutMs: 300 }));
    await expectCode(slow.getModel('f'), ErrorCode.BACKEND_UNAVAILABLE);
    standin.faults.hangMs = 0;
    await slow.close?.();
  });
});

describe('Vertex through the gateway: RPCs per request', () => {
  it('reads 10 versions with metrics in a bounded number of RPCs, each evaluation list once', async () => {
    const standin = await startVertexStandin();
    const test = await startTestGateway({
      adapters: () => [new VertexRegistry({ id: 'vertex', project: 'test-project', location: 'us-central1', clientOptions: standinClientOptions(standin) })],
    });
    try {
      const registry = test.gateway.registries.get();
      await registry.createVersion({ name: 'wide', createModel: {}, metrics: { accuracy: 0.5 } });
      for (let i = 2; i <= 10; i++) await registry.createVersion({ name: 'wide', metrics: { accuracy: 0.5 + i / 100 } });
      standin.calls.clear();
      const { body } = await postGraphQL(
        test.url,
        '{ model(name: "wide") { versions(first: 10) { nodes { version metric(name: "accuracy") metrics { key value } } } } again: modelVersion(name: "wide", version: "4") { metric(name: "accuracy") } }',
      );
      expect(body.errors).toBeUndefined();
      expect(body.data.again.metric).toBe(0.54);
      expect(standin.calls.get('ListModelEvaluations')).toBe(10);
      // One display-name lookup per adapter call, whatever the number of versions; no per-version GetModel.
      expect(standin.calls.get('ListModelVersions')).toBeLessThanOrEqual(2);
      expect(standin.calls.get('ListModels')).toBeLessThanOrEqual(5);
      expect(standin.calls.get('GetModel') ?? 0).toBeLessThanOrEqual(1);
    } finally {
      await test.stop();
      await standin.stop();
    }
  });
});
