import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { LocalRegistry } from '../../adapters/local/index.ts';
import { RegistrySet, enforceInputRules } from '../../src/core/index.ts';
import { verifyWebhook } from '../../src/events/webhooks/signature.ts';
import { resolveConfig } from '../../src/server/config.ts';
import { startGateway } from '../../src/server/gateway.ts';
import { postGraphQL } from '../support/gateway.ts';
import { freePort } from '../support/peers/free-port.ts';
import { eventually, startReceiver } from './receiver.ts';

const SECRET = 'whsec-test-0123456789';
process.env.MODELGATE_TEST_WEBHOOK_SECRET = SECRET;

/** A gateway on `dataDir` (kept across restarts) with the given webhooks; its logs are kept. */
async function gatewayWith(dataDir: string, webhooks: Record<string, unknown>[], port = 0) {
  const logs: string[] = [];
  const sink = new Writable({ write: (chunk, _e, done) => (logs.push(String(chunk)), done()) });
  const config = resolveConfig({ server: { port }, webhooks: webhooks.map((w) => ({ secretEnv: 'MODELGATE_TEST_WEBHOOK_SECRET', ...w })) }, { dataDir });
  const adapter = new LocalRegistry({ id: 'local', path: join(dataDir, 'local.db') });
  const gateway = await startGateway(config, { log: pino({ level: 'debug' }, sink), registries: new RegistrySet([enforceInputRules(adapter)], 'local') });
  const gql = async (query: string, variables: Record<string, unknown> = {}) => {
    const { body } = await postGraphQL(gateway.url, query, variables);
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  };
  return { gateway, logs, gql };
}

