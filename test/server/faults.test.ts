import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalRegistry } from '../../adapters/local/index.ts';
import { MlflowRegistry } from '../../adapters/mlflow/index.ts';
import { withResilience } from '../../src/core/index.ts';
import { postGraphQL, startTestGateway, type TestGateway } from '../support/gateway.ts';
import { freePort } from '../support/peers/free-port.ts';
import { startMlflowServer, type MlflowServer } from '../support/peers/mlflow-server.ts';
import { scaled } from '../support/time-scale.ts';

describe('backend faults through the gateway', () => {
  let mlflow: MlflowServer;
  let test: TestGateway;
  let base: string;
  // Generous for a loaded machine: a single-worker MLflow can take seconds; a closed port fails at once anyway.
  const resilient = { deadlineMs: 20_000, failureThreshold: 50, cooldownMs: 1_000 };

  beforeAll(async () => {
    mlflow = await startMlflowServer();
    const closed = await freePort();
    test = await startTestGateway({
      adapters: (dir) => [
        withResilience(new LocalRegistry({ id: 'local', path: join(dir, 'local.db') }), resilient),
        withResilience(new MlflowRegistry({ id: 'mlflow', trackingUri: mlflow.url, readAttempts: 2, timeoutMs: scaled(15_000) }), resilient),
        withResilience(new MlflowRegistry({ id: 'gone', trackingUri: `http://127.0.0.1:${closed}`, readAttempts: 1 }), resilient),
      ],
    });
    base = test.url.replace(/\/graphql$/, '');
    for (const registry of ['local', 'mlflow']) {
      const { body } = await postGraphQL(test.url, `mutation { registerVersion(registry: "${registry}", name: "Shared", source: "s3://m/model") { version } }`);
      expect(body.errors).toBeUndefined();
    }
    // Its own MLflow server: its first start (database creation) alone took over 180 s on a loaded machine.
  }, scaled(480_000));
  afterAll(async () => {
    await test?.stop();
    await mlflow?.stop();
  });

  it('reports a registry on a closed port as unhealthy while the others answer', async () => {
    const { body } = await postGraphQL(test.url, '{ registries { id health { ok message } } model(name: "Shared") { name } }');
    expect(body.data.registries.map((r: { id: string; health: { ok: boolean } }) => [r.id, r.health.ok])).toEqual([
      ['local', true],
      ['mlflow', true],
      ['gone', false],
    ]);
    const gone = await postGraphQL(test.url, '{ model(registry: "gone", name: "Shared") { name } }');
    expect(gone.body.errors![0].extensions).toMatchObject({ code: 'BACKEND_UNAVAILABLE', registry: 'gone' });
  });

  it('says a write that outlived its deadline has an UNKNOWN outcome, and the write did land', async () => {
    const { createServer, request } = await import('node:http');
    // In front of the real MLflow: every request goes through at once; answers to writes come 1.5 s late.
    const late = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const upstream = request(`${mlflow.url}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
          const body: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => body.push(chunk));
          answer.on('end', () => {
            const reply = () => res.writeHead(answer.statusCode ?? 502, answer.headers).end(Buffer.concat(body));
            if (req.method === 'GET') reply();
            else setTimeout(reply, 1_500);
          });
        });
        upstream.end(Buffer.concat(chunks));
      });
    });
    await new Promise<void>((resolve) => late.listen(0, '127.0.0.1', resolve));
    const slow = await startTestGateway({
      adapters: () => [
        withResilience(new MlflowRegistry({ id: 'slow', trackingUri: `http://127.0.0.1:${(late.address() as { port: number }).port}` }), {
          deadlineMs: 500,
          failureThreshold: 5,
          cooldownMs: 1_000,
        }),
      ],
    });
    try {
      const { body } = await postGraphQL(slow.url, 'mutation { createModel(registry: "slow", name: "LateWrite") { name } }');
      expect(body.errors![0].extensions).toEqual({ code: 'BACKEND_UNAVAILABLE', registry: 'slow', outcome: 'UNKNOWN' });
      expect(body.errors![0].message).toContain('may have been applied');
      // The backend did apply it: UNKNOWN was the honest answer, not "failed".
      const landed = await postGraphQL(test.url, '{ model(registry: "mlflow", name: "LateWrite") { name } }');
      expect(landed.body.data.model).toEqual({ name: 'LateWrite' });
      const read = await postGraphQL(slow.url, '{ model(registry: "slow", name: "LateWrite") { name } }');
      expect(read.body.data.model).toEqual({ name: 'LateWrite' });
    } finally {
      await slow.stop();
      late.closeAllConnections();
      await new Promise((resolve) => late.close(resolve));
    }
  });

  it('keeps answering for the others when the MLflow server stops mid-suite', async () => {
    await mlflow.stop();
    const { body } = await postGraphQL(
      test.url,
      '{ local: model(registry: "local", name: "Shared") { name } ml: model(registry: "mlflow", name: "Shared") { name } }',
    );
    expect(body.data.local).toEqual({ name: 'Shared' });
    expect(body.data.ml).toBeNull();
    expect(body.errors![0].extensions).toMatchObject({ code: 'BACKEND_UNAVAILABLE', registry: 'mlflow' });
    const write = await postGraphQL(test.url, 'mutation { registerVersion(registry: "mlflow", name: "Shared", source: "s3://m/model") { version } }');
    expect(write.body.errors![0].extensions.code).toBe('BACKEND_UNAVAILABLE');
    const slots = await postGraphQL(test.url, '{ compareRegistries(name: "Shared") { registry found error { code } } }');
    expect(slots.body.data.compareRegistries).toEqual([
      { registry: 'local', found: true, error: null },
      { registry: 'mlflow', found: false, error: { code: 'BACKEND_UNAVAILABLE' } },
      { registry: 'gone', found: false, error: { code: 'BACKEND_UNAVAILABLE' } },
    ]);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);
    const masked = JSON.stringify(body);
    expect(masked).not.toMatch(/ECONNREFUSED.*at |\.ts:\d+/);
  });
});

