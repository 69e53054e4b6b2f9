import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { status } from '@grpc/grpc-js';
import type { v1 } from '@google-cloud/aiplatform';
import { startVertexStandin, type VertexStandin } from './vertex-standin.ts';
import { standinModelClient } from './vertex-client.ts';

const PARENT = 'projects/test-project/locations/us-central1';

/** The stand-in's own tests: each rule it claims from model_service.proto, through Google's client. */
describe('Vertex stand-in (ModelService from Google protos)', () => {
  let standin: VertexStandin;
  let client: v1.ModelServiceClient;

  beforeAll(async () => {
    standin = await startVertexStandin();
    client = standinModelClient(standin);
  });
  afterAll(async () => {
    await client.close();
    await standin.stop();
  });
  beforeEach(() => standin.reset());

  async function upload(displayName: string, extra: Record<string, unknown> = {}, parentModel?: string) {
    const [operation] = await client.uploadModel({ parent: PARENT, parentModel, model: { displayName, ...extra } });
    const [response] = await operation.promise();
    return response as { model: string; modelVersionId: string };
  }

  async function rejects(call: Promise<unknown>, code: status) {
    const error = (await call.then(
      () => {
        throw new Error(`expected gRPC status ${code}`);
      },
      (e: unknown) => e,
    )) as { code?: number };
    expect(error.code).toBe(code);
  }

  it('uploads a model as a long-running operation that GetOperation also serves', async () => {
    const [operation] = await client.uploadModel({ parent: PARENT, model: { displayName: 'churn' } });
    expect(operation.name).toMatch(/^projects\/test-project\/locations\/us-central1\/operations\/\d+$/);
    const [response] = await operation.promise();
    expect(response).toMatchObject({ model: expect.stringMatching(/\/models\/\d+$/), modelVersionId: '1' });
    const checked = await client.checkUploadModelProgress(operation.name!);
    expect(checked.done).toBe(true);
  });

  it('numbers versions as strings from 1; parent_model adds a version; the first holds default', async () => {
    const first = await upload('churn');
    const second = await upload('churn', {}, first.model);
    expect(second).toEqual({ model: first.model, modelVersionId: '2' });
    const [latest] = await client.getModel({ name: `${first.model}@2` });
    expect(latest.versionAliases).toEqual([]);
    const [byDefault] = await client.getModel({ name: first.model });
    expect(byDefault).toMatchObject({ versionId: '1', versionAliases: ['default'] });
    const [viaAlias] = await client.getModel({ name: `${first.model}@default` });
    expect(viaAlias.versionId).toBe('1');
  });

  it('keeps exactly one version on default, moving it when asked', async () => {
    const first = await upload('m');
    await upload('m', { versionAliases: ['default'] }, first.model);
    const [versions] = await client.listModelVersions({ name: first.model });
    expect(versions.map((v) => [v.versionId, v.versionAliases])).toEqual([
      ['1', []],
      ['2', ['default']],
    ]);
    await rejects(client.mergeVersionAliases({ name: `${first.model}@2`, versionAliases: ['-default'] }), status.INVALID_ARGUMENT);
  });

  it('applies aliases by the documented pattern, moves them, and removes them with -alias', async () => {
    const { model } = await upload('m');
    await upload('m', {}, model);
    await client.mergeVersionAliases({ name: `${model}@1`, versionAliases: ['production', 'champion-2'] });
    const [moved] = await client.mergeVersionAliases({ name: `${model}@2`, versionAliases: ['production'] });
    expect(moved.versionAliases).toEqual(['production']);
    const [one] = await client.getModel({ name: `${model}@1` });
    expect(one.versionAliases).toEqual(['default', 'champion-2']);
    const [removed] = await client.mergeVersionAliases({ name: `${model}@1`, versionAliases: ['-champion-2'] });
    expect(removed.versionAliases).toEqual(['default']);
    for (const bad of ['Prod', '1abc', 'ends-', 'a', 'has_underscore', '42']) {
      await rejects(client.mergeVersionAliases({ name: `${model}@1`, versionAliases: [bad] }), status.INVALID_ARGUMENT);
    }
  });

  it('honours update_mask and refuses mixing model and version fields', async () => {
    const { model } = await upload('m', { description: 'old', labels: { team: 'a' } });
    const [updated] = await client.updateModel({ model: { name: model, description: 'new', displayName: 'ignored' }, updateMask: { paths: ['description'] } });
    expect(updated).toMatchObject({ description: 'new', displayName: 'm' });
    const [versioned] = await client.updateModel({ model: { name: `${model}@1`, versionDescription: 'v1', labels: { stage: 'x' } }, updateMask: { paths: ['version_description', 'labels'] } });
    expect(versioned).toMatchObject({ versionDescription: 'v1', labels: { stage: 'x' } });
    const [modelLabels] = await client.updateModel({ model: { name: model, labels: { owner: 'b' } }, updateMask: { paths: ['labels'] } });
    expect(modelLabels.labels).toEqual({ owner: 'b', stage: 'x' });
    await rejects(client.updateModel({ model: { name: `${model}@1`, description: 'x' }, updateMask: { paths: ['description'] } }), status.FAILED_PRECONDITION);
    await rejects(client.updateModel({ model: { name: model, versionDescription: 'x' }, updateMask: { paths: ['version_description'] } }), status.FAILED_PRECONDITION);
    await rejects(client.updateModel({ model: { name: model, description: 'x' }, updateMask: { paths: [] } }), status.INVALID_ARGUMENT);
    await rejects(client.updateModel({ model: { name: `${model}@1`, labels: { Bad: 'x' } }, updateMask: { paths: ['labels'] } }), status.INVALID_ARGUMENT);
  });

  it('refuses to delete the only version, or the default one', async () => {
    const { model } = await upload('m');
    await rejects(client.deleteModelVersion({ name: `${model}@1` }), status.FAILED_PRECONDITION);
    await upload('m', {}, model);
    await rejects(client.deleteModelVersion({ name: `${model}@1` }), status.FAILED_PRECONDITION);
    const [operation] = await client.deleteModelVersion({ name: `${model}@2` });
    await operation.promise();
    await rejects(client.getModel({ name: `${model}@2` }), status.NOT_FOUND);
    const third = await upload('m', {}, model);
    expect(third.modelVersionId).toBe('3');
  });

  it('filters ListModels on display_name and labels with escaped literals, and pages to an empty token', async () => {
    for (const name of ['a', 'b', 'say "hi"', 'back\\slash', 'c']) await upload(name, { labels: { team: name === 'c' ? 'x' : 'y' } });
    const [quoted] = await client.listModels({ parent: PARENT, filter: 'display_name="say \\"hi\\""' });
    expect(quoted.map((m) => m.displayName)).toEqual(['say "hi"']);
    const [slashed] = await client.listModels({ parent: PARENT, filter: 'display_name="back\\\\slash"' });
    expect(slashed.map((m) => m.displayName)).toEqual(['back\\slash']);
    const [labelled] = await client.listModels({ parent: PARENT, filter: 'labels.team="x"' });
    expect(labelled.map((m) => m.displayName)).toEqual(['c']);
    const [page1, , raw1] = await client.listModels({ parent: PARENT, pageSize: 2 }, { autoPaginate: false });
    expect(page1).toHaveLength(2);
    expect(raw1?.nextPageToken).not.toBe('');
    const [all] = await client.listModels({ parent: PARENT });
    expect(all).toHaveLength(5);
    const [last, , rawLast] = await client.listModels({ parent: PARENT, pageSize: 5 }, { autoPaginate: false });
    expect(last).toHaveLength(5);
    expect(rawLast?.nextPageToken).toBe('');
    await rejects(client.listModels({ parent: PARENT, filter: 'display_name="open' }), status.INVALID_ARGUMENT);
    const [ordered] = await client.listModels({ parent: PARENT, orderBy: 'display_name desc' });
    expect(ordered.map((m) => m.displayName)).toEqual(['say "hi"', 'c', 'back\\slash', 'b', 'a']);
    await rejects(client.listModels({ parent: PARENT, orderBy: 'colour' }), status.INVALID_ARGUMENT);
  });

  it('stores model evaluations per version with their metrics struct', async () => {
    const { model } = await upload('m');
    await client.importModelEvaluation({
      parent: `${model}@1`,
      modelEvaluation: { displayName: 'eval', metrics: { structValue: { fields: { accuracy: { numberValue: 0.91 } } } } },
    });
    const [evaluations] = await client.listModelEvaluations({ parent: `${model}@1` });
    expect(evaluations[0]?.metrics?.structValue?.fields?.accuracy?.numberValue).toBe(0.91);
  });

  it('answers NOT_FOUND for missing models and versions, and can be made UNAVAILABLE', async () => {
    await rejects(client.getModel({ name: `${PARENT}/models/999` }), status.NOT_FOUND);
    const { model } = await upload('m');
    await rejects(client.getModel({ name: `${model}@7` }), status.NOT_FOUND);
    standin.faults.unavailable = true;
    await rejects(client.getModel({ name: model }), status.UNAVAILABLE);
  });
});
