import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalRegistry } from '../../adapters/local/index.ts';
import {
  CreateModelDocument,
  DeleteAliasDocument,
  DeleteTagsDocument,
  DeleteVersionDocument,
  GetModelDocument,
  GetVersionDocument,
  ListModelsDocument,
  ListVersionsDocument,
  RegisterVersionDocument,
  RegistriesDocument,
  ResolveVersionDocument,
  SetAliasDocument,
  SetTagsDocument,
  TransitionStageDocument,
  UpdateModelDocument,
  UpdateVersionDocument,
  type GatewayClient,
} from '@modelgate/client';
import { expectGatewayCode, postGraphQL, startTestGateway, type TestGateway } from '../support/gateway.ts';

describe('GraphQL API over the local registry', () => {
  let test: TestGateway;
  let client: GatewayClient;

  beforeAll(async () => {
    test = await startTestGateway({
      adapters: (dir) => [
        new LocalRegistry({ id: 'local', path: join(dir, 'local.db') }),
        new LocalRegistry({ id: 'archive', path: join(dir, 'archive.db') }),
      ],
    });
    client = test.client;
  });
  afterAll(() => test.stop());

  it('lists the configured registries, default first, with health and capabilities', async () => {
    const { registries } = await client.request(RegistriesDocument, {});
    expect(registries.map((r) => r.id)).toEqual(['local', 'archive']);
    expect(registries[0]).toMatchObject({
      kind: 'local',
      health: { ok: true },
      capabilities: { stages: 'NATIVE', aliases: 'NATIVE', archiveExistingAtomic: true, limits: { tagKey: { maxLength: 250 } } },
    });
  });

  it('registers versions, creating the model on first use, and reads them back', async () => {
    const first = await client.request(RegisterVersionDocument, {
      name: 'fraud',
      source: 's3://models/fraud/1',
      runId: 'abc123',
      description: 'first cut',
      tags: [{ key: 'framework', value: 'xgboost' }],
      metrics: [
        { key: 'accuracy', value: 0.91 },
        { key: 'auc', value: 0.95 },
      ],
      params: [{ key: 'depth', value: '6' }],
    });
    expect(first.registerVersion).toMatchObject({
      id: 'local:models:/fraud/1',
      uri: 'models:/fraud/1',
      version: '1',
      stage: 'NONE',
      status: 'READY',
      createdBy: 'anonymous',
      tags: [{ key: 'framework', value: 'xgboost' }],
    });
    const { modelVersion } = await client.request(GetVersionDocument, { name: 'fraud', version: '1' });
    expect(modelVersion?.metrics).toEqual([
      { key: 'accuracy', value: 0.91 },
      { key: 'auc', value: 0.95 },
    ]);
    expect(modelVersion?.params).toEqual([{ key: 'depth', value: '6' }]);
    expect(new Date(modelVersion!.createdAt).getTime()).toBeGreaterThan(0);
  });

  it('returns null for a missing model or version rather than an error', async () => {
    expect((await client.request(GetModelDocument, { name: 'nobody' })).model).toBeNull();
    expect((await client.request(GetVersionDocument, { name: 'fraud', version: '99' })).modelVersion).toBeNull();
  });

  it('keeps registries apart: the same name in two registries is two models', async () => {
    await client.request(CreateModelDocument, { registry: 'archive', name: 'fraud', description: 'old system' });
    const archived = await client.request(GetModelDocument, { registry: 'archive', name: 'fraud' });
    const current = await client.request(GetModelDocument, { name: 'fraud' });
    expect(archived.model?.description).toBe('old system');
    expect(archived.model?.registry).toBe('archive');
    expect(current.model?.description).toBeNull();
  });

  it('pages models with Relay cursors, every edge resumable', async () => {
    for (const suffix of ['a', 'b', 'c', 'd', 'e']) {
      await client.request(CreateModelDocument, { name: `page-${suffix}` });
    }
    const pageOne = await client.request(ListModelsDocument, { filter: { namePrefix: 'page-' }, first: 2 });
    expect(pageOne.models.edges.map((e) => e.node.name)).toEqual(['page-a', 'page-b']);
    expect(pageOne.models.pageInfo.hasNextPage).toBe(true);
    const pageTwo = await client.request(ListModelsDocument, { filter: { namePrefix: 'page-' }, first: 2, after: pageOne.models.pageInfo.endCursor });
    expect(pageTwo.models.edges.map((e) => e.node.name)).toEqual(['page-c', 'page-d']);
    const fromFirstEdge = await client.request(ListModelsDocument, { filter: { namePrefix: 'page-' }, first: 1, after: pageOne.models.edges[0]!.cursor });
    expect(fromFirstEdge.models.edges.map((e) => e.node.name)).toEqual(['page-b']);
    const last = await client.request(ListModelsDocument, { filter: { namePrefix: 'page-' }, first: 2, after: pageTwo.models.pageInfo.endCursor });
    expect(last.models.edges.map((e) => e.node.name)).toEqual(['page-e']);
    expect(last.models.pageInfo.hasNextPage).toBe(false);
  });

  it('refuses a page size over 200 or under 1 with INVALID_INPUT', async () => {
    await expectGatewayCode(client.request(ListModelsDocument, { first: 201 }), 'INVALID_INPUT');
    await expectGatewayCode(client.request(ListModelsDocument, { first: 0 }), 'INVALID_INPUT');
  });

  it('sets and deletes tags on models and versions, returning the new state', async () => {
    const onModel = await client.request(SetTagsDocument, { name: 'fraud', tags: [{ key: 'owner', value: 'risk-team' }] });
    expect(onModel.setTags.model.tags).toEqual([{ key: 'owner', value: 'risk-team' }]);
    expect(onModel.setTags.version).toBeNull();
    const onVersion = await client.request(SetTagsDocument, {
      name: 'fraud',
      version: '1',
      tags: [
        { key: 'validated', value: 'true' },
        { key: 'framework', value: 'lightgbm' },
      ],
    });
    expect(onVersion.setTags.version?.tags).toEqual([
      { key: 'framework', value: 'lightgbm' },
      { key: 'validated', value: 'true' },
    ]);
    const removed = await client.request(DeleteTagsDocument, { name: 'fraud', version: '1', keys: ['validated'] });
    expect(removed.deleteTags.version?.tags).toEqual([{ key: 'framework', value: 'lightgbm' }]);
  });

  it('refuses a tag key given twice and changes nothing', async () => {
    await expectGatewayCode(
      client.request(SetTagsDocument, {
        name: 'fraud',
        tags: [
          { key: 'dup', value: '1' },
          { key: 'dup', value: '2' },
        ],
      }),
      'INVALID_INPUT',
    );
    const { model } = await client.request(GetModelDocument, { name: 'fraud' });
    expect(model?.tags.map((t) => t.key)).not.toContain('dup');
  });

  it('moves an alias between versions and resolves it', async () => {
    await client.request(RegisterVersionDocument, { name: 'fraud' });
    await client.request(SetAliasDocument, { name: 'fraud', alias: 'champion', version: '1' });
    const moved = await client.request(SetAliasDocument, { name: 'fraud', alias: 'champion', version: '2' });
    expect(moved.setAlias.aliases).toEqual(['champion']);
    const resolved = await client.request(ResolveVersionDocument, { uri: 'models:/fraud@champion' });
    expect(resolved.resolveVersion.version).toBe('2');
    const { model } = await client.request(GetModelDocument, { name: 'fraud' });
    expect(model?.aliases).toEqual([{ alias: 'champion', version: '2' }]);
    await expectGatewayCode(client.request(SetAliasDocument, { name: 'fraud', alias: 'latest', version: '1' }), 'INVALID_INPUT');
    const removed = await client.request(DeleteAliasDocument, { name: 'fraud', alias: 'champion' });
    expect(removed.deleteAlias.aliases).toEqual([]);
    await expectGatewayCode(client.request(DeleteAliasDocument, { name: 'fraud', alias: 'champion' }), 'NOT_FOUND');
  });

  it('transitions stages, archiving the previous production version on request', async () => {
    await client.request(RegisterVersionDocument, { name: 'ranker' });
    await client.request(RegisterVersionDocument, { name: 'ranker' });
    await client.request(TransitionStageDocument, { name: 'ranker', version: '1', stage: 'PRODUCTION' });
    const result = await client.request(TransitionStageDocument, {
      name: 'ranker',
      version: '2',
      stage: 'PRODUCTION',
      archiveExisting: true,
    });
    expect(result.transitionStage.version.stage).toBe('PRODUCTION');
    expect(result.transitionStage.archived).toEqual([{ version: '1', stage: 'ARCHIVED' }]);
    const { model } = await client.request(GetModelDocument, { name: 'ranker' });
    expect(model?.productionVersion?.version).toBe('2');
    expect(model?.latestVersions).toEqual(
      expect.arrayContaining([
        { version: '1', stage: 'ARCHIVED' },
        { version: '2', stage: 'PRODUCTION' },
      ]),
    );
    const production = await client.request(ListVersionsDocument, { name: 'ranker', stages: ['PRODUCTION'] });
    expect(production.model?.versions.edges.map((e) => e.node.version)).toEqual(['2']);
  });

  it('resolves every URI form, with and without a registry prefix', async () => {
    await client.request(RegisterVersionDocument, { registry: 'archive', name: 'fraud' });
    const cases: [string, string, string][] = [
      ['models:/ranker/1', 'local', '1'],
      ['models:/ranker/production', 'local', '2'],
      ['models:/ranker/Production', 'local', '2'],
      ['models:/ranker/latest', 'local', '2'],
      ['local:models:/fraud/2', 'local', '2'],
      ['archive:models:/fraud/1', 'archive', '1'],
      ['archive:models:/fraud/latest', 'archive', '1'],
    ];
    for (const [uri, registry, version] of cases) {
      const { resolveVersion } = await client.request(ResolveVersionDocument, { uri });
      expect([uri, resolveVersion.registry, resolveVersion.version]).toEqual([uri, registry, version]);
    }
  });

  it('answers a URI that points at nothing with NOT_FOUND and a bad one with INVALID_INPUT', async () => {
    const missing = await expectGatewayCode(client.request(ResolveVersionDocument, { uri: 'models:/ranker/Staging' }), 'NOT_FOUND');
    expect(missing.message).toContain('STAGING');
    await expectGatewayCode(client.request(ResolveVersionDocument, { uri: 'models:/ranker/7' }), 'NOT_FOUND');
    const bad = await expectGatewayCode(client.request(ResolveVersionDocument, { uri: 's3://bucket/ranker' }), 'INVALID_INPUT');
    expect(bad.message).toContain('models:/<name>/<version>');
    const unknown = await expectGatewayCode(client.request(ResolveVersionDocument, { uri: 'nowhere:models:/ranker/1' }), 'NOT_FOUND');
    expect(unknown.message).toContain("No registry 'nowhere'");
  });

  it('updates descriptions of models and versions', async () => {
    const model = await client.request(UpdateModelDocument, { name: 'ranker', description: 'Ranks search results' });
    expect(model.updateModel.description).toBe('Ranks search results');
    const version = await client.request(UpdateVersionDocument, { name: 'ranker', version: '2', description: 'tuned' });
    expect(version.updateVersion.description).toBe('tuned');
  });

  it('deletes a version and never hands its number out again', async () => {
    await client.request(RegisterVersionDocument, { name: 'temp' });
    await client.request(RegisterVersionDocument, { name: 'temp' });
    await client.request(DeleteVersionDocument, { name: 'temp', version: '2' });
    const next = await client.request(RegisterVersionDocument, { name: 'temp' });
    expect(next.registerVersion.version).toBe('3');
  });

  it('maps each failure to its code and names the registry', async () => {
    const duplicate = await expectGatewayCode(client.request(CreateModelDocument, { name: 'fraud' }), 'ALREADY_EXISTS');
    expect(duplicate.registry).toBe('local');
    await expectGatewayCode(client.request(CreateModelDocument, { registry: 'nowhere', name: 'x' }), 'NOT_FOUND');
    await expectGatewayCode(client.request(TransitionStageDocument, { name: 'fraud', version: '42', stage: 'STAGING' }), 'NOT_FOUND');
    await expectGatewayCode(client.request(CreateModelDocument, { name: 'bad\u0007name' }), 'INVALID_INPUT');
    await expectGatewayCode(client.request(RegisterVersionDocument, { name: 'fraud', runId: 'not a run id!' }), 'INVALID_INPUT');
  });

  it('answers malformed and invalid operations with INVALID_INPUT', async () => {
    const syntax = await postGraphQL(test.url, '{ models { ');
    expect(syntax.body.errors?.[0]?.extensions?.code).toBe('INVALID_INPUT');
    const unknownField = await postGraphQL(test.url, '{ models { edges { node { colour } } } }');
    expect(unknownField.body.errors?.[0]?.extensions?.code).toBe('INVALID_INPUT');
    const badEnum = await postGraphQL(test.url, 'mutation { transitionStage(name: "fraud", version: "1", stage: LIVE) { version { stage } } }');
    expect(badEnum.body.errors?.[0]?.extensions?.code).toBe('INVALID_INPUT');
    const badVariable = await postGraphQL(test.url, 'query ($n: Int) { models(first: $n) { nodes { name } } }', { n: 'ten' });
    expect(badVariable.body.errors?.[0]?.extensions?.code).toBe('INVALID_INPUT');
    const loneSurrogate = await postGraphQL(test.url, 'mutation { createModel(name: "bad\\ud800") { name } }');
    expect(loneSurrogate.body.errors?.[0]?.extensions?.code).toBe('INVALID_INPUT');
  });
});