describe('backend credentials stay out of logs and errors', () => {
  it('never shows the MLflow token, even when MLflow refuses it or fails', async () => {
    const { createServer } = await import('node:http');
    const token = 'mlflow-secret-token-9f2c77';
    let seen = '';
    let calls = 0;
    const stub = createServer((req, res) => {
      seen = req.headers.authorization ?? '';
      calls++;
      res.statusCode = calls % 2 ? 401 : 500;
      res.end(calls % 2 ? 'Unauthorized' : '<html>boom</html>');
    });
    await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
    const port = (stub.address() as { port: number }).port;
    const { resolveConfig } = await import('../../src/server/config.ts');
    const { startGateway } = await import('../../src/server/gateway.ts');
    const { pino } = await import('pino');
    const { Writable } = await import('node:stream');
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const logs: string[] = [];
    const sink = new Writable({ write: (chunk, _e, done) => (logs.push(String(chunk)), done()) });
    process.env.MODELGATE_TEST_MLFLOW_TOKEN = token;
    const gateway = await startGateway(
      resolveConfig(
        {
          server: { port: 0 },
          log: { level: 'debug' },
          registries: [{ id: 'ml', kind: 'mlflow', trackingUri: `http://127.0.0.1:${port}`, readAttempts: 1, auth: { type: 'bearer', tokenEnv: 'MODELGATE_TEST_MLFLOW_TOKEN' } }],
        },
        { dataDir: mkdtempSync(join(tmpdir(), 'modelgate-secret-')) },
      ),
      { log: pino({ level: 'debug' }, sink) },
    );
    try {
      for (const query of ['{ model(name: "x") { name } }', '{ model(name: "y") { name } }', 'mutation { createModel(name: "z") { name } }', '{ registries { health { ok message } } }']) {
        const { body } = await postGraphQL(gateway.url, query);
        expect(JSON.stringify(body)).not.toContain(token);
      }
      const audit = await postGraphQL(gateway.url, '{ auditLog { detail after } }');
      expect(JSON.stringify(audit.body)).not.toContain(token);
      expect(seen).toBe(`Bearer ${token}`);
      expect(logs.join('')).not.toContain(token);
    } finally {
      delete process.env.MODELGATE_TEST_MLFLOW_TOKEN;
      await gateway.stop();
      await new Promise((r) => stub.close(r));
    }
  });
});
