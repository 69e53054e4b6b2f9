import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { PostgresStore } from '../../src/store/postgres-store.ts';
import { graphql, startGatewayProcess, type GatewayProcess } from '../support/gateway-process.ts';
import { POSTGRES_URL, isolatedPostgres } from '../support/postgres.ts';
import { subscribe, wsClient } from './support.ts';

describe('events across gateway processes on one PostgreSQL store', () => {
  let dir: string;
  let database: Awaited<ReturnType<typeof isolatedPostgres>>;
  let a: GatewayProcess;
  let b: GatewayProcess;
  const mutate = async (url: string, query: string) => {
    const result = await graphql(url, query);
    if (!result || result.errors) throw new Error(JSON.stringify(result));
    return result.data;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'modelgate-replicas-'));
    database = await isolatedPostgres();
    const config = join(dir, 'modelgate.yaml');
    writeFileSync(
      config,
      ['log: { level: warn }', `dataDir: ${dir}`, 'registries:', `  - { id: local, kind: local, path: ${join(dir, 'shared.db')} }`, `store: { url: "${database.url}", poolSize: 4 }`].join('\n'),
    );
    [a, b] = await Promise.all([startGatewayProcess(config), startGatewayProcess(config)]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a change on gateway A reaches a subscriber on gateway B; a reconnect with after gets what it missed', async () => {
    const stream = subscribe(wsClient(b.url));
    await new Promise((r) => setTimeout(r, 500));
    const sent = Date.now();
    await mutate(a.url, 'mutation { registerVersion(name: "Fleet") { version } }');
    const [first] = await stream.until(1);
    console.log(`A -> B delivery: ${Date.now() - sent} ms after the mutation was sent`);
    expect(first).toMatchObject({ type: 'VERSION_REGISTERED', model: 'Fleet', version: '1' });
    stream.stop();

    // While the subscriber is away, two more changes land, one on each gateway.
    await mutate(a.url, 'mutation { setAlias(name: "Fleet", alias: "champion", version: "1") { version } }');
    await mutate(b.url, 'mutation { transitionStage(name: "Fleet", version: "1", stage: STAGING) { version { stage } } }');
    const back = subscribe(wsClient(b.url), { after: first!.seq });
    const missed = await back.until(2);
    expect(missed.map((e) => e.type)).toEqual(['ALIAS_CHANGED', 'STAGE_CHANGED']);
    // And it keeps following live, from either gateway.
    await mutate(a.url, 'mutation { registerVersion(name: "Fleet") { version } }');
    expect((await back.until(3))[2]).toMatchObject({ type: 'VERSION_REGISTERED', version: '2' });
    await new Promise((r) => setTimeout(r, 300));
    expect(back.events).toHaveLength(3);
    back.stop();
  });

  it('a killed LISTEN session is reopened; events written while it was down still reach subscribers, none missed or repeated', async () => {
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    const schema = new URL(database.url).searchParams.get('options')!.replace('-c search_path=', '');
    const listeners = async () =>
      (await admin.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE query = $1`, [`LISTEN "modelgate_audit:${schema}"`])).rows.map((r) => r.pid);
    try {
      const stream = subscribe(wsClient(b.url));
      await new Promise((r) => setTimeout(r, 500));
      const killed = await listeners();
      expect(killed).toHaveLength(2); // one LISTEN session per gateway process
      await admin.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [killed]);
      // Written at once, while neither process is listening (each waits a second before it connects again).
      await mutate(a.url, 'mutation { registerVersion(name: "Relisten") { version } }');
      await mutate(b.url, 'mutation { registerVersion(name: "Relisten") { version } }');
      const reopened = await (async () => {
        for (let i = 0; i < 100; i++) {
          const now = await listeners();
          if (now.length === 2 && now.every((pid) => !killed.includes(pid))) return now;
          await new Promise((r) => setTimeout(r, 100));
        }
        return listeners();
      })();
      expect(reopened).toHaveLength(2);
      // Read on reconnecting (the log is the source), before any new notification arrives.
      expect((await stream.until(2)).map((e) => e.version)).toEqual(['1', '2']);
      // And notifications flow again on the new session.
      await mutate(a.url, 'mutation { registerVersion(name: "Relisten") { version } }');
      expect((await stream.until(3)).map((e) => e.version)).toEqual(['1', '2', '3']);
      await new Promise((r) => setTimeout(r, 300));
      expect(stream.events).toHaveLength(3);
      stream.stop();
    } finally {
      await admin.end();
    }
  });

  it('elects one leader per role across processes; the role passes on when its holder goes', async () => {
    const one = await PostgresStore.open(database.url);
    const two = await PostgresStore.open(database.url);
    try {
      const lease = await one.tryLead('watch:test-role');
      expect(lease?.held).toBe(true);
      expect(await two.tryLead('watch:test-role')).toBeNull();
      await lease!.release();
      const next = await two.tryLead('watch:test-role');
      expect(next?.held).toBe(true);
      await next!.release();
    } finally {
      await one.close();
      await two.close();
    }
  });
});
