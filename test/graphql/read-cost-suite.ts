import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { enforceInputRules, type RegistryAdapter } from '../../src/core/index.ts';
import { countingAdapter } from '../support/counting-adapter.ts';
import { postGraphQL, startTestGateway, type TestGateway } from '../support/gateway.ts';
import { artifactUri } from '../support/artifacts.ts';
import { scaled } from '../support/time-scale.ts';

export interface ReadCostSubject {
  adapter: RegistryAdapter;
  teardown?: () => Promise<void>;
  /**
   * The backend's own calls (SQL statements, HTTP requests, RPCs) since the last reset, where the
   * adapter or the peer reports them; `reset` where emptying `calls` is not how they are cleared.
   */
  backend?: { readonly calls: string[]; reset?(): void };
}

/** Backend calls per query shape, where the subject reports them (see `backend`): the calls, or how many. */
export interface BackendCost {
  leanPage?: string[] | number;
  fullPage?: string[] | number;
  oneVersion?: string[] | number;
  modelWithAliases?: string[] | number;
  versionWithModel?: string[] | number;
}

function expectBackend(subject: ReadCostSubject, expected: string[] | number | undefined): void {
  if (expected === undefined) return;
  const calls = subject.backend!.calls;
  if (typeof expected === 'number') expect(calls, calls.join('\n')).toHaveLength(expected);
  else expect(calls).toEqual(expected);
}

const LEAN_PAGE = `query ($name: String!) { model(name: $name) { name versions(first: 50) { nodes { version stage metric(name: "accuracy") } } } }`;
const FULL_PAGE = `query ($name: String!) { model(name: $name) { name tags { key value } aliases { alias version }
  versions(first: 50) { edges { node { version tags { key value } aliases metrics { key value } params { key value } } } } } }`;
const ONE_VERSION = `query ($name: String!) { modelVersion(name: $name, version: "2") { version metric(name: "accuracy") params { key value } } }`;
const MODEL_WITH_ALIASES = `query ($name: String!) { model(name: $name) { name aliases { alias version } } }`;
const VERSION_WITH_MODEL = `query ($name: String!) { modelVersion(name: $name, version: "2") { version aliases tag(key: "framework")
  model { name tags { key value } } } }`;

/**
 * Pins how many port calls (and, where reported, backend calls) each query shape costs, so a
 * regression fails here rather than in a benchmark: details are read only when selected, a
 * model is looked up once per request, and lists read their metrics in one batch.
 */
