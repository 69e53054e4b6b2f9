import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalRegistry } from '../../adapters/local/index.ts';
import { Stage } from '../../src/core/index.ts';
import { PostgresStore } from '../../src/store/postgres-store.ts';
import { SqliteStore, type AuditEvent, type GatewayStore } from '../../src/store/index.ts';
import { graphql, startGatewayProcess } from '../support/gateway-process.ts';
import { isolatedPostgres } from '../support/postgres.ts';
import { scaled } from '../support/time-scale.ts';

const MODELS = 6;
const VERSIONS = 5;
const ROUNDS = 3;
const BURST = 24;
const PROMOTE = 'mutation ($n: String!, $v: String!) { promote(name: $n, version: $v, targetStage: PRODUCTION) { status } }';

/** The version an event says entered PRODUCTION, if it says so. */
function enteredProduction(event: AuditEvent): string | null {
  const after = event.after as { stage?: string; outcome?: string; production?: string } | null;
  if (event.action === 'reconcile') return after?.outcome === 'APPLIED' && after.stage === Stage.PRODUCTION ? event.version : null;
  if (event.result !== 'OK' && event.result !== 'ROLLED_BACK') return null;
  if (after?.stage === Stage.PRODUCTION) return event.version;
  return typeof after?.production === 'string' ? after.production : null;
}

/**
 * Bursts of concurrent promotions, each ended by SIGKILL at a random moment while backend
 * writes are in flight; after a restart the record must match the backend exactly.
 */
function defineCrashSuite(label: string, storeConfig: (dir: string) => Promise<{ yaml: string; open: () => Promise<GatewayStore>; drop?: () => Promise<void> }>) {
  describe(`kill -9 during promotions (${label} store)`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'modelgate-crash-'));
    let drop: (() => Promise<void>) | undefined;
    afterAll(async () => {
      await drop?.();
      rmSync(dir, { recursive: true, force: true });
    });

    it('leaves production, its history, its tags and the audit log in agreement after a restart', async () => {
      const store = await storeConfig(dir);
      drop = store.drop;
      const seed = new LocalRegistry({ id: 'local', path: join(dir, 'local.db') });
      for (let m = 0; m < MODELS; m++) {
        await seed.createModel({ name: `Crash${m}` });
        for (let v = 0; v < VERSIONS; v++) await seed.createVersion({ name: `Crash${m}` });
      }
      await seed.close();
      const config = join(dir, 'modelgate.yaml');
      writeFileSync(config, ['log: { level: warn }', `dataDir: ${dir}`, store.yaml].join('\n'));
      const options = { preload: ['./test/support/slow-writes.ts'], env: { MODELGATE_TEST_WRITE_DELAY_MS: '30' } };

      for (let round = 0; round < ROUNDS; round++) {
        const gateway = await startGatewayProcess(config, options);
        const calls = Array.from({ length: BURST }, () =>
          graphql(gateway.url, PROMOTE, { n: `Crash${Math.floor(Math.random() * MODELS)}`, v: String(1 + Math.floor(Math.random() * VERSIONS)) }),
        );
        await new Promise((resolve) => setTimeout(resolve, 150 + Math.random() * 400));
        await gateway.kill('SIGKILL');
        await Promise.all(calls);
      }
      // The restart reconciles what the kills left open before it serves.
      const last = await startGatewayProcess(config, options);
      const verified = await graphql<{ verifyAudit: { ok: boolean } }>(last.url, '{ verifyAudit { ok } }');
      await last.stop();
      expect(verified?.data?.verifyAudit.ok).toBe(true);

      const state = await store.open();
      const registry = new LocalRegistry({ id: 'local', path: join(dir, 'local.db') });
      try {
        expect(await state.openIntents()).toEqual([]);
        expect((await state.verifyAudit()).ok).toBe(true);
        const events = await state.listAudit({ limit: 100_000 });
        // The kills did land between writes: some intents had to be reconciled.
        expect(events.filter((e) => e.action === 'reconcile').length).toBeGreaterThan(0);
        for (let m = 0; m < MODELS; m++) {
          const name = `Crash${m}`;
          const production = (await registry.listVersions(name, { stages: [Stage.PRODUCTION] }, { first: 10 })).items;
          expect(production.length, `${name} has at most one PRODUCTION version`).toBeLessThanOrEqual(1);
          const said = events.filter((e) => e.model === name).map(enteredProduction).filter((v): v is string => v !== null);
          expect(production[0]?.version, `${name}: the backend's PRODUCTION is the last audited one`).toBe(said.at(-1));
          const [history] = await state.productionHistory('local', name);
          expect(history?.version, `${name}: production history ends with it`).toBe(production[0]?.version);
          if (production[0]) expect(Object.keys(production[0].tags)).toEqual(expect.arrayContaining(['promoted_at', 'promoted_by']));
        }
      } finally {
        await registry.close();
        await state.close();
      }
    }, scaled(240_000));
  });
}

defineCrashSuite('embedded', async (dir) => ({ yaml: 'store: {}', open: async () => new SqliteStore(join(dir, 'modelgate-store.db')) }));

defineCrashSuite('PostgreSQL', async () => {
  const database = await isolatedPostgres();
  return { yaml: `store: { url: "${database.url}" }`, open: () => PostgresStore.open(database.url), drop: database.drop };
});
