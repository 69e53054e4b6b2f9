import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../support/build.ts';
import { freePort, waitForHttp } from '../support/peers/free-port.ts';
import { scaled } from '../support/time-scale.ts';
import { subscribe, wsClient } from '../events/support.ts';

/*
 * Start-up cost is mostly modules loaded (issue 14): what a default gateway does not use must
 * not load. The compiled server runs with a preload that lists every module it loads.
 */

/** Modules a default start must not load, each cut on purpose (see bench/RESULTS.md, start-up). */
const NOT_AT_DEFAULT_START = {
  'the WebSocket server (until the first upgrade)': ['/node_modules/ws/', '/node_modules/graphql-ws/'],
  'the SageMaker adapter': ['/node_modules/@aws-sdk/client-sagemaker/', '/dist/adapters/sagemaker/'],
  'the Vertex adapter': ['/node_modules/@google-cloud/aiplatform/', '/node_modules/@grpc/grpc-js/', '/dist/adapters/vertex/'],
  'the MLflow adapter': ['/dist/adapters/mlflow/'],
  'the OpenTelemetry SDK (no OTLP endpoint)': ['/node_modules/@opentelemetry/sdk-trace-base/', '/node_modules/@opentelemetry/sdk-trace-node/', '/node_modules/@opentelemetry/exporter-trace-otlp-http/'],
  'the YAML parser (no config file)': ['/node_modules/yaml/'],
  'PostgreSQL and JWT (not configured)': ['/node_modules/pg/', '/node_modules/jose/'],
  // A second graphql (its .mjs files) came with graphql-query-complexity's ESM build.
  'a second copy of graphql': ['/node_modules/graphql/index.mjs'],
  // The CommonJS builds load in a third to a half of the ESM builds' CPU time.
  'ESM builds of Apollo, type-graphql, graphql-scalars': ['/@apollo/server/dist/esm/', '/type-graphql/build/esm/', '/graphql-scalars/esm/'],
};

interface Gateway {
  child: ChildProcess;
  port: number;
  url: string;
  loaded: () => string[];
  stop: () => Promise<number | null>;
}

async function startCompiled(args: string[], env: Record<string, string> = {}): Promise<Gateway> {
  const dir = mkdtempSync(join(tmpdir(), 'modelgate-modules-'));
  const list = join(dir, 'loaded.txt');
  writeFileSync(list, '');
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', './test/support/loaded-modules.mjs', 'dist/src/server/main.js', '--port', String(port), '--data-dir', join(dir, 'data'), ...args], {
    // No OTLP endpoint, no config file, no vitest NODE_ENV: a default start as a user runs it.
    env: { ...process.env, MODELGATE_CONFIG: '', NODE_ENV: '', OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '', MODELGATE_LOADED_MODULES: list, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await waitForHttp(`http://127.0.0.1:${port}/healthz`, 120_000, () => (child.exitCode !== null ? `exited ${child.exitCode}: ${stderr}` : null));
  } catch (error) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    child,
    port,
    url: `http://127.0.0.1:${port}/graphql`,
    loaded: () => readFileSync(list, 'utf8').split('\n').filter(Boolean),
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

const matching = (loaded: string[], fragments: string[]) => loaded.filter((path) => fragments.some((fragment) => path.includes(fragment)));

const post = (url: string, query: string) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) }).then((r) => r.json() as Promise<any>);

describe('what a default start loads (compiled, embedded registry)', () => {
  beforeAll(() => ensureBuilt(), scaled(600_000));

  it('loads none of the cut modules, serves GraphQL, and loads the WebSocket server on the first upgrade', { timeout: scaled(180_000) }, async () => {
    const gateway = await startCompiled([]);
    let loaded: string[];
    try {
      expect((await post(gateway.url, '{ registries { id kind } }')).data).toEqual({ registries: [{ id: 'local', kind: 'local' }] });
      expect(matching(gateway.loaded(), NOT_AT_DEFAULT_START['the WebSocket server (until the first upgrade)'])).toEqual([]);

      // The first upgrade is a client that resets its connection while the WebSocket server loads: nothing crashes.
      const raw = connect(gateway.port, '127.0.0.1', () => {
        raw.write(`GET /graphql HTTP/1.1\r\nHost: 127.0.0.1:${gateway.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n`);
        setTimeout(() => raw.resetAndDestroy(), 5);
      });
      raw.on('error', () => undefined);
      // Two clients whose upgrades arrive while it is still loading: both are served.
      const clients = [wsClient(gateway.url), wsClient(gateway.url)];
      const streams = clients.map((client) => subscribe(client, { name: 'FirstUpgrade' }));
      await new Promise((r) => setTimeout(r, scaled(1_000)));
      expect((await post(gateway.url, 'mutation { registerVersion(name: "FirstUpgrade", source: "s3://b/m") { version } }')).errors).toBeUndefined();
      for (const stream of streams) {
        expect((await stream.until(1, scaled(20_000))).map((e) => [e.type, e.model, e.version])).toEqual([['VERSION_REGISTERED', 'FirstUpgrade', '1']]);
      }
      await Promise.all(clients.map((client) => client.dispose()));
    } finally {
      expect(await gateway.stop()).toBe(0);
      loaded = gateway.loaded();
    }
    // The list sees both kinds of module: ESM (dist/, graphql-ws) and CommonJS (better-sqlite3, Apollo's build).
    expect(matching(loaded, ['/dist/src/server/main.js'])).not.toEqual([]);
    expect(matching(loaded, ['/node_modules/better-sqlite3/lib/'])).not.toEqual([]);
    expect(matching(loaded, ['/@apollo/server/dist/cjs/'])).not.toEqual([]);
    expect(matching(loaded, NOT_AT_DEFAULT_START['the WebSocket server (until the first upgrade)'])).not.toEqual([]);
    const { 'the WebSocket server (until the first upgrade)': _loadedOnUpgrade, ...never } = NOT_AT_DEFAULT_START;
    for (const [what, fragments] of Object.entries(never)) {
      expect(matching(loaded, fragments), what).toEqual([]);
    }
  });

  it('still loads each adapter, the YAML parser and the tracing SDK when configured', { timeout: scaled(180_000) }, async () => {
    // Nothing listens on these endpoints: adapters are built at start-up but not called until asked.
    const dir = mkdtempSync(join(tmpdir(), 'modelgate-modules-config-'));
    const config = join(dir, 'modelgate.yaml');
    writeFileSync(
      config,
      [
        'registries:',
        '  - { id: local, kind: local }',
        '  - { id: ml, kind: mlflow, trackingUri: "http://127.0.0.1:9" }',
        '  - { id: sm, kind: sagemaker, region: eu-west-1, endpoint: "http://127.0.0.1:9" }',
        '  - { id: gcp, kind: vertex, project: my-project-1, location: us-central1, apiEndpoint: "127.0.0.1:9" }',
        '',
      ].join('\n'),
    );
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const gateway = await startCompiled(['--config', config], { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' });
    const registries = await post(gateway.url, '{ registries { id kind } }');
    expect(await gateway.stop()).toBe(0);
    expect(registries.data.registries.map((r: { kind: string }) => r.kind)).toEqual(['local', 'mlflow', 'sagemaker', 'vertex']);
    const loaded = gateway.loaded();
    for (const what of ['the SageMaker adapter', 'the Vertex adapter', 'the MLflow adapter', 'the OpenTelemetry SDK (no OTLP endpoint)', 'the YAML parser (no config file)'] as const) {
      expect(matching(loaded, NOT_AT_DEFAULT_START[what]), what).not.toEqual([]);
    }
  });
});
