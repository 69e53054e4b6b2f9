import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { resolveConfig } from '../../src/server/config.ts';
import { startGateway, type RunningGateway } from '../../src/server/gateway.ts';
import { decodeTraceRequest } from '../support/otlp-protobuf.ts';
import { startOtlpReceiver, startRecordingProxy } from '../support/otlp-receiver.ts';
import { scaled, until } from '../support/time-scale.ts';

const OTEL_KEYS = ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_BSP_SCHEDULE_DELAY', 'OTEL_BSP_MAX_QUEUE_SIZE', 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 'OTEL_BSP_EXPORT_TIMEOUT', 'OTEL_EXPORTER_OTLP_TIMEOUT'];
const saved = Object.fromEntries(OTEL_KEYS.map((key) => [key, process.env[key]]));
const W3C = /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/;
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

let running: { gateway: RunningGateway; dataDir: string } | null = null;

/** A gateway with tracing on (OTEL_* as given), logs discarded. */
async function tracedGateway(env: Record<string, string>, config: Record<string, unknown>): Promise<RunningGateway> {
  for (const key of OTEL_KEYS) delete process.env[key];
  Object.assign(process.env, env);
  const dataDir = mkdtempSync(join(tmpdir(), 'modelgate-trace-attacks-'));
  const gateway = await startGateway(resolveConfig({ server: { port: 0 }, ...config }, { dataDir }), { log: pino({ level: 'silent' }) });
  running = { gateway, dataDir };
  return gateway;
}

afterEach(async () => {
  if (!running) return;
  await running.gateway.stop();
  rmSync(running.dataDir, { recursive: true, force: true });
  running = null;
});
afterAll(() => {
  for (const [key, value] of Object.entries(saved)) if (value === undefined) delete process.env[key];
  else process.env[key] = value;
});

