// Attacks on write-ahead intents and their reconciliation (issue 11). Each test fails on the code it was written against.
import { describe, expect, it } from 'vitest';
import { LocalRegistry } from '../../adapters/local/index.ts';
import { ErrorCode, RegistryError, RegistrySet, Stage, enforceInputRules, type RegistryAdapter } from '../../src/core/index.ts';
import { SqliteStore } from '../../src/store/index.ts';
import { Reconciler } from '../../src/workflows/reconcile.ts';
import { BackendWatcher } from '../../src/events/watcher.ts';
import { pino } from 'pino';
import { createWorkflows } from '../../src/workflows/services.ts';
import { as } from '../support/callers.ts';

type Faults = Partial<Record<keyof RegistryAdapter, (call: number, args: unknown[], real: (...a: unknown[]) => Promise<unknown>) => Promise<unknown>>>;

/** The local registry with chosen methods replaced; `call` counts that method's calls from 1. */
function faulty(inner: RegistryAdapter, faults: Faults): RegistryAdapter {
  const calls = new Map<PropertyKey, number>();
  return new Proxy(inner, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      const fault = faults[property as keyof RegistryAdapter];
      if (!fault) return value;
      return (...args: unknown[]) => {
        const call = (calls.get(property) ?? 0) + 1;
        calls.set(property, call);
        return fault(call, args, (...a) => (value as (...x: unknown[]) => Promise<unknown>).apply(target, a));
      };
    },
  });
}

const LATE_MS = 100;
/** The first setStage outlives its deadline (UNKNOWN) and lands LATE_MS later, as in test/workflows/intents.test.ts. */
const stageLandsLate: Faults = {
  setStage: (call, args, real) => {
    if (call > 1) return real(...args);
    setTimeout(() => void real(...args), LATE_MS);
    return Promise.reject(new RegistryError(ErrorCode.BACKEND_UNAVAILABLE, 'setStage did not answer in time', { registry: 'local', outcome: 'UNKNOWN' }));
  },
};
const landed = () => new Promise((resolve) => setTimeout(resolve, LATE_MS * 2));

const down = (id: string, what: string) => new RegistryError(ErrorCode.BACKEND_UNAVAILABLE, `${what}: connection refused`, { registry: id });

async function setup(faults: Faults, seed = true) {
  const local = new LocalRegistry({ id: 'local', path: ':memory:' });
  const plain = enforceInputRules(local);
  if (seed) {
    await plain.createVersion({ name: 'm', createModel: {} });
    await plain.createVersion({ name: 'm' });
    await plain.setStage({ name: 'm', version: '1' }, Stage.PRODUCTION);
  }
  const registries = new RegistrySet([enforceInputRules(faulty(local, faults))], 'local');
  const store = new SqliteStore(':memory:');
  const workflows = createWorkflows(registries, store, [], { graceMs: 60_000 });
  const reconciles = async () => (await store.listAudit({ limit: 100 })).filter((e) => e.action === 'reconcile');
  return { local, store, registries, ...workflows, reconciles };
}

describe('attack: reconciliation of registerVersion intents', () => {
  it('a registration whose first read failed is not reconciled as having created every existing version', async () => {
    // listVersions fails twice (a flaky backend): registerVersion swallows the first failure as "no versions yet"
    // (intent plan after: null), then nextSemver's read fails after the intent, so the intent is read back at once.
    const { local, store, catalog, reconciles } = await setup({
      listVersions: (call, args, real) => (call <= 2 ? Promise.reject(down('local', 'listVersions')) : real(...args)),
    });
    await expect(catalog.registerVersion(as('ci'), { name: 'm', source: 's3://m/3' })).rejects.toMatchObject({ code: ErrorCode.BACKEND_UNAVAILABLE });
    // Nothing was created: the model still has exactly versions 1 and 2.
    expect((await local.listVersions('m', {}, { first: 50 })).items.map((v) => v.version)).toEqual(['2', '1']);
    // Refused before its intent (the read failed), or read back as having created nothing: never two old versions attributed to it.
    const [event] = await reconciles();
    expect((event?.after as { created?: string[] } | undefined)?.created ?? []).toEqual([]);
    expect(await store.openIntents()).toEqual([]);
  });
});

