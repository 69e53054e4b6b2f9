// Attack: a stage change of another version of a model whose promotion was cut short by kill -9, on a
// surviving gateway process, before the sweep settled it. Fails on the code it was written against (bd040bb).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKey } from '../support/api-keys.ts';
import { postGraphQL } from '../support/gateway.ts';
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.ts';
import { isolatedPostgres } from '../support/postgres.ts';
import { scaled, until } from '../support/time-scale.ts';

const KEYS = { ada: 'pg-unsettled-ada', bob: 'pg-unsettled-bob' } as const;
type Who = keyof typeof KEYS;
type Body = { data?: any; errors?: any[] };
const PROMOTE = 'mutation ($n: String!, $v: String!, $k: String) { promote(name: $n, version: $v, targetStage: PRODUCTION, idempotencyKey: $k) { status replayed version { stage } archived { version } } }';
const TRANSITION = 'mutation ($n: String!, $v: String!, $a: Boolean!) { transitionStage(name: $n, version: $v, stage: PRODUCTION, archiveExisting: $a) { version { stage } archived { version } } }';
const ROLLBACK = 'mutation ($n: String!) { rollback(name: $n, reason: "bad numbers") { rule to { version } from { version } } }';
const code = (body: Body | null) => body?.errors?.[0]?.extensions?.code ?? 'OK';

/**
 * Process A promotes version 2 to PRODUCTION and is killed after the stage move, before it records
 * the outcome (its intent stays open). The survivors never sweep on their own (a day's interval): a
 * fresh process's start-up sweep settles the intent when the test says so, so "before the sweep" is exact.
 */
