import { describe, expect, it } from 'vitest';
import { LocalRegistry } from '../../adapters/local/index.ts';
import { ErrorCode, RegistryError, RegistrySet, Stage, enforceInputRules, type RegistryAdapter } from '../../src/core/index.ts';
import { SqliteStore } from '../../src/store/index.ts';
import { Reconciler } from '../../src/workflows/reconcile.ts';
import { createWorkflows } from '../../src/workflows/services.ts';
import { expectCode } from '../contract/adapter-contract.ts';
import { as } from '../support/callers.ts';

const LATE_MS = 100;

/** A backend whose chosen write outlives its deadline: the caller hears UNKNOWN, and the write lands a moment later. */
function lateWrites(inner: RegistryAdapter, method: 'setStage' | 'createVersion'): RegistryAdapter {
  return new Proxy(inner, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (property !== method) return value;
      return (...args: unknown[]) => {
        setTimeout(() => void (value as (...a: unknown[]) => Promise<unknown>).apply(target, args), LATE_MS);
        return Promise.reject(new RegistryError(ErrorCode.BACKEND_UNAVAILABLE, `${method} did not answer in time`, { registry: inner.id, outcome: 'UNKNOWN' }));
      };
    },
  });
}

async function setup(method: 'setStage' | 'createVersion' | null) {
  const local = new LocalRegistry({ id: 'local', path: ':memory:' });
  const seed = enforceInputRules(local);
  await seed.createVersion({ name: 'm', createModel: {} });
  await seed.createVersion({ name: 'm' });
  await seed.setStage({ name: 'm', version: '1' }, Stage.PRODUCTION);
  const registry = enforceInputRules(method ? lateWrites(local, method) : local);
  const registries = new RegistrySet([registry], 'local');
  const store = new SqliteStore(':memory:');
  const workflows = createWorkflows(registries, store, [], { graceMs: 60_000 });
  const settle = () => new Promise((resolve) => setTimeout(resolve, LATE_MS * 2));
  return { local, store, registries, ...workflows, settle, results: async () => (await store.listAudit({ limit: 50 })).map((e) => `${e.action}:${e.result}`) };
}

describe('write-ahead intents', () => {
  it('a promotion past its deadline is UNKNOWN, stays open while it may land, and is reconciled as applied once it did', async () => {
    const { local, store, registries, lifecycle, reconciler, settle, results } = await setup('setStage');
    const error = await expectCode(lifecycle.promote(as('ci'), { name: 'm', version: '2', targetStage: Stage.PRODUCTION }), ErrorCode.BACKEND_UNAVAILABLE);
    expect(error.outcome).toBe('UNKNOWN');
    expect(await results()).toEqual(['promote:INTENT', 'promote:BACKEND_UNAVAILABLE']);
    // Within the grace period the owner's intent is left alone: its write may still be on the way.
    expect(await reconciler.sweep()).toBe(0);
    await settle();
    expect((await local.getVersions([{ name: 'm', version: '2' }]))[0]?.stage).toBe(Stage.PRODUCTION);

    expect(await new Reconciler(registries, store, { graceMs: 0 }).sweep()).toBe(1);
    const [reconciled] = (await store.listAudit({ limit: 50 })).filter((e) => e.action === 'reconcile');
    expect(reconciled).toMatchObject({ version: '2', result: 'RECONCILED', after: { outcome: 'APPLIED', stage: 'PRODUCTION' } });
    // What the promotion would have done after the move is done now: archive, tags, history.
    const [one, two] = await local.getVersions([{ name: 'm', version: '1' }, { name: 'm', version: '2' }]);
    expect([one?.stage, two?.stage]).toEqual([Stage.ARCHIVED, Stage.PRODUCTION]);
    expect(Object.keys(two!.tags)).toEqual(expect.arrayContaining(['promoted_at', 'promoted_by']));
    expect((await store.productionHistory('local', 'm'))[0]?.version).toBe('2');
    expect(await store.openIntents()).toEqual([]);
    expect((await store.verifyAudit()).ok).toBe(true);
  });

  it('a registration past its deadline is reconciled with the version it did create', async () => {
    const { store, registries, catalog, settle } = await setup('createVersion');
    const error = await expectCode(catalog.registerVersion(as('ci'), { name: 'm', source: 's3://m/3' }), ErrorCode.BACKEND_UNAVAILABLE);
    expect(error.outcome).toBe('UNKNOWN');
    await settle();
    expect(await new Reconciler(registries, store, { graceMs: 0 }).sweep()).toBe(1);
    const [reconciled] = (await store.listAudit({ limit: 50 })).filter((e) => e.action === 'reconcile');
    expect(reconciled).toMatchObject({ result: 'RECONCILED', after: { outcome: 'APPLIED', created: ['3'] } });
  });

  it('a failure before the first write opens no intent; one after it is read back at once', async () => {
    const { store, lifecycle, results } = await setup(null);
    await expectCode(lifecycle.promote(as('ci'), { name: 'm', version: '9', targetStage: Stage.PRODUCTION }), ErrorCode.NOT_FOUND);
    await expectCode(lifecycle.rollback(as('ci'), { name: 'm', toVersion: '1', reason: 'already there' }), ErrorCode.INVALID_INPUT);
    expect(await results()).toEqual(['promote:NOT_FOUND', 'rollback:INVALID_INPUT']);
    expect(await store.openIntents()).toEqual([]);
  });

  it('an intent left by a process that is gone is reconciled at once, without waiting for the grace period', async () => {
    const { store, registries } = await setup(null);
    const orphan = await store.openIntent(
      { principal: 'ci', action: 'transitionStage', registry: 'local', model: 'm', version: '2', before: null, after: null, result: 'INTENT', detail: null },
      { kind: 'stage', version: '2', stage: Stage.STAGING, archive: false },
    );
    // Another store on the same file is another process; its reconciler sees the first owner as gone only if it is.
    expect(await store.ownerAlive(orphan.owner)).toBe(true);
    expect(await new Reconciler(registries, store, { graceMs: 60_000 }).sweep()).toBe(0);
    const restarted = { ...orphan, owner: 'a-process-that-died' };
    expect(await store.ownerAlive(restarted.owner)).toBe(false);
    await new Reconciler(registries, store, { graceMs: 60_000 }).reconcile(restarted);
    const [event] = (await store.listAudit({ limit: 50 })).filter((e) => e.action === 'reconcile');
    expect(event).toMatchObject({ after: { outcome: 'NOT_APPLIED', stage: 'NONE' } });
  });
});
