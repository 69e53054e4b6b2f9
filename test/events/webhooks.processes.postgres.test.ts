import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { graphql, startGatewayProcess, type GatewayProcess } from '../support/gateway-process.ts';
import { isolatedPostgres } from '../support/postgres.ts';
import { scaled } from '../support/time-scale.ts';
import { eventually, startReceiver, type Received } from './receiver.ts';

const SECRET_ENV = { MODELGATE_TEST_WEBHOOK_SECRET: 'whsec-processes-0123456789' };

/** A config file for gateway processes sharing `dir` (and the PostgreSQL store when given), with one webhook. */
function configFile(dir: string, hookUrl: string, storeUrl?: string): string {
  const file = join(dir, 'modelgate.yaml');
  writeFileSync(
    file,
    [
      'log: { level: warn }',
      `dataDir: ${dir}`,
      'registries:',
      `  - { id: local, kind: local, path: ${join(dir, 'shared.db')} }`,
      ...(storeUrl ? [`store: { url: "${storeUrl}", poolSize: 4 }`] : []),
      'webhooks:',
      `  - { id: ci, url: "${hookUrl}", secretEnv: MODELGATE_TEST_WEBHOOK_SECRET, timeoutMs: 60000, backoffMs: 50, maxBackoffMs: 200 }`,
    ].join('\n'),
  );
  return file;
}

const mutate = async (url: string, query: string) => {
  const result = await graphql(url, query);
  if (!result || result.errors) throw new Error(JSON.stringify(result));
  return result.data;
};

const event = (r: Received) => JSON.parse(r.body) as { seq: number; model: string; version: string };

/** Each model's events in the order they were first received, and every event id's count. */
function summary(received: Received[]) {
  const firstSeen = new Map<string, { seq: number; model: string; version: string }>();
  const counts = new Map<string, number>();
  for (const r of received) {
    const id = r.headers['modelgate-event-id'] as string;
    counts.set(id, (counts.get(id) ?? 0) + 1);
    if (!firstSeen.has(id)) firstSeen.set(id, event(r));
  }
  const perModel = (model: string) => [...firstSeen.values()].filter((e) => e.model === model).map((e) => e.version);
  return { perModel, counts };
}

describe('webhook outbox across gateway processes', () => {
  const cleanups: (() => Promise<unknown> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('a gateway killed (SIGKILL) while a slow receiver holds a delivery delivers it after the restart, losing nothing, in order per model', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'modelgate-hook-kill-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    // The first request is held open (the slow receiver); every later one is answered at once.
    const receiver = await startReceiver((_r, i) => (i === 0 ? null : 200));
    cleanups.push(receiver.stop);
    const config = configFile(dir, receiver.url);
    let gateway: GatewayProcess = await startGatewayProcess(config, { env: SECRET_ENV });
    cleanups.push(() => gateway.stop());
    await mutate(gateway.url, 'mutation { registerVersion(name: "KillA") { version } }');
    await mutate(gateway.url, 'mutation { registerVersion(name: "KillA") { version } }');
    await mutate(gateway.url, 'mutation { registerVersion(name: "KillB") { version } }');
    await eventually(() => receiver.received.length, (n) => n >= 1);
    await gateway.kill('SIGKILL');

    gateway = await startGatewayProcess(config, { env: SECRET_ENV });
    // Written after the restart, behind the held one in its model's order.
    await mutate(gateway.url, 'mutation { registerVersion(name: "KillA") { version } }');
    await eventually(() => summary(receiver.received), (s) => s.perModel('KillA').length === 3 && s.perModel('KillB').length === 1, scaled(60_000));
    const { perModel, counts } = summary(receiver.received);
    expect(perModel('KillA')).toEqual(['1', '2', '3']);
    expect(perModel('KillB')).toEqual(['1']);
    // The held delivery was sent again after the restart (at least once); nothing else twice.
    const first = receiver.received[0]!.headers['modelgate-event-id'] as string;
    expect(counts.get(first)).toBe(2);
    expect([...counts.entries()].filter(([id]) => id !== first).every(([, n]) => n === 1)).toBe(true);
    // The receiver sees a request before the gateway records its answer: wait for the last record.
    const statuses = async () => ((await mutate(gateway.url, '{ webhookDeliveries(webhook: "ci") { status } }')).webhookDeliveries as { status: string }[]).map((r) => r.status);
    const rows = await eventually(statuses, (all) => all.every((status) => status !== 'PENDING'), scaled(30_000));
    expect(rows).toEqual(['DELIVERED', 'DELIVERED', 'DELIVERED', 'DELIVERED']);
  });

  it('two gateways on one PostgreSQL store: one delivers each row; when it is killed mid-delivery the other takes over', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'modelgate-hook-leader-'));
    const database = await isolatedPostgres();
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }), () => database.drop());
    let hold = false;
    const receiver = await startReceiver(() => (hold ? null : 200));
    cleanups.push(receiver.stop);
    const config = configFile(dir, receiver.url, database.url);
    // A starts alone and takes the outbox role before B exists.
    const a = await startGatewayProcess(config, { env: SECRET_ENV });
    cleanups.push(() => a.stop());
    await mutate(a.url, 'mutation { registerVersion(name: "LeadA") { version } }');
    await eventually(() => receiver.received.length, (n) => n === 1);
    const b = await startGatewayProcess(config, { env: SECRET_ENV });
    cleanups.push(() => b.stop());

    // Events written on both gateways, two models: each is delivered exactly once.
    for (let i = 0; i < 4; i++) {
      await mutate(i % 2 ? b.url : a.url, 'mutation { registerVersion(name: "LeadA") { version } }');
      await mutate(i % 2 ? a.url : b.url, 'mutation { registerVersion(name: "LeadB") { version } }');
    }
    await eventually(() => receiver.received.length, (n) => n === 9);
    await new Promise((r) => setTimeout(r, scaled(1_500))); // a second deliverer would have sent its copies by now
    let s = summary(receiver.received);
    expect(receiver.received).toHaveLength(9);
    expect([...s.counts.values()].every((n) => n === 1)).toBe(true);
    expect(s.perModel('LeadA')).toEqual(['1', '2', '3', '4', '5']);
    expect(s.perModel('LeadB')).toEqual(['1', '2', '3', '4']);

    // The leader (A) is killed while the receiver holds its request; B takes over and sends it and what follows.
    hold = true;
    await mutate(b.url, 'mutation { registerVersion(name: "LeadA") { version } }');
    await eventually(() => receiver.received.length, (n) => n === 10);
    await a.kill('SIGKILL');
    hold = false;
    await mutate(b.url, 'mutation { registerVersion(name: "LeadA") { version } }');
    await mutate(b.url, 'mutation { registerVersion(name: "LeadB") { version } }');
    await eventually(() => summary(receiver.received), (x) => x.perModel('LeadA').length === 7 && x.perModel('LeadB').length === 5, scaled(60_000));
    s = summary(receiver.received);
    expect(s.perModel('LeadA')).toEqual(['1', '2', '3', '4', '5', '6', '7']);
    expect(s.perModel('LeadB')).toEqual(['1', '2', '3', '4', '5']);
    // The receiver sees a request before the gateway records its answer: wait for the last record.
    const statuses = async () => ((await mutate(b.url, '{ webhookDeliveries(webhook: "ci") { status } }')).webhookDeliveries as { status: string }[]).map((r) => r.status);
    const rows = await eventually(statuses, (all) => all.every((status) => status !== 'PENDING'), scaled(30_000));
    expect(rows).toHaveLength(12);
    expect(rows.every((status) => status === 'DELIVERED')).toBe(true);
  });
});