/** POST with headers node's fetch would refuse or merge: repeated names, latin1 bytes. */
function rawPost(url: string, body: string, headers: Record<string, string | string[]>): Promise<{ status: number; json: { data?: any; errors?: any[] } }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('a hostile traceparent or tracestate never breaks a request and never reaches a backend unvalidated (real MLflow behind a recording proxy)', () => {
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let proxy: Awaited<ReturnType<typeof startRecordingProxy>>;
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    proxy = await startRecordingProxy(inject('mlflowUrl'));
  });
  afterAll(async () => {
    await proxy?.stop();
    await receiver?.stop();
  });

  const HOSTILE: [string, string | string[]][] = [
    ['all-zero trace id', `00-${'0'.repeat(32)}-${SPAN}-01`],
    ['all-zero parent id', `00-${TRACE}-${'0'.repeat(16)}-01`],
    ['version ff', `ff-${TRACE}-${SPAN}-01`],
    ['upper-case hex', `00-${TRACE.toUpperCase()}-${SPAN}-01`],
    ['version 00 with a fifth field', `00-${TRACE}-${SPAN}-01-${'a'.repeat(40)}`],
    ['8 KB of junk', `00-${TRACE}-${SPAN}-01${'x'.repeat(8_000)}`],
    ['two traceparent headers', [`00-${TRACE}-${SPAN}-01`, `00-${'1'.repeat(32)}-${SPAN}-01`]],
    ['a tab and latin1 bytes', `00-${TRACE}\t-${SPAN}-01\xff`],
  ];

  it('each malformed traceparent starts a fresh trace; MLflow gets only a well-formed traceparent of the gateway\'s own span', async () => {
    const gateway = await tracedGateway(
      { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '50' },
      { registries: [{ id: 'mlflow', kind: 'mlflow', trackingUri: proxy.url, resilience: { deadlineMs: scaled(30_000), failureThreshold: 50, cooldownMs: 1_000 } }] },
    );
    const query = JSON.stringify({ query: 'query Hostile { models(registry: "mlflow", first: 1) { nodes { name } } }' });
    for (const [why, traceparent] of HOSTILE) {
      proxy.seen.length = 0;
      const { status, json } = await rawPost(gateway.url, query, { traceparent, tracestate: 'vendor=abc' });
      expect({ why, status, errors: json.errors }).toEqual({ why, status: 200, errors: undefined });
      expect(proxy.seen.length).toBeGreaterThan(0);
      for (const sent of proxy.seen) {
        const header = String(sent.headers.traceparent);
        expect({ why, wellFormed: W3C.test(header) }).toEqual({ why, wellFormed: true });
        const [, traceId] = header.split('-');
        expect({ why, fresh: traceId !== TRACE && traceId !== '0'.repeat(32) && traceId !== '1'.repeat(32) }).toEqual({ why, fresh: true });
        // A caller's tracestate rides only on a trace it really continues.
        expect({ why, tracestate: sent.headers.tracestate }).toEqual({ why, tracestate: undefined });
      }
    }
    // No traceparent at all (the propagator is skipped then): a tracestate alone continues nothing and goes nowhere.
    proxy.seen.length = 0;
    const { status, json } = await rawPost(gateway.url, query, { tracestate: 'vendor=abc' });
    expect({ status, errors: json.errors }).toEqual({ status: 200, errors: undefined });
    expect(proxy.seen.length).toBeGreaterThan(0);
    for (const sent of proxy.seen) expect({ wellFormed: W3C.test(String(sent.headers.traceparent)), tracestate: sent.headers.tracestate }).toEqual({ wellFormed: true, tracestate: undefined });
  }, scaled(120_000));

  it('of a tracestate, only the members W3C allows reach MLflow: bad keys, non-ASCII, a lone surrogate\'s bytes and oversize members are dropped', async () => {
    const gateway = await tracedGateway(
      { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '50' },
      { registries: [{ id: 'mlflow', kind: 'mlflow', trackingUri: proxy.url, resilience: { deadlineMs: scaled(30_000), failureThreshold: 50, cooldownMs: 1_000 } }] },
    );
    // '\xed\xa0\x80' is how UTF-8 would spell the lone surrogate U+D800; HTTP headers arrive as latin1 bytes.
    const tracestate = `good=1,bad key=2,caf\xe9=3,x=\xed\xa0\x80,${'k'.repeat(300)}=v,also@vendor=ok`;
    proxy.seen.length = 0;
    const { status, json } = await rawPost(gateway.url, JSON.stringify({ query: '{ models(registry: "mlflow", first: 1) { nodes { name } } }' }), {
      traceparent: `00-${TRACE}-${SPAN}-01`,
      tracestate,
    });
    expect({ status, errors: json.errors }).toEqual({ status: 200, errors: undefined });
    expect(proxy.seen.length).toBeGreaterThan(0);
    for (const sent of proxy.seen) {
      expect(String(sent.headers.traceparent)).toMatch(new RegExp(`^00-${TRACE}-[0-9a-f]{16}-01$`));
      expect(sent.headers.tracestate).toBe('good=1,also@vendor=ok');
    }
  }, scaled(120_000));
});