export function defineReadCostSuite(name: string, setup: () => Promise<ReadCostSubject>, backendCost: BackendCost = {}): void {
  describe(`read cost per query shape: ${name}`, () => {
    let subject: ReadCostSubject;
    let counter: ReturnType<typeof countingAdapter>;
    let test: TestGateway;
    const model = `cost-${randomUUID().slice(0, 8)}`;

    const query = async (document: string) => {
      counter.reset();
      if (subject.backend?.reset) subject.backend.reset();
      else if (subject.backend) subject.backend.calls.length = 0;
      const { body } = await postGraphQL(test.url, document, { name: model });
      expect(body.errors).toBeUndefined();
      return body.data;
    };

    beforeAll(async () => {
      subject = await setup();
      counter = countingAdapter(subject.adapter);
      test = await startTestGateway({ adapters: () => [counter.adapter] });
      const registry = enforceInputRules(subject.adapter);
      const modelTags = { team: 'a' };
      if (registry.capabilities().modelWithoutVersions) await registry.createModel({ name: model, tags: modelTags });
      for (let v = 1; v <= 3; v++) {
        await registry.createVersion({
          name: model,
          source: artifactUri(registry, `bucket/${model}/${v}`),
          tags: { framework: 'sklearn' },
          metrics: { accuracy: [0.81, 0.82, 0.83][v - 1]! },
          params: { alpha: String(v) },
          ...(v === 1 && !registry.capabilities().modelWithoutVersions ? { createModel: { tags: modelTags } } : {}),
        });
      }
      await registry.setAlias(model, 'champion', '2');
      // Warm what adapters cache across requests (MLflow's experiment list), so counts are per request.
      await postGraphQL(test.url, FULL_PAGE, { name: model });
    }, scaled(120_000));
    afterAll(async () => {
      await test?.stop();
      await subject?.teardown?.();
    });
    beforeEach(() => counter.reset());

    /** The cursor of the oldest version: a page after it is empty. */
    const lastCursor = async () => {
      const { body } = await postGraphQL(test.url, `query ($name: String!) { model(name: $name) { versions(first: 50) { pageInfo { endCursor } } } }`, { name: model });
      return body.data.model.versions.pageInfo.endCursor as string;
    };

    it('a page of versions with one metric: one list, one metrics batch, no model lookup (a version proves the model)', async () => {
      const data = await query(LEAN_PAGE);
      expect(data.model.name).toBe(model);
      expect(data.model.versions.nodes.map((v: { version: string }) => v.version)).toEqual(['3', '2', '1']);
      expect(data.model.versions.nodes[2]).toMatchObject({ version: '1', metric: 0.81 });
      expect(Object.fromEntries(counter.calls)).toEqual({ listVersions: 1, getMetrics: 1 });
      expectBackend(subject, backendCost.leanPage);
    });

    it('the same shape for an absent model answers null; an empty page looks the model up', async () => {
      const absent = await postGraphQL(test.url, LEAN_PAGE, { name: `${model}-absent` });
      expect(absent.body).toEqual({ data: { model: null } });
      const after = await lastCursor();
      const empty = await query(LEAN_PAGE.replace('versions(first: 50)', `versions(first: 50, after: "${after}")`));
      expect(empty.model).toEqual({ name: model, versions: { nodes: [] } });
      expect(counter.calls.get('getModel')).toBe(1);
    });

    it('every detail selected: the same three calls, and every detail is right', async () => {
      const data = await query(FULL_PAGE);
      expect(data.model).toMatchObject({ tags: [{ key: 'team', value: 'a' }], aliases: [{ alias: 'champion', version: '2' }] });
      const nodes = data.model.versions.edges.map((edge: { node: unknown }) => edge.node);
      expect(nodes[1]).toEqual({
        version: '2',
        tags: [{ key: 'framework', value: 'sklearn' }],
        aliases: ['champion'],
        metrics: [{ key: 'accuracy', value: 0.82 }],
        params: [{ key: 'alpha', value: '2' }],
      });
      expect(nodes[0].aliases).toEqual([]);
      expect(Object.fromEntries(counter.calls)).toEqual({ getModel: 1, listVersions: 1, getMetrics: 1 });
      expectBackend(subject, backendCost.fullPage);
    });

    it('one version with a metric and params: one version read, one metrics read', async () => {
      const data = await query(ONE_VERSION);
      expect(data.modelVersion).toEqual({ version: '2', metric: 0.82, params: [{ key: 'alpha', value: '2' }] });
      expect(Object.fromEntries(counter.calls)).toEqual({ getVersions: 1, getMetrics: 1 });
      expectBackend(subject, backendCost.oneVersion);
    });

    it("one version with its aliases and its model's tags: the model is looked up once", async () => {
      const data = await query(VERSION_WITH_MODEL);
      expect(data.modelVersion).toEqual({ version: '2', aliases: ['champion'], tag: 'sklearn', model: { name: model, tags: [{ key: 'team', value: 'a' }] } });
      expect(Object.fromEntries(counter.calls)).toEqual({ getVersions: 1, getModel: 1 });
      expectBackend(subject, backendCost.versionWithModel);
    });

    it('a model with its aliases: one model lookup', async () => {
      const data = await query(MODEL_WITH_ALIASES);
      expect(data.model).toEqual({ name: model, aliases: [{ alias: 'champion', version: '2' }] });
      expect(Object.fromEntries(counter.calls)).toEqual({ getModel: 1 });
      expectBackend(subject, backendCost.modelWithAliases);
    });
  });
}