describe('attack: a stage change on the survivor while a killed promotion of another version is unsettled', () => {
  let dir: string;
  let config: string;
  let database: Awaited<ReturnType<typeof isolatedPostgres>>;
  let survivors: GatewayProcess[] = [];
  let model = 0;
  const as = async (via: number, who: Who, query: string, variables?: Record<string, unknown>): Promise<Body> =>
    (await postGraphQL(survivors[via % 2]!.url, query, variables, { authorization: `Bearer ${KEYS[who]}` })).body;
  const state = async (name: string) => {
    const read = (await as(0, 'ada', 'query ($n: String!) { model(name: $n) { productionHistory { version by } versions(first: 50) { nodes { version stage tags { key } } } } }', { n: name })).data.model;
    return {
      history: read.productionHistory.map((r: { version: string; by: string }) => `${r.version}:${r.by}`),
      stages: Object.fromEntries(read.versions.nodes.map((v: { version: string; stage: string }) => [v.version, v.stage])),
      promotedBy: read.versions.nodes.filter((v: { tags: { key: string }[] }) => v.tags.some((t) => t.key === 'promoted_by')).map((v: { version: string }) => v.version).sort(),
    };
  };
  const audit = async (name: string) =>
    (await as(1, 'ada', 'query ($n: String!) { auditLog(name: $n, first: 200) { seq principal action version result after } }', { n: name })).data.auditLog as {
      seq: number;
      principal: string;
      action: string;
      version: string | null;
      result: string;
      after: any;
    }[];
  const auditOk = async () => (await as(1, 'ada', '{ verifyAudit { ok } }')).data.verifyAudit.ok;
  /** A fresh gateway process: its start-up sweep settles what the killed one left open; then it stops. */
  const sweep = async () => {
    const fresh = await startGatewayProcess(config);
    await fresh.stop();
  };

  /** Versions 1–3, version 1 promoted by bob; then ada's promotion of version 2 on a slow process, killed after the move. */
  const crashMidPromotion = async (prefix: string) => {
    const name = `${prefix}${++model}`;
    for (let i = 0; i < 3; i++) expect((await as(i, 'ada', 'mutation ($n: String!) { registerVersion(name: $n, source: "s3://b/m", metrics: [{ key: "auc", value: 0.9 }]) { version } }', { n: name })).errors).toBeUndefined();
    expect(code(await as(1, 'bob', PROMOTE, { n: name, v: '1' }))).toBe('OK');
    // The crash test's hook: every backend write lingers after it lands, so the kill falls between the move and the outcome.
    const slow = await startGatewayProcess(config, { preload: ['./test/support/slow-writes.ts'], env: { MODELGATE_TEST_WRITE_DELAY_MS: '2000' } });
    const call = postGraphQL(slow.url, PROMOTE, { n: name, v: '2', k: `crash-${name}` }, { authorization: `Bearer ${KEYS.ada}` }).catch(() => null);
    expect(await until(async () => (await state(name)).stages['2'] === 'PRODUCTION', 10_000)).toBe(true);
    await slow.kill('SIGKILL');
    expect(await call).toBeNull();
    // The move landed (version 1 archived with it); nothing after it did: no tags, no history, no outcome.
    expect(await state(name)).toEqual({ history: ['1:bob'], stages: { '3': 'NONE', '2': 'PRODUCTION', '1': 'ARCHIVED' }, promotedBy: ['1'] });
    const intent = (await audit(name)).find((e) => e.action === 'promote' && e.version === '2')!;
    expect(intent).toMatchObject({ principal: 'ada', result: 'INTENT' });
    expect((await audit(name)).filter((e) => e.action === 'promote' && e.version === '2').map((e) => e.result)).toEqual(['INTENT']);
    return { name, intent: intent.seq };
  };

  /** After the sweep: ada's promotion is on record as it happened, before anything the survivors did next. */
  const settled = async (name: string) => {
    await sweep();
    const reconciled = (await audit(name)).filter((e) => e.action === 'reconcile');
    expect(reconciled.map((e) => [e.version, e.result, e.after.outcome])).toEqual([['2', 'RECONCILED', 'APPLIED']]);
    expect(await state(name)).toEqual({ history: ['2:ada', '1:bob'], stages: { '3': 'NONE', '2': 'PRODUCTION', '1': 'ARCHIVED' }, promotedBy: ['1', '2'] });
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'modelgate-pg-unsettled-'));
    database = await isolatedPostgres();
    writeFileSync(
      join(dir, 'modelgate.yaml'),
      // JSON is YAML.
      JSON.stringify({
        log: { level: 'warn' },
        dataDir: dir,
        registries: [{ id: 'local', kind: 'local', path: join(dir, 'shared.db') }],
        store: { url: database.url, poolSize: 3, reconcile: { intervalMs: 86_400_000 } },
        auth: { apiKeys: (['ada', 'bob'] as const).map((name) => apiKey(name, KEYS[name], 'admin')) },
      }),
    );
    config = join(dir, 'modelgate.yaml');
    survivors = await Promise.all([startGatewayProcess(config), startGatewayProcess(config)]);
  }, scaled(120_000));

  afterAll(async () => {
    await Promise.all(survivors.map((g) => g.stop()));
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('promote of version 3 before the sweep is CONFLICT naming the intent; after it, history and tags say 1, 2, 3 in order', async () => {
    const { name, intent } = await crashMidPromotion('Promote');
    for (const via of [0, 1]) {
      const refused = await as(via, 'bob', PROMOTE, { n: name, v: '3' });
      expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', details: { intent } });
    }
    expect((await state(name)).stages).toEqual({ '3': 'NONE', '2': 'PRODUCTION', '1': 'ARCHIVED' });
    await settled(name);
    const promoted = await as(0, 'bob', PROMOTE, { n: name, v: '3' });
    expect(promoted.data?.promote).toMatchObject({ status: 'PROMOTED', version: { stage: 'PRODUCTION' }, archived: [{ version: '2' }] });
    expect(await state(name)).toEqual({ history: ['3:bob', '2:ada', '1:bob'], stages: { '3': 'PRODUCTION', '2': 'ARCHIVED', '1': 'ARCHIVED' }, promotedBy: ['1', '2', '3'] });
    expect(await auditOk()).toBe(true);
  }, scaled(90_000));

  it('transitionStage of version 3 into PRODUCTION (without archiving) before the sweep is CONFLICT: the sweep would archive it and record 2 after it', async () => {
    const { name, intent } = await crashMidPromotion('Transition');
    for (const archive of [false, true]) {
      const refused = await as(archive ? 1 : 0, 'bob', TRANSITION, { n: name, v: '3', a: archive });
      expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', details: { intent } });
    }
    await settled(name);
    const moved = await as(1, 'bob', TRANSITION, { n: name, v: '3', a: false });
    expect(code(moved)).toBe('OK');
    expect(await state(name)).toEqual({ history: ['3:bob', '2:ada', '1:bob'], stages: { '3': 'PRODUCTION', '2': 'PRODUCTION', '1': 'ARCHIVED' }, promotedBy: ['1', '2'] });
    expect(await auditOk()).toBe(true);
  }, scaled(90_000));

  it('rollback before the sweep is CONFLICT; after it, the rollback withdraws version 2 and the records agree', async () => {
    const { name, intent } = await crashMidPromotion('Rollback');
    const refused = await as(0, 'bob', ROLLBACK, { n: name });
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', details: { intent } });
    await settled(name);
    const rolled = await as(1, 'bob', ROLLBACK, { n: name });
    expect(rolled.data?.rollback).toEqual({ rule: 'PRODUCTION_HISTORY', to: { version: '1' }, from: [{ version: '2' }] });
    expect((await state(name)).history).toEqual(['1:bob', '2:ada', '1:bob']);
    expect(await auditOk()).toBe(true);
  }, scaled(90_000));

  it('an automatic rollback after a degradation before the sweep is CONFLICT; the check alone still answers', async () => {
    const { name, intent } = await crashMidPromotion('Degraded');
    const CHECK = 'mutation ($n: String!, $r: Boolean!) { checkDegradation(name: $n, metric: "auc", observed: 0.5, tolerance: 0.1, autoRollback: $r) { degraded productionVersion { version } rollback { to { version } from { version } } } }';
    const refused = await as(1, 'bob', CHECK, { n: name, r: true });
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', details: { intent } });
    expect((await as(0, 'bob', CHECK, { n: name, r: false })).data?.checkDegradation).toEqual({ degraded: true, productionVersion: { version: '2' }, rollback: null });
    await settled(name);
    const rolled = await as(0, 'bob', CHECK, { n: name, r: true });
    expect(rolled.data?.checkDegradation).toEqual({ degraded: true, productionVersion: { version: '2' }, rollback: { to: { version: '1' }, from: [{ version: '2' }] } });
    expect((await state(name)).history).toEqual(['1:bob', '2:ada', '1:bob']);
    expect(await auditOk()).toBe(true);
  }, scaled(90_000));

  it("ada's retry with the killed call's idempotency key is CONFLICT until the sweep, then runs again (nothing was stored to replay)", async () => {
    const { name, intent } = await crashMidPromotion('Retry');
    const early = await as(0, 'ada', PROMOTE, { n: name, v: '2', k: `crash-${name}` });
    expect(early.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', details: { intent } });
    await settled(name);
    const retried = await as(1, 'ada', PROMOTE, { n: name, v: '2', k: `crash-${name}` });
    expect(retried.data?.promote).toMatchObject({ status: 'PROMOTED', replayed: false, version: { stage: 'PRODUCTION' }, archived: [] });
    const again = await as(0, 'ada', PROMOTE, { n: name, v: '2', k: `crash-${name}` });
    expect(again.data?.promote).toMatchObject({ status: 'PROMOTED', replayed: true });
    // The retry promoted the version already in PRODUCTION again, recorded again as any repeat promotion is.
    expect(await state(name)).toEqual({ history: ['2:ada', '2:ada', '1:bob'], stages: { '3': 'NONE', '2': 'PRODUCTION', '1': 'ARCHIVED' }, promotedBy: ['1', '2'] });
    expect(await auditOk()).toBe(true);
  }, scaled(90_000));
});
