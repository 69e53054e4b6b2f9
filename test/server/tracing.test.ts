import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { resolveConfig } from '../../src/server/config.ts';
import { startGateway, type RunningGateway } from '../../src/server/gateway.ts';
import { postGraphQL } from '../support/gateway.ts';
import { startOtlpReceiver, startRecordingProxy, type ReceivedSpan } from '../support/otlp-receiver.ts';

const OTEL_KEYS = ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_BSP_SCHEDULE_DELAY', 'OTEL_SERVICE_NAME'];
const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';

/** A gateway over the real MLflow server, reached through a proxy that records every request's headers. */
async function gatewayOverMlflow(trackingUri: string) {
  const dataDir = mkdtempSync(join(tmpdir(), 'modelgate-traces-'));
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) logs.push(JSON.parse(line));
      done();
    },
  });
  const config = resolveConfig(
    {
      server: { port: 0 },
      registries: [{ id: 'mlflow', kind: 'mlflow', trackingUri, resilience: { deadlineMs: 30_000, failureThreshold: 50, cooldownMs: 1_000 } }],
      policies: [{ models: 'Traced*', stage: 'STAGING', gates: { tags: ['validated'] } }],
    },
    { dataDir },
  );
  const gateway: RunningGateway = await startGateway(config, { log: pino({ level: 'info' }, sink) });
  return {
    gateway,
    logs,
    async stop() {
      await gateway.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The access log line is written when the response has finished, which can be just after the client has it. */
async function accessLine(logs: Record<string, unknown>[], operation: string): Promise<Record<string, unknown>> {
  for (let waited = 0; waited < 5_000; waited += 20) {
    const line = logs.find((entry) => entry.msg === 'request' && entry.operation === operation);
    if (line) return line;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no access log line for ${operation}`);
}

const register = (name: string) =>
  `mutation { registerVersion(registry: "mlflow", name: "${name}", source: "s3://bucket/${name}/1", tags: [{ key: "validated", value: "yes" }]) { version } }`;
const promote = (name: string) => `mutation PromoteTraced { promote(registry: "mlflow", name: "${name}", version: "1", targetStage: STAGING) { status version { stage } } }`;

describe('OpenTelemetry traces across a promotion on MLflow', () => {
  const saved = Object.fromEntries(OTEL_KEYS.map((key) => [key, process.env[key]]));
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let proxy: Awaited<ReturnType<typeof startRecordingProxy>>;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    proxy = await startRecordingProxy(inject('mlflowUrl'));
  });
  afterAll(async () => {
    for (const [key, value] of Object.entries(saved)) if (value === undefined) delete process.env[key];
    else process.env[key] = value;
    await proxy?.stop();
    await receiver?.stop();
  });

  it('sends no span and no traceparent when no OTLP endpoint is configured', async () => {
    for (const key of OTEL_KEYS) delete process.env[key];
    const test = await gatewayOverMlflow(proxy.url);
    try {
      const name = `TracedOff${Date.now()}`;
      expect((await postGraphQL(test.gateway.url, register(name))).body.errors).toBeUndefined();
      const traceparent = `00-${CALLER_TRACE}-${CALLER_SPAN}-01`;
      expect((await postGraphQL(test.gateway.url, promote(name), undefined, { traceparent })).body.data.promote.status).toBe('PROMOTED');
      const forModel = proxy.seen.filter((r) => r.path.includes('model-versions') || r.path.includes('registered-models'));
      expect(forModel.length).toBeGreaterThan(0);
      expect(forModel.every((r) => r.headers.traceparent === undefined)).toBe(true);
      const access = await accessLine(test.logs, 'PromoteTraced');
      expect(access.traceId).toBeUndefined();
    } finally {
      await test.stop();
    }
    expect(receiver.spans).toEqual([]);
  }, 120_000);

  it('exports operation → workflow → backend call spans continuing the caller\'s trace, and MLflow receives traceparent', async () => {
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
    process.env.OTEL_BSP_SCHEDULE_DELAY = '100';
    process.env.OTEL_SERVICE_NAME = 'modelgate-under-test';
    proxy.seen.length = 0;
    const test = await gatewayOverMlflow(proxy.url);
    const name = `TracedOn${Date.now()}`;
    let spans: ReceivedSpan[];
    try {
      expect((await postGraphQL(test.gateway.url, register(name))).body.errors).toBeUndefined();
      proxy.seen.length = 0;
      const { body } = await postGraphQL(test.gateway.url, promote(name), undefined, { traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01` });
      expect(body.data.promote).toEqual({ status: 'PROMOTED', version: { stage: 'STAGING' } });
      spans = await receiver.waitFor((all) => all.some((s) => s.name === 'mutation PromoteTraced'));
      // The access log line names the operation and carries the trace id.
      const access = await accessLine(test.logs, 'PromoteTraced');
      expect(access.traceId).toBe(CALLER_TRACE);
    } finally {
      await test.stop(); // flushes the exporter
    }
    spans = receiver.spans.filter((s) => s.traceId === CALLER_TRACE);
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const children = (parent: ReceivedSpan) => spans.filter((s) => s.parentSpanId === parent.spanId);

    const operation = spans.find((s) => s.name === 'mutation PromoteTraced')!;
    expect(operation.parentSpanId).toBe(CALLER_SPAN);
    expect(operation.kind).toBe(2);
    expect(operation.service).toBe('modelgate-under-test');
    expect(operation.attributes).toMatchObject({
      'graphql.operation.type': 'mutation',
      'graphql.operation.name': 'PromoteTraced',
      'modelgate.principal': 'anonymous',
      'modelgate.result': 'OK',
      'http.response.status_code': 200,
    });

    const workflow = children(operation).find((s) => s.name === 'workflow promote')!;
    expect(workflow.attributes).toMatchObject({ 'modelgate.action': 'promote', 'modelgate.registry.id': 'mlflow', 'modelgate.model': name, 'modelgate.result': 'OK' });

    const underWorkflow = children(workflow);
    const names = underWorkflow.map((s) => s.name);
    expect(names).toContain('store.lock.wait');
    expect(names).toContain('mlflow.setStage');
    expect(underWorkflow.filter((s) => s.name === 'store.audit.append').map((s) => s.attributes['modelgate.audit.kind'])).toEqual(
      expect.arrayContaining(['intent', 'outcome']),
    );
    const setStage = underWorkflow.find((s) => s.name === 'mlflow.setStage')!;
    expect(setStage.kind).toBe(3);
    expect(setStage.attributes).toMatchObject({
      'modelgate.registry.id': 'mlflow',
      'modelgate.registry.kind': 'mlflow',
      'modelgate.registry.method': 'setStage',
      'modelgate.result': 'OK',
      'modelgate.registry.retries': 0,
    });
    // Every backend span of the promotion hangs under the workflow (or under the operation for the resolver's reads).
    for (const span of spans.filter((s) => s.name.startsWith('mlflow.'))) {
      expect([workflow.spanId, operation.spanId]).toContain(span.parentSpanId);
    }

    // MLflow's side: each request of the promotion carried the trace, parented on the backend call span that sent it.
    expect(proxy.seen.length).toBeGreaterThan(0);
    for (const request of proxy.seen) {
      const [version, traceId, parentId, flags] = String(request.headers.traceparent).split('-');
      expect({ version, traceId, flags }).toEqual({ version: '00', traceId: CALLER_TRACE, flags: '01' });
      expect(byId.get(parentId!)?.name).toMatch(/^mlflow\./);
    }
    const transition = proxy.seen.find((r) => r.path.includes('transition-stage'))!;
    expect(transition.headers.traceparent).toBe(`00-${CALLER_TRACE}-${setStage.spanId}-01`);
  }, 120_000);
});
