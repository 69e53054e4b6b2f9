import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MlflowRegistry } from '../../adapters/mlflow/index.ts';
import { ErrorCode, Stage, enforceInputRules, versionKeyId, type RegistryAdapter } from '../../src/core/index.ts';
import { expectCode } from '../contract/adapter-contract.ts';
import { freePort } from '../support/peers/free-port.ts';
import { scaled } from '../support/time-scale.ts';

/** The MLflow adapter against the real server, counting every HTTP request it sends. */
function countedRegistry(stageMode: 'stages' | 'aliases' = 'stages') {
  const requests: string[] = [];
  const adapter = new MlflowRegistry({
    id: 'mlflow',
    trackingUri: inject('mlflowUrl'), timeoutMs: scaled(60_000),
    stageMode,
    onRequest: (method, path) => requests.push(`${method} ${path.split('?')[0]}`),
  });
  return { registry: enforceInputRules(adapter), adapter, requests };
}

describe('MLflow adapter against a real server', () => {
  const run = randomUUID().slice(0, 8);
  const name = (label: string) => `mlflow-${run}-${label}`;
  let subject: ReturnType<typeof countedRegistry>;
  let registry: RegistryAdapter;

  beforeAll(() => {
    subject = countedRegistry();
    registry = subject.registry;
  });
  afterAll(() => subject.adapter.close());

  it('never lets a crafted name widen a search: x\' OR name LIKE \'%', async () => {
    const crafted = name(`x' OR name LIKE '%`);
    const others = [name('alpha'), name('beta'), name(`x`)];
    for (const model of [crafted, ...others]) {
      await registry.createModel({ name: model });
      await registry.createVersion({ name: model, source: 's3://m/1' });
    }
    expect((await registry.getModel(crafted))?.name).toBe(crafted);
    const byPrefix = await registry.listModels({ namePrefix: crafted }, { first: 50 });
    expect(byPrefix.items.map((m) => m.name)).toEqual([crafted]);
    const byContains = await registry.listModels({ nameContains: `${run}-x' OR name LIKE '%` }, { first: 50 });
    expect(byContains.items.map((m) => m.name)).toEqual([crafted]);
    const versions = await registry.listVersions(crafted, {}, { first: 50 });
    expect(versions.items.map((v) => `${v.name}/${v.version}`)).toEqual([`${crafted}/1`]);
  });

  it('reads the versions of a name that cannot be quoted, and only its own', async () => {
    const awkward = name(`a\\'"b`);
    const lookalikes = [name(`aX'"b`), name('a___b'), name(`a\\'"bc`)];
    for (const model of [awkward, ...lookalikes]) {
      await registry.createModel({ name: model });
      await registry.createVersion({ name: model, source: 's3://m/1' });
    }
    await registry.createVersion({ name: awkward, source: 's3://m/2' });
    const page = await registry.listVersions(awkward, {}, { first: 1 });
    expect(page.items.map((v) => `${v.name}/${v.version}`)).toEqual([`${awkward}/2`]);
    const rest = await registry.listVersions(awkward, {}, { first: 5, after: page.cursors[0]! });
    expect(rest.items.map((v) => `${v.name}/${v.version}`)).toEqual([`${awkward}/1`]);
    const batch = await registry.getVersions([
      { name: awkward, version: '1' },
      { name: awkward, version: '2' },
    ]);
    expect(batch.map((v) => v?.name)).toEqual([awkward, awkward]);
  });

  it('archives existing production versions atomically with MLflow\'s own flag', async () => {
    const model = name('archive');
    await registry.createModel({ name: model });
    for (let i = 0; i < 3; i++) await registry.createVersion({ name: model, source: 's3://m/model' });
    await registry.setStage({ name: model, version: '1' }, Stage.PRODUCTION);
    await registry.setStage({ name: model, version: '2' }, Stage.PRODUCTION);
    subject.requests.length = 0;
    await registry.setStage({ name: model, version: '3' }, Stage.PRODUCTION, { archiveExisting: true });
    expect(subject.requests).toEqual(['POST model-versions/transition-stage']);
    const stages = (await registry.listVersions(model, {}, { first: 5 })).items.map((v) => `${v.version}:${v.stage}`);
    expect(stages).toEqual(['3:PRODUCTION', '2:ARCHIVED', '1:ARCHIVED']);
  });

  it('fetches the metrics of 30 versions in one runs/search, each run once', async () => {
    const model = name('metrics');
    await registry.createModel({ name: model });
    for (let i = 1; i <= 30; i++) {
      await registry.createVersion({ name: model, source: 's3://m/model', metrics: { accuracy: i / 100, loss: 1 / i }, params: { i: String(i) } });
    }
    const page = await registry.listVersions(model, {}, { first: 50 });
    subject.requests.length = 0;
    const refs = page.items.map((v) => ({ name: v.name, version: v.version, runId: v.runId }));
    const metrics = await registry.getMetrics([...refs, ...refs]);
    // The experiment list is read once and then cached.
    expect(subject.requests.filter((r) => r !== 'POST experiments/search')).toEqual(['POST runs/search']);
    expect(metrics.get(versionKeyId({ name: model, version: '7' }))).toEqual({ metrics: { accuracy: 0.07, loss: 1 / 7 }, params: { i: '7' } });
    // 30 registrations with runs and metrics: over 60 s against MLflow on a loaded machine.
  }, scaled(300_000));

  it('looks the run up when only the version is known', async () => {
    const model = name('metrics');
    subject.requests.length = 0;
    const metrics = await registry.getMetrics([{ name: model, version: '3' }]);
    expect(metrics.get(versionKeyId({ name: model, version: '3' }))?.metrics.accuracy).toBe(0.03);
    // One run is one runs/get: no experiment list, no search.
    expect(subject.requests).toEqual(['GET model-versions/get', 'GET runs/get']);
  });

  it('finds a run whose experiment was created after the experiment list was read', async () => {
    const model = name('metrics');
    const [older] = await registry.getVersions([{ name: model, version: '1' }]);
    const olderRef = { name: model, version: '1', runId: older!.runId };
    await registry.getMetrics([olderRef, { name: model, version: '2' }]); // two runs: a search, which warms the experiment list
    const api = (path: string, body: unknown) =>
      fetch(`${inject('mlflowUrl')}/api/2.0/mlflow/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(
        (r) => r.json() as Promise<any>,
      );
    const { experiment_id } = await api('experiments/create', { name: `late-${run}` });
    const created = await api('runs/create', { experiment_id, start_time: Date.now() });
    const runId = created.run.info.run_id as string;
    await api('runs/log-metric', { run_id: runId, key: 'accuracy', value: 0.5, timestamp: Date.now(), step: 0 });
    const version = await registry.createVersion({ name: model, source: 's3://m/model', runId });
    subject.requests.length = 0;
    const metrics = await registry.getMetrics([olderRef, { name: model, version: version.version, runId }]);
    expect(metrics.get(versionKeyId(version))?.metrics).toEqual({ accuracy: 0.5 });
    expect(metrics.get(versionKeyId(olderRef))?.metrics.accuracy).toBe(0.01);
    expect(subject.requests).toEqual(['POST runs/search', 'GET runs/get']);
  });

  it('keeps stages in a tag and the staging/production aliases in aliases mode', async () => {
    const aliased = countedRegistry('aliases');
    const model = name('aliasmode');
    try {
      await aliased.registry.createModel({ name: model });
      for (let i = 0; i < 2; i++) await aliased.registry.createVersion({ name: model, source: 's3://m/model' });
      await aliased.registry.setStage({ name: model, version: '1' }, Stage.STAGING);
      await aliased.registry.setStage({ name: model, version: '2' }, Stage.STAGING);
      expect((await aliased.registry.getVersionByAlias(model, 'staging'))?.version).toBe('2');
      await aliased.registry.setStage({ name: model, version: '2' }, Stage.PRODUCTION);
      // The staging alias falls back to the newest version still in STAGING.
      expect((await aliased.registry.getVersionByAlias(model, 'staging'))?.version).toBe('1');
      expect((await aliased.registry.getVersionByAlias(model, 'production'))?.version).toBe('2');
      await aliased.registry.setStage({ name: model, version: '1' }, Stage.ARCHIVED);
      expect(await aliased.registry.getVersionByAlias(model, 'staging')).toBeNull();
      const [one] = await aliased.registry.getVersions([{ name: model, version: '1' }]);
      expect(one?.stage).toBe(Stage.ARCHIVED);
      expect(one?.tags).toEqual({});
      // Seen through the stages API of the same server, nothing moved: the mode only uses tags and aliases.
      const [raw] = await registry.getVersions([{ name: model, version: '1' }]);
      expect(raw?.stage).toBe(Stage.NONE);
      expect(raw?.tags).toEqual({ 'modelgate.stage': 'ARCHIVED' });
      await expectCode(aliased.registry.setAlias(model, 'production', '1'), ErrorCode.INVALID_INPUT);
      await expectCode(aliased.registry.setTags({ name: model, version: '1' }, { 'modelgate.stage': 'PRODUCTION' }, []), ErrorCode.INVALID_INPUT);
    } finally {
      await aliased.adapter.close();
    }
  });
});

/** A stand-in for failure modes a healthy MLflow will not produce on demand; bodies follow MLflow's error JSON. */
async function stubServer(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(r)) };
}

describe('MLflow adapter error mapping', () => {
  const cases: [string, number, unknown, ErrorCode][] = [
    ['RESOURCE_DOES_NOT_EXIST', 404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'Registered Model with name=x not found' }, ErrorCode.NOT_FOUND],
    ['RESOURCE_ALREADY_EXISTS', 400, { error_code: 'RESOURCE_ALREADY_EXISTS', message: 'Registered Model (name=x) already exists.' }, ErrorCode.ALREADY_EXISTS],
    ['INVALID_PARAMETER_VALUE', 400, { error_code: 'INVALID_PARAMETER_VALUE', message: 'bad' }, ErrorCode.INVALID_INPUT],
    ['HTTP 401', 401, 'Unauthorized', ErrorCode.UNAUTHENTICATED],
    ['HTTP 403', 403, { error_code: 'PERMISSION_DENIED', message: 'no' }, ErrorCode.FORBIDDEN],
    ['HTTP 500 HTML page', 500, '<html>Internal Server Error</html>', ErrorCode.BACKEND_UNAVAILABLE],
    ['HTTP 503', 503, 'upstream down', ErrorCode.BACKEND_UNAVAILABLE],
  ];

  it.each(cases)('maps %s to its code, naming the registry', async (_label, status, body, code) => {
    const stub = await stubServer((_req, res) => {
      res.statusCode = status;
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    });
    const adapter = new MlflowRegistry({ id: 'stubbed', trackingUri: stub.url, readAttempts: 1 });
    try {
      const error = await expectCode(adapter.createModel({ name: 'x' }), code);
      expect(error.registry).toBe('stubbed');
    } finally {
      await adapter.close();
      await stub.close();
    }
  });

  it('retries reads with backoff but sends a write only once', async () => {
    let gets = 0;
    let posts = 0;
    const stub = await stubServer((req, res) => {
      if (req.method === 'GET') {
        gets++;
        res.statusCode = gets < 3 ? 503 : 200;
        res.end(gets < 3 ? 'busy' : JSON.stringify({ registered_model: { name: 'x', creation_timestamp: 1 } }));
      } else {
        posts++;
        res.statusCode = 503;
        res.end('busy');
      }
    });
    const adapter = new MlflowRegistry({ id: 'stubbed', trackingUri: stub.url, readAttempts: 3 });
    try {
      expect((await adapter.getModel('x'))?.name).toBe('x');
      expect(gets).toBe(3);
      await expectCode(adapter.createModel({ name: 'x' }), ErrorCode.BACKEND_UNAVAILABLE);
      expect(posts).toBe(1);
    } finally {
      await adapter.close();
      await stub.close();
    }
  });

  it('gives BACKEND_UNAVAILABLE when the server does not answer in time', async () => {
    const stub = await stubServer(() => {
      /* never answers */
    });
    const adapter = new MlflowRegistry({ id: 'slow', trackingUri: stub.url, timeoutMs: 300, readAttempts: 1 });
    try {
      const error = await expectCode(adapter.getModel('x'), ErrorCode.BACKEND_UNAVAILABLE);
      expect(error.message).toContain('did not answer in time');
    } finally {
      await adapter.close();
      await stub.close();
    }
  });

  it('gives BACKEND_UNAVAILABLE with the registry when nothing listens', async () => {
    const port = await freePort();
    const adapter = new MlflowRegistry({ id: 'gone', trackingUri: `http://127.0.0.1:${port}`, readAttempts: 2 });
    try {
      const error = await expectCode(adapter.getModel('x'), ErrorCode.BACKEND_UNAVAILABLE);
      expect(error.registry).toBe('gone');
      expect(error.message).toContain('refused');
    } finally {
      await adapter.close();
    }
  });

  it('sends the bearer token on every request', async () => {
    const seen: (string | undefined)[] = [];
    const stub = await stubServer((req, res) => {
      seen.push(req.headers.authorization);
      res.end(JSON.stringify({ registered_models: [] }));
    });
    const adapter = new MlflowRegistry({ id: 'auth', trackingUri: stub.url, auth: { type: 'bearer', token: 's3cret-token' } });
    try {
      await adapter.listModels({}, { first: 5 });
      expect(seen).toEqual(['Bearer s3cret-token']);
    } finally {
      await adapter.close();
      await stub.close();
    }
  });
});

describe('MLflow through the gateway', () => {
  it('reads each run once per GraphQL request, however many fields ask for its metrics', async () => {
    const { startTestGateway, postGraphQL } = await import('../support/gateway.ts');
    const requests: string[] = [];
    const runIdsRead: string[] = [];
    const model = `gw-${randomUUID().slice(0, 8)}`;
    const onRequest = (method: string, path: string, body?: unknown) => {
      requests.push(`${method} ${path.split('?')[0]}`);
      const filter = (body as { filter?: string } | undefined)?.filter;
      if (path === 'runs/search' && filter) runIdsRead.push(...[...filter.matchAll(/'([^']+)'/g)].map((m) => m[1]!));
      if (path.startsWith('runs/get')) runIdsRead.push(new URLSearchParams(path.split('?')[1]).get('run_id')!);
    };
    const test = await startTestGateway({
      adapters: () => [new MlflowRegistry({ id: 'mlflow', trackingUri: inject('mlflowUrl'), timeoutMs: scaled(60_000), onRequest })],
    });
    try {
      await test.gateway.registries.get().createModel({ name: model });
      for (let i = 1; i <= 20; i++) {
        await test.gateway.registries.get().createVersion({ name: model, source: 's3://m/model', metrics: { accuracy: i / 100 } });
      }
      requests.length = 0;
      runIdsRead.length = 0;
      const { body } = await postGraphQL(
        test.url,
        `{ model(name: "${model}") { versions(first: 20) { nodes { version metrics { key value } accuracy: metric(name: "accuracy") } } }
           again: modelVersion(name: "${model}", version: "3") { metric(name: "accuracy") }
           compareVersions(name: "${model}", last: 20) { best { metric version } } }`,
      );
      expect(body.errors).toBeUndefined();
      expect(body.data.again.metric).toBe(0.03);
      expect(body.data.compareVersions.best).toEqual([{ metric: 'accuracy', version: '20' }]);
      // Batches read runs with runs/search; a run that a batch of one asked for alone comes by runs/get. Either way, once.
      expect(requests.filter((r) => r.includes('runs/')).every((r) => r === 'POST runs/search' || r === 'GET runs/get')).toBe(true);
      expect(runIdsRead).toHaveLength(20);
      expect(new Set(runIdsRead).size).toBe(20);
    } finally {
      await test.stop();
    }
  });
});