/** An OTLP endpoint that holds every request open until released (or answers `status` at once). */
async function startCollector(behaviour: { hang: boolean; status: number }) {
  const held: ServerResponse[] = [];
  let spans = 0;
  let open = 0;
  let mostOpen = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    open++;
    mostOpen = Math.max(mostOpen, open);
    res.on('close', () => open--);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const answer = () => {
        for (const resource of decodeTraceRequest(Buffer.concat(chunks)).resourceSpans) for (const scope of resource.scopeSpans) spans += scope.spans.length;
        res.writeHead(behaviour.status, { 'content-type': 'application/x-protobuf' }).end();
      };
      if (behaviour.hang) held.push(Object.assign(res, { answer }));
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans: () => spans,
    mostOpen: () => mostOpen,
    release() {
      behaviour.hang = false;
      for (const res of held.splice(0)) (res as ServerResponse & { answer(): void }).answer();
    },
    stop: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

const catalogQuery = JSON.stringify({ query: 'query Catalog { models(first: 5) { nodes { name versions(first: 3) { nodes { version } } } } }' });

describe('an OTLP endpoint that hangs or fails never fails requests and never makes the gateway keep spans without bound', () => {
  it('while the collector hangs every request is answered; spans past the queue bound are dropped, not kept', async () => {
    const collector = await startCollector({ hang: true, status: 200 });
    try {
      const gateway = await tracedGateway(
        { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_BSP_SCHEDULE_DELAY: '20', OTEL_BSP_MAX_QUEUE_SIZE: '40', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '10', OTEL_BSP_EXPORT_TIMEOUT: '600000' },
        {},
      );
      // Well past the queue: at least two spans per request (the operation, the backend read).
      for (let i = 0; i < 120; i++) {
        const { status, json } = await rawPost(gateway.url, catalogQuery, {});
        expect({ status, errors: json.errors }).toEqual({ status: 200, errors: undefined });
      }
      // One export in flight at a time: the hung collector holds one connection, not one per batch.
      expect(collector.mostOpen()).toBe(1);
      collector.release();
      await gateway.stop(); // flushes what was kept
      running && rmSync(running.dataDir, { recursive: true, force: true });
      running = null;
      // What was kept: the queue (40) and the batch that was in flight (10), of the 240 or more made.
      expect(collector.spans()).toBeGreaterThan(0);
      expect(collector.spans()).toBeLessThanOrEqual(50);
    } finally {
      await collector.stop();
    }
  }, scaled(120_000));

  it('a collector answering 500 or 503 to every export changes no answer', async () => {
    for (const status of [500, 503]) {
      const collector = await startCollector({ hang: false, status });
      try {
        const gateway = await tracedGateway({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_BSP_SCHEDULE_DELAY: '20', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '10' }, {});
        for (let i = 0; i < 60; i++) {
          const { status: answered, json } = await rawPost(gateway.url, catalogQuery, {});
          expect({ status: answered, errors: json.errors }).toEqual({ status: 200, errors: undefined });
        }
        // Export is asynchronous (handed to the export thread, then batched): the collector sees spans a little after the answers.
        expect(await until(() => collector.spans() > 0, 5_000)).toBe(true);
      } finally {
        if (running) {
          await running.gateway.stop();
          rmSync(running.dataDir, { recursive: true, force: true });
          running = null;
        }
        await collector.stop();
      }
    }
  }, scaled(120_000));
});

describe('spans carry no secrets and no unbounded caller text', () => {
  it('no API key or Authorization value in any span; caller-chosen names and values are cut to 256 characters', async () => {
    const receiver = await startOtlpReceiver();
    const key = 'mg_secret_key_that_must_never_be_exported_0123456789';
    try {
      const gateway = await tracedGateway(
        { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '20' },
        { auth: { apiKeys: [{ name: 'ci-bot', sha256: createHash('sha256').update(key).digest('hex'), grants: [{ role: 'admin' }] }] } },
      );
      const longName = `Op${'x'.repeat(5_000)}`;
      const longModel = `M${'y'.repeat(5_000)}`;
      const headers = { authorization: `Bearer ${key}`, 'x-api-key': key };
      const read = await rawPost(gateway.url, JSON.stringify({ query: `query ${longName} { model(name: "${longModel}") { name } }` }), headers);
      expect(read.status).toBe(200);
      const write = await rawPost(gateway.url, JSON.stringify({ query: `mutation { createModel(name: "${longModel}", description: "d") { name } }` }), headers);
      expect(write.status).toBe(200);
      await running!.gateway.stop();
      rmSync(running!.dataDir, { recursive: true, force: true });
      running = null;
      const spans = receiver.spans;
      expect(spans.some((s) => s.name.startsWith('query Op'))).toBe(true);
      expect(spans.some((s) => s.name === 'workflow createModel')).toBe(true);
      for (const span of spans) {
        const everything = JSON.stringify(span);
        expect(everything).not.toContain(key);
        expect(span.name.length).toBeLessThanOrEqual(256);
        for (const value of Object.values(span.attributes)) if (typeof value === 'string') expect(value.length).toBeLessThanOrEqual(256);
        expect((span.status.message ?? '').length).toBeLessThanOrEqual(256);
      }
      expect(spans.find((s) => s.name.startsWith('query Op'))!.attributes['modelgate.principal']).toBe('ci-bot');
    } finally {
      await receiver.stop();
    }
  }, scaled(120_000));
});
