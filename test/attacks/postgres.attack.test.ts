// Attacks on the pipeline over the PostgreSQL store (issue 11). Each test fails on the code it was written against.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalRegistry } from '../../adapters/local/index.ts';
import { RegistrySet, Stage, enforceInputRules } from '../../src/core/index.ts';
import { PostgresStore } from '../../src/store/postgres-store.ts';
import { createWorkflows } from '../../src/workflows/services.ts';
import { as } from '../support/callers.ts';
import { isolatedPostgres } from '../support/postgres.ts';

let database: Awaited<ReturnType<typeof isolatedPostgres>>;
const stores: PostgresStore[] = [];
const open = async (poolSize = 2) => {
  const store = await PostgresStore.open(database.url, { poolSize });
  stores.push(store);
  return store;
};

beforeAll(async () => {
  database = await isolatedPostgres();
});
afterAll(async () => {
  for (const store of stores) await store.close().catch(() => undefined);
  await database?.drop();
});

async function seeded(model: string) {
  const local = new LocalRegistry({ id: 'local', path: ':memory:' });
  const plain = enforceInputRules(local);
  await plain.createVersion({ name: model, createModel: {} });
  await plain.createVersion({ name: model });
  await plain.setStage({ name: model, version: '1' }, Stage.PRODUCTION);
  return { local, registries: new RegistrySet([plain], 'local') };
}

describe('attack: PostgreSQL store', () => {
  it('a promote comment holding U+0000 is either refused before anything moves or completes and is audited', async () => {
    const { local, registries } = await seeded('nul');
    const store = await open();
    const { lifecycle } = createWorkflows(registries, store, [], { graceMs: 60_000 });
    // U+0000 is well-formed Unicode: the GraphQL edge lets it through, and SQLite keeps it. PostgreSQL TEXT cannot.
    const outcome = await lifecycle.promote(as('ci'), { name: 'nul', version: '2', targetStage: Stage.PRODUCTION, comment: 'ship it\u0000', idempotencyKey: 'k1' }).then(
      (result) => ({ ok: true as const, result }),
      (error: { code?: string; message: string }) => ({ ok: false as const, code: error.code, message: error.message }),
    );
    const stage = (await local.getVersions([{ name: 'nul', version: '2' }]))[0]?.stage;
    // What happens: version 2 IS moved to PRODUCTION, then the outcome event fails in PostgreSQL
    // ("invalid byte sequence for encoding UTF8: 0x00"), the caller gets INTERNAL and no idempotent result is kept.
    if (outcome.ok) expect(outcome.result.status).toBe('PROMOTED');
    else expect({ code: outcome.code, stage }).toEqual({ code: 'INVALID_INPUT', stage: Stage.NONE });
  });

  it('an orphaned registration intent of a dead process is not credited with versions another process created later', async () => {
    const { local, registries } = await seeded('shared');
    // Process A: opens the registration intent (plan after: '2') and dies before its createVersion was sent.
    const a = await open();
    await a.openIntent(
      { principal: 'ci-a', action: 'registerVersion', registry: 'local', model: 'shared', version: null, before: null, after: { kind: 'register', after: '2' }, result: 'INTENT', detail: null },
      { kind: 'register', after: '2' },
    );
    await a.close();
    // Process B keeps serving: two registrations of its own before its next sweep.
    const b = await open();
    const { catalog, reconciler } = createWorkflows(registries, b, [], { graceMs: 120_000 });
    await catalog.registerVersion(as('ci-b'), { name: 'shared', source: 's3://shared/3' });
    await catalog.registerVersion(as('ci-b'), { name: 'shared', source: 's3://shared/4' });
    expect((await local.listVersions('shared', {}, { first: 10 })).items.map((v) => v.version)).toEqual(['4', '3', '2', '1']);
    expect(await reconciler.sweep()).toBe(1);
    const [event] = (await b.listAudit({ model: 'shared', limit: 100 })).filter((e) => e.action === 'reconcile');
    // What happens: { outcome: 'APPLIED', created: ['4', '3'] }: B's two versions are recorded as created by A's call.
    expect(event?.after).toMatchObject({ outcome: 'NOT_APPLIED', created: [] });
  });
});
