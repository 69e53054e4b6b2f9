import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LocalRegistry } from '../../adapters/local/index.ts';
import { VersionsWithMetricsDocument } from '@modelgate/client';
import { countingAdapter } from '../support/counting-adapter.ts';
import { postGraphQL, startTestGateway, type TestGateway } from '../support/gateway.ts';

describe('per-request batching', () => {
  let test: TestGateway;
  let counter: ReturnType<typeof countingAdapter>;

  beforeAll(async () => {
    test = await startTestGateway({
      adapters: (dir) => {
        const local = new LocalRegistry({ id: 'local', path: join(dir, 'local.db') });
        counter = countingAdapter(local);
        return [counter.adapter];
      },
    });
    await counter.adapter.createModel({ name: 'wide' });
    for (let i = 1; i <= 50; i++) {
      await counter.adapter.createVersion({ name: 'wide', metrics: { accuracy: 0.5 + i / 200, loss: 1 / i } });
    }
  });
  afterAll(() => test.stop());
  beforeEach(() => counter.reset());

  it('reads 50 versions and their metrics in one list call and one metrics call', async () => {
    const { model } = await test.client.request(VersionsWithMetricsDocument, { name: 'wide', first: 50 });
    expect(model?.versions.nodes).toHaveLength(50);
    expect(model?.versions.nodes[0]).toMatchObject({ version: '50', accuracy: 0.75 });
    // The page's versions prove the model exists: no model lookup for a selection of its name and versions.
    expect(Object.fromEntries(counter.calls)).toEqual({ listVersions: 1, getMetrics: 1 });
  });

  it('batches 50 separate modelVersion lookups into one getVersions and one getMetrics', async () => {
    const fields = Array.from(
      { length: 50 },
      (_, i) => `v${i + 1}: modelVersion(name: "wide", version: "${i + 1}") { version metric(name: "loss") model { name } }`,
    );
    const { body } = await postGraphQL(test.url, `{ ${fields.join('\n')} }`);
    expect(body.errors).toBeUndefined();
    expect(body.data.v7).toEqual({ version: '7', metric: 1 / 7, model: { name: 'wide' } });
    expect(Object.fromEntries(counter.calls)).toEqual({ getVersions: 1, getMetrics: 1, getModel: 1 });
  });

  it('fetches latest versions for a page of models in one call', async () => {
    for (const name of ['m-a', 'm-b', 'm-c']) {
      await counter.adapter.createModel({ name });
      await counter.adapter.createVersion({ name });
    }
    counter.reset();
    const { body } = await postGraphQL(test.url, '{ models(filter: {namePrefix: "m-"}) { nodes { name productionVersion { version } latestVersions { version stage } } } }');
    expect(body.errors).toBeUndefined();
    expect(body.data.models.nodes).toHaveLength(3);
    expect(Object.fromEntries(counter.calls)).toEqual({ listModels: 1, latestVersions: 1 });
  });
});