describe('attack: reconciliation after a rename', () => {
  it('a promotion that landed is not reconciled as NOT_APPLIED because the model was renamed meanwhile', async () => {
    const { local, store, registries, lifecycle, catalog, reconciles } = await setup(stageLandsLate);
    await expect(lifecycle.promote(as('ci'), { name: 'm', version: '2', targetStage: Stage.PRODUCTION })).rejects.toMatchObject({ outcome: 'UNKNOWN' });
    await landed();
    // Within the grace period a rename would move the model away from its unsettled change: refused until it is settled.
    await expect(catalog.renameModel(as('admin'), { name: 'm', newName: 'm2' })).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(catalog.deleteModel(as('admin'), { name: 'm' })).rejects.toMatchObject({ code: 'CONFLICT' });

    await new Reconciler(registries, store, { graceMs: 0 }).sweep();
    const [event] = await reconciles();
    expect(event?.after).toMatchObject({ outcome: 'APPLIED' });
    await catalog.renameModel(as('admin'), { name: 'm', newName: 'm2' });
    expect((await local.getVersions([{ name: 'm2', version: '2' }]))[0]?.stage).toBe(Stage.PRODUCTION);
  });
});

describe('attack: a stage change of another version while a promotion is unsettled', () => {
  it('promote, transitionStage and rollback wait for the sweep (CONFLICT naming the intent); a dry run does not', async () => {
    const { local, store, registries, lifecycle, catalog, reconciles } = await setup(stageLandsLate);
    await local.createVersion({ name: 'm' });
    await expect(lifecycle.promote(as('ci'), { name: 'm', version: '2', targetStage: Stage.PRODUCTION })).rejects.toMatchObject({ outcome: 'UNKNOWN' });
    await landed();
    const [intent] = await store.openIntents();
    const unsettled = { code: 'CONFLICT', details: { intent: intent!.seq } };
    // Before this, version 3 went to PRODUCTION and the sweep then archived it and recorded 2 as the later production version.
    await expect(catalog.transitionStage(as('admin'), { name: 'm', version: '3', stage: Stage.PRODUCTION, archiveExisting: false })).rejects.toMatchObject(unsettled);
    await expect(lifecycle.promote(as('ci'), { name: 'm', version: '3', targetStage: Stage.PRODUCTION })).rejects.toMatchObject(unsettled);
    await expect(lifecycle.rollback(as('ci'), { name: 'm', reason: 'bad' })).rejects.toMatchObject(unsettled);
    expect(await lifecycle.promote(as('ci'), { name: 'm', version: '3', targetStage: Stage.PRODUCTION, dryRun: true })).toMatchObject({ status: 'DRY_RUN' });

    await new Reconciler(registries, store, { graceMs: 0 }).sweep();
    expect((await reconciles()).map((e) => e.after)).toMatchObject([{ outcome: 'APPLIED' }]);
    await lifecycle.promote(as('ci'), { name: 'm', version: '3', targetStage: Stage.PRODUCTION });
    expect((await store.productionHistory('local', 'm')).map((r) => r.version)).toEqual(['3', '2']);
    const stages = (await local.listVersions('m', {}, { first: 10 })).items.map((v) => [v.version, v.stage]);
    expect(Object.fromEntries(stages)).toEqual({ '1': Stage.ARCHIVED, '2': Stage.ARCHIVED, '3': Stage.PRODUCTION });
    expect((await store.verifyAudit()).ok).toBe(true);
  });
});

describe('attack: the backend watcher and an unsettled promotion', () => {
  it("does not report the gateway's own unsettled move as an external change, before or after the sweep settles it", async () => {
    const { local, store, registries, lifecycle, commands, reconciler } = await setup(stageLandsLate);
    const watcher = new BackendWatcher(registries, store, commands, { intervalSeconds: 3600, models: ['m'] }, pino({ level: 'silent' }));
    const external = async () => (await store.listAudit({ limit: 100 })).filter((e) => e.action === 'externalChange');
    await watcher.poll();
    await expect(lifecycle.promote(as('ci'), { name: 'm', version: '2', targetStage: Stage.PRODUCTION })).rejects.toMatchObject({ outcome: 'UNKNOWN' });
    await landed();
    expect((await local.getVersions([{ name: 'm', version: '2' }]))[0]?.stage).toBe(Stage.PRODUCTION);
    // Before this, the poll recorded version 2's move as made by 'external', and it joined the production history so.
    await watcher.poll();
    expect(await external()).toEqual([]);

    // The sweep (the workflows' own reconciler, told of the watcher) records the move as the promotion's, then the watcher's snapshot has it.
    // Settled now rather than after the grace period: the same path a sweep takes.
    expect(await reconciler.reconcile((await store.openIntents())[0]!)).toBe(true);
    expect(await external()).toEqual([]);
    await watcher.poll();
    expect((await store.productionHistory('local', 'm')).map((r) => `${r.version}:${r.by}`)).toEqual(['2:ci']);
    expect(await external()).toHaveLength(0);
    await watcher.stop();
  });
});
