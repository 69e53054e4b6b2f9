import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore, type GatewayStore, type MigrationJob } from '../../src/store/index.ts';
import { PostgresStore } from '../../src/store/postgres-store.ts';
import { isolatedPostgres } from '../support/postgres.ts';

const job = (owner: string): MigrationJob => ({
  id: 'job-1', principal: 'alice', from: { registry: 'a', name: 'm' }, to: { registry: 'b', name: 'm' }, strict: false, status: 'RUNNING', owner,
  createdAt: new Date().toISOString(), updatedAt: new Date().toISOString(), items: [{ version: '1', status: 'PENDING', target: null, transformed: 0, dropped: 0, error: null }],
});

/** Migration jobs survive in both stores, and only one process can take over a dead driver's job. */
for (const [label, open] of [
  ['sqlite', async () => ({ store: new SqliteStore(':memory:') as GatewayStore, drop: async () => undefined })],
  ['postgres', async () => { const pg = await isolatedPostgres(); return { store: (await PostgresStore.open(pg.url)) as GatewayStore, drop: pg.drop }; }],
] as const) {
  describe(`migration jobs (${label} store)`, () => {
    let drop: () => Promise<void> = async () => undefined;
    let store: GatewayStore | undefined;
    afterAll(async () => {
      await store?.close();
      await drop();
    });
    it('saves, reads back, lists running jobs and lets one claimer win', async () => {
      ({ store, drop } = await open());
      await store.saveMigration(job('dead'));
      expect(await store.getMigration('job-1')).toMatchObject({ owner: 'dead', items: [{ version: '1', status: 'PENDING' }] });
      expect((await store.runningMigrations()).map((j) => j.id)).toEqual(['job-1']);
      const claims = await Promise.all([store.claimMigration('job-1', 'dead', 'p1'), store.claimMigration('job-1', 'dead', 'p2')]);
      expect(claims.filter(Boolean)).toHaveLength(1);
      await store.saveMigration({ ...job(claims[0] ? 'p1' : 'p2'), status: 'DONE' });
      expect(await store.runningMigrations()).toEqual([]);
      expect(await store.getMigration('nope')).toBeNull();
    });
  });
}