describe('webhooks through the store outbox', () => {
  const dirs: string[] = [];
  const stops: (() => Promise<void>)[] = [];
  const fresh = () => {
    const dir = mkdtempSync(join(tmpdir(), 'modelgate-hooks-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
  });
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('retries a failing receiver with backoff, in order per model, every request signed', async () => {
    // The first two requests fail; everything after succeeds.
    const receiver = await startReceiver((_r, i) => (i < 2 ? 500 : 200));
    stops.push(receiver.stop);
    const { gateway, gql, logs } = await gatewayWith(fresh(), [{ id: 'ci', url: receiver.url, backoffMs: 50 }]);
    stops.push(() => gateway.stop());
    await gql('mutation { registerVersion(name: "Churn") { version } }');
    await gql('mutation { registerVersion(name: "Churn") { version } }');
    await gql('mutation { setAlias(name: "Churn", alias: "champion", version: "2") { version } }');
    const delivered = await eventually(() => receiver.delivered(), (d) => d.length === 3);
    expect(delivered.map((e) => [e.type, e.version])).toEqual([['VERSION_REGISTERED', '1'], ['VERSION_REGISTERED', '2'], ['ALIAS_CHANGED', '2']]);
    // The first event was tried three times before the second was sent at all.
    expect(receiver.received.slice(0, 3).map((r) => JSON.parse(r.body).version)).toEqual(['1', '1', '1']);
    for (const request of receiver.received) {
      expect(verifyWebhook(SECRET, { timestamp: request.headers['modelgate-timestamp'] as string, signature: request.headers['modelgate-signature'] as string }, request.body)).toBe(true);
      expect(verifyWebhook('another-secret', { timestamp: request.headers['modelgate-timestamp'] as string, signature: request.headers['modelgate-signature'] as string }, request.body)).toBe(false);
      expect(verifyWebhook(SECRET, { timestamp: request.headers['modelgate-timestamp'] as string, signature: request.headers['modelgate-signature'] as string }, request.body.replace('Churn', 'Churm'))).toBe(false);
      expect(request.headers['modelgate-event-id']).toMatch(/^[0-9a-f]{64}$/);
    }
    // Retries carry the same event id, so a receiver can de-duplicate.
    expect(new Set(receiver.received.slice(0, 3).map((r) => r.headers['modelgate-event-id'])).size).toBe(1);
    // The receiver sees a request before the gateway records its answer: wait for the last record.
    const rows = (
      await eventually(() => gql('{ webhookDeliveries(webhook: "ci") { seq status attempts lastStatus } }'), (d) => d.webhookDeliveries.every((r: { status: string }) => r.status !== 'PENDING'))
    ).webhookDeliveries;
    expect(rows.map((r: { status: string; attempts: number }) => [r.status, r.attempts])).toEqual([['DELIVERED', 1], ['DELIVERED', 1], ['DELIVERED', 3]]);
    expect(logs.join('\n')).not.toContain(SECRET);
  });

  it('gives up on a receiver that hangs past the timeout, then dead-letters; redeliver sends it again', async () => {
    let healthy = false;
    const receiver = await startReceiver(() => (healthy ? 204 : null));
    stops.push(receiver.stop);
    const { gateway, gql } = await gatewayWith(fresh(), [{ id: 'slow', url: receiver.url, timeoutMs: 200, backoffMs: 20, maxAttempts: 2 }]);
    stops.push(() => gateway.stop());
    await gql('mutation { registerVersion(name: "Hang") { version } }');
    const [dead] = (await eventually(() => gql('{ webhookDeliveries(status: DEAD) { id status attempts lastError } }'), (d) => d.webhookDeliveries.length === 1)).webhookDeliveries;
    expect(dead).toMatchObject({ status: 'DEAD', attempts: 2, lastError: 'no answer within 200 ms' });
    expect(receiver.received).toHaveLength(2);

    healthy = true;
    const again = await gql('mutation($id: String!) { redeliver(id: $id) { id status attempts } }', { id: dead.id });
    expect(again.redeliver).toMatchObject({ id: dead.id, status: 'PENDING', attempts: 0 });
    await eventually(() => receiver.delivered(), (d) => d.length === 1);
    const redelivered = await eventually(() => gql('{ webhookDeliveries { status attempts } }'), (d) => d.webhookDeliveries[0]?.status !== 'PENDING');
    expect(redelivered.webhookDeliveries).toEqual([{ status: 'DELIVERED', attempts: 1 }]);
    const missing = await postGraphQL(gateway.url, 'mutation { redeliver(id: "slow:999") { id } }');
    expect(missing.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const unknownHook = await postGraphQL(gateway.url, '{ webhookDeliveries(webhook: "nope") { id } }');
    expect(unknownHook.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('loses nothing when the receiver is down while the gateway restarts', async () => {
    const dataDir = fresh();
    const down = await startReceiver(() => 200);
    const port = down.port;
    await down.stop(); // nothing listens on the port now
    const url = `http://127.0.0.1:${port}/hook`;
    const first = await gatewayWith(dataDir, [{ id: 'audit', url, backoffMs: 50, maxBackoffMs: 200 }]);
    await first.gql('mutation { registerVersion(name: "Restart") { version } }');
    await first.gql('mutation { transitionStage(name: "Restart", version: "1", stage: STAGING) { version { stage } } }');
    await eventually(() => first.gql('{ webhookDeliveries { attempts } }'), (d) => d.webhookDeliveries.some((r: { attempts: number }) => r.attempts >= 1));
    await first.gateway.stop();

    const receiver = await startReceiver(() => 200, port);
    stops.push(receiver.stop);
    const second = await gatewayWith(dataDir, [{ id: 'audit', url, backoffMs: 50, maxBackoffMs: 200 }]);
    stops.push(() => second.gateway.stop());
    const delivered = await eventually(() => receiver.delivered(), (d) => d.length === 2);
    expect(delivered.map((e) => [e.type, e.model])).toEqual([['VERSION_REGISTERED', 'Restart'], ['STAGE_CHANGED', 'Restart']]);
  });

  it('treats a redirect as a failure and never follows it', async () => {
    const elsewhere = await startReceiver(() => 200);
    stops.push(elsewhere.stop);
    const redirecting = await startReceiver(() => 307);
    stops.push(redirecting.stop);
    const { gateway, gql } = await gatewayWith(fresh(), [{ id: 'moved', url: redirecting.url, backoffMs: 20, maxAttempts: 2 }]);
    stops.push(() => gateway.stop());
    await gql('mutation { registerVersion(name: "Redirected") { version } }');
    const [dead] = (await eventually(() => gql('{ webhookDeliveries(status: DEAD) { lastStatus lastError attempts } }'), (d) => d.webhookDeliveries.length === 1)).webhookDeliveries;
    expect(dead).toEqual({ lastStatus: 307, lastError: 'HTTP 307', attempts: 2 });
    expect(elsewhere.received).toHaveLength(0);
  });

  it("does not read a receiver's endless answer: the delivery counts on the status alone", async () => {
    const { createServer } = await import('node:http');
    let written = 0;
    let aborted = false;
    const endless = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(64 * 1024, 97);
      const pump = () => {
        while (!res.destroyed && written < 2 ** 30 && res.write(chunk)) written += chunk.length;
      };
      res.on('drain', pump);
      res.on('close', () => (aborted = written < 2 ** 30));
      pump();
    });
    await new Promise<void>((r) => endless.listen(0, '127.0.0.1', () => r()));
    stops.push(() => new Promise((r) => (endless.closeAllConnections(), endless.close(() => r()))));
    const url = `http://127.0.0.1:${(endless.address() as import('node:net').AddressInfo).port}/hook`;
    const { gateway, gql } = await gatewayWith(fresh(), [{ id: 'huge', url }]);
    stops.push(() => gateway.stop());
    await gql('mutation { registerVersion(name: "Endless") { version } }');
    await eventually(() => gql('{ webhookDeliveries { status } }'), (d) => d.webhookDeliveries[0]?.status === 'DELIVERED');
    await eventually(() => aborted, (a) => a);
    // The gateway hung up long before the gigabyte: it read at most what was in flight.
    expect(written).toBeLessThan(2 ** 28);
  });

  it('a webhook pointed at the gateway itself dead-letters without feeding on its own events', async () => {
    const port = await freePort();
    const { gateway, gql } = await gatewayWith(fresh(), [{ id: 'self', url: `http://127.0.0.1:${port}/graphql`, backoffMs: 20, maxAttempts: 3 }], port);
    stops.push(() => gateway.stop());
    await gql('mutation { registerVersion(name: "Loop") { version } }');
    const [dead] = (await eventually(() => gql('{ webhookDeliveries(status: DEAD) { lastStatus attempts } }'), (d) => d.webhookDeliveries.length === 1)).webhookDeliveries;
    expect(dead.attempts).toBe(3);
    expect(dead.lastStatus).toBeGreaterThanOrEqual(400);
    await new Promise((r) => setTimeout(r, 300));
    // Its own requests changed nothing: one registration, one delivery, no new audit events beyond the registration.
    expect((await gql('{ webhookDeliveries { id } }')).webhookDeliveries).toHaveLength(1);
    const audit = (await gql('{ auditLog(first: 50) { action result } }')).auditLog as { action: string; result: string }[];
    expect(audit).toEqual([{ action: 'registerVersion', result: 'INTENT' }, { action: 'registerVersion', result: 'OK' }]);
  });

  it('refuses to start when a webhook secret is not in the environment', async () => {
    await expect(gatewayWith(fresh(), [{ id: 'x', url: 'http://127.0.0.1:9/hook', secretEnv: 'MODELGATE_NO_SUCH_SECRET' }])).rejects.toThrow(/MODELGATE_NO_SUCH_SECRET/);
  });
});
