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
import { eventually, startReceiver } from './receiver.ts';

const SECRET = 'whsec-test-0123456789';
process.env.MODELGATE_TEST_WEBHOOK_SECRET = SECRET;

/** A gateway on `dataDir` (kept across restarts) with the given webhooks; its logs are kept. */
async function gatewayWith(dataDir: string, webhooks: Record<string, unknown>[]) {
  const logs: string[] = [];
  const sink = new Writable({ write: (chunk, _e, done) => (logs.push(String(chunk)), done()) });
  const config = resolveConfig({ server: { port: 0 }, webhooks: webhooks.map((w) => ({ secretEnv: 'MODELGATE_TEST_WEBHOOK_SECRET', ...w })) }, { dataDir });
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
    const rows = (await gql('{ webhookDeliveries(webhook: "ci") { seq status attempts lastStatus } }')).webhookDeliveries;
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
    expect((await gql('{ webhookDeliveries { status attempts } }')).webhookDeliveries).toEqual([{ status: 'DELIVERED', attempts: 1 }]);
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

  it('refuses to start when a webhook secret is not in the environment', async () => {
    await expect(gatewayWith(fresh(), [{ id: 'x', url: 'http://127.0.0.1:9/hook', secretEnv: 'MODELGATE_NO_SUCH_SECRET' }])).rejects.toThrow(/MODELGATE_NO_SUCH_SECRET/);
  });
});
