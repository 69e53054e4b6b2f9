import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { LocalRegistry } from '../../adapters/local/index.ts';
import { MlflowRegistry } from '../../adapters/mlflow/index.ts';
import { VersionOrder } from '../../src/core/index.ts';
import { SqliteStore } from '../../src/store/index.ts';
import { COPIED_FROM } from '../../src/workflows/copy-plan.ts';
import { graphql, startGatewayProcess, type GatewayProcess } from '../support/gateway-process.ts';

const VERSIONS = 100;
const PROGRESS = 'query ($id: String!) { migration(id: $id) { status done total created existing failed items { version status target error } } }';
const until = async <T>(read: () => Promise<T>, done: (value: T) => boolean, ms: number): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > end) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
};

describe('migrateModel: 100 versions, the gateway killed (SIGKILL) mid-way and restarted', () => {
  const dir = mkdtempSync(join(tmpdir(), 'modelgate-migrate-'));
  let gateway: GatewayProcess | undefined;
  afterAll(async () => {
    await gateway?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('resumes at start-up and ends with every version copied exactly once', async () => {
    const name = `migrate-${randomUUID().slice(0, 8)}`;
    const source = new LocalRegistry({ id: 'laptop', path: join(dir, 'laptop.db') });
    await source.createModel({ name });
    for (let i = 1; i <= VERSIONS; i++) {
      await source.createVersion({ name, source: `s3://team-a/${name}/${i}`, tags: { n: String(i) }, metrics: { accuracy: i / 1000 }, params: { i: String(i) } });
    }
    await source.close();
    const config = join(dir, 'modelgate.json');
    writeFileSync(
      config,
      JSON.stringify({
        dataDir: join(dir, 'data'),
        log: { level: 'warn' },
        registries: [
          { id: 'laptop', kind: 'local', path: join(dir, 'laptop.db') },
          { id: 'shared', kind: 'mlflow', trackingUri: inject('mlflowUrl') },
        ],
        // Intents of a killed process are settled at the next start, without waiting out a grace period.
        store: { reconcile: { graceMs: 0 } },
      }),
    );

    gateway = await startGatewayProcess(config);
    const started = await graphql(gateway.url, 'mutation ($n: String!) { migrateModel(from: {registry: "laptop", name: $n}, to: {registry: "shared"}) { id status total } }', { n: name });
    expect(started?.errors).toBeUndefined();
    const { id, total } = started!.data.migrateModel;
    expect(total).toBe(VERSIONS);

    // Killed while copies are under way: some done, most not.
    const progress = await until(() => graphql(gateway!.url, PROGRESS, { id }), (r) => (r?.data?.migration?.done ?? 0) >= 10, 300_000);
    await gateway.kill('SIGKILL');
    const atKill = progress!.data.migration.done as number;
    expect(atKill).toBeGreaterThanOrEqual(10);
    expect(atKill).toBeLessThan(VERSIONS);

    gateway = await startGatewayProcess(config);
    const finished = await until(() => graphql(gateway!.url, PROGRESS, { id }), (r) => r?.data?.migration?.status !== 'RUNNING', 600_000);
    const job = finished!.data.migration;
    expect(job).toMatchObject({ status: 'DONE', done: VERSIONS, total: VERSIONS, failed: 0 });
    expect(job.created + job.existing).toBe(VERSIONS);

    // The target holds each source version once, in order, each with its origin.
    const shared = new MlflowRegistry({ id: 'shared', trackingUri: inject('mlflowUrl') });
    const page = await shared.listVersions(name, { order: VersionOrder.OLDEST_FIRST }, { first: 200 });
    await shared.close();
    const origins = page.items.map((v) => v.tags[COPIED_FROM]);
    expect(page.items).toHaveLength(VERSIONS);
    expect(origins).toEqual(Array.from({ length: VERSIONS }, (_, i) => `laptop:models:/${name}/${i + 1}`));
    expect(page.items.map((v) => v.tags.n)).toEqual(Array.from({ length: VERSIONS }, (_, i) => String(i + 1)));
    const targets = job.items.map((item: { target: string }) => item.target);
    expect(new Set(targets).size).toBe(VERSIONS);

    await gateway.stop();
    gateway = undefined;
    // Every copy is audited; a copy the kill cut short is settled by reconciliation, not left open.
    const store = new SqliteStore(join(dir, 'data', 'modelgate-store.db'));
    try {
      const events = await store.listAudit({ registry: 'shared', model: name, limit: 10_000 });
      const copiedOk = events.filter((e) => e.action === 'copyVersion' && e.result === 'OK').map((e) => (e.after as { version: string }).version);
      const reconciled = events.filter((e) => e.action === 'reconcile').flatMap((e) => (e.after as { created?: string[] }).created ?? []);
      expect(new Set([...copiedOk, ...reconciled]).size).toBe(VERSIONS);
      expect(await store.openIntents()).toEqual([]);
      expect(events.filter((e) => e.action === 'migrateModel')).toHaveLength(1);
    } finally {
      await store.close();
    }
  }, 1_200_000);
});
