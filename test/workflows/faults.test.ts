import { describe, expect, it, vi } from 'vitest';
import { LocalRegistry } from '../../adapters/local/index.ts';
import { ErrorCode, RegistrySet, Stage, enforceInputRules, withResilience, type RegistryAdapter } from '../../src/core/index.ts';
import { SqliteStore } from '../../src/store/index.ts';
import { createWorkflows } from '../../src/workflows/services.ts';
import { as } from '../support/callers.ts';
import { expectCode } from '../contract/adapter-contract.ts';
import { scaled } from '../support/time-scale.ts';

/** The local registry without its atomic archive step, failing setStage(…, ARCHIVED) as told. */
function flaky(inner: RegistryAdapter, plan: { failArchive: boolean; failRestore: boolean }): RegistryAdapter {
  const capabilities = { ...inner.capabilities(), archiveExistingAtomic: false };
  let archiving = false;
  return new Proxy(inner, {
    get(target, property, receiver) {
      if (property === 'capabilities') return () => capabilities;
      if (property === 'setStage') {
        return async (key: { name: string; version: string }, stage: Stage) => {
          if (stage === Stage.ARCHIVED && plan.failArchive) {
            archiving = true;
            throw new (await import('../../src/core/index.ts')).RegistryError(ErrorCode.BACKEND_UNAVAILABLE, 'backend dropped the connection');
          }
          if (archiving && plan.failRestore) throw new Error('still down');
          return target.setStage(key, stage);
        };
      }
      return Reflect.get(target, property, receiver);
    },
  });
}

async function setup(plan: { failArchive: boolean; failRestore: boolean }) {
  const local = new LocalRegistry({ id: 'local', path: ':memory:' });
  const registry = enforceInputRules(flaky(local, plan));
  await registry.createVersion({ name: 'm', createModel: {} });
  await registry.createVersion({ name: 'm' });
  await registry.setStage({ name: 'm', version: '1' }, Stage.PRODUCTION);
  await registry.setStage({ name: 'm', version: '2' }, Stage.STAGING);
  const store = new SqliteStore(':memory:');
  const { lifecycle } = createWorkflows(new RegistrySet([registry], 'local'), store, []);
  const stages = async () => (await local.listVersions('m', {}, { first: 5 })).items.map((v) => `${v.version}:${v.stage}`);
  return { lifecycle, store, stages };
}

describe('a promotion interrupted between steps', () => {
  it('is undone when archiving the old production version fails, and audited', async () => {
    const { lifecycle, store, stages } = await setup({ failArchive: true, failRestore: false });
    const error = await expectCode(lifecycle.promote(as('ci'), { name: 'm', version: '2', targetStage: Stage.PRODUCTION }), ErrorCode.BACKEND_UNAVAILABLE);
    expect(error.message).toContain('undone: it is back in STAGING');
    expect(await stages()).toEqual(['2:STAGING', '1:PRODUCTION']);
    const events = await store.listAudit({ model: 'm', limit: 10 });
    expect(events.map((e) => `${e.action}:${e.result}`)).toEqual(['promote:INTENT', 'promote:BACKEND_UNAVAILABLE', 'reconcile:RECONCILED']);
    expect(events[1]).toMatchObject({ after: { undone: true } });
    // Read back at once: the move did not happen, and the intent is closed saying so.
    expect(events[2]).toMatchObject({ after: { outcome: 'NOT_APPLIED', stage: 'STAGING' } });
    expect(await store.openIntents()).toEqual([]);
  });

  it('reports the exact state when it cannot be undone, never two PRODUCTION versions silently', async () => {
    const { lifecycle, store, stages } = await setup({ failArchive: true, failRestore: true });
    const error = await expectCode(lifecycle.promote(as('ci'), { name: 'm', version: '2', targetStage: Stage.PRODUCTION }), ErrorCode.CONFLICT);
    expect(await stages()).toEqual(['2:PRODUCTION', '1:PRODUCTION']);
    expect(error.message).toContain('2=PRODUCTION, 1=PRODUCTION');
    expect(error.details).toMatchObject({ undone: false, state: { '1': 'PRODUCTION', '2': 'PRODUCTION' } });
    const events = (await store.listAudit({ model: 'm', limit: 10 })).filter((e) => e.action === 'promote');
    expect(events.map((e) => e.result)).toEqual(['INTENT', 'CONFLICT']);
    expect(events[1]).toMatchObject({ after: { undone: false } });
    // The backend still refuses to archive, so the intent stays open for the reconciler's next sweep.
    expect(await store.openIntents()).toHaveLength(1);
  });
});

describe('deadlines and the circuit breaker', () => {
  const hanging = (inner: RegistryAdapter): RegistryAdapter =>
    new Proxy(inner, {
      get: (target, property, receiver) => (property === 'getModel' ? () => new Promise(() => undefined) : Reflect.get(target, property, receiver)),
    });

  it('answers BACKEND_UNAVAILABLE at the deadline when a backend hangs', async () => {
    const registry = withResilience(hanging(new LocalRegistry({ id: 'stuck', path: ':memory:' })), { deadlineMs: 200, failureThreshold: 5, cooldownMs: 1000 });
    const started = Date.now();
    const error = await expectCode(registry.getModel('x'), ErrorCode.BACKEND_UNAVAILABLE);
    // The backend never answers: any bound proves the deadline, a generous one survives a loaded machine.
    expect(Date.now() - started).toBeLessThan(scaled(10_000));
    expect(error.message).toContain('did not answer getModel within 200 ms');
    expect(error.registry).toBe('stuck');
  });

  it('opens after repeated failures, fails fast, and lets a probe through after the cooldown', async () => {
    // The breaker reads the wall clock: fake only Date, so the deadline's timers stay real.
    vi.useFakeTimers({ toFake: ['Date'], now: 0 });
    let calls = 0;
    const failing = new Proxy(new LocalRegistry({ id: 'down', path: ':memory:' }), {
      get: (target, property, receiver) =>
        property === 'getModel'
          ? async () => {
              calls++;
              throw new (await import('../../src/core/index.ts')).RegistryError(ErrorCode.BACKEND_UNAVAILABLE, 'refused');
            }
          : Reflect.get(target, property, receiver),
    });
    try {
      const registry = withResilience(failing, { deadlineMs: 1000, failureThreshold: 3, cooldownMs: 5000 });
      for (let i = 0; i < 3; i++) await expectCode(registry.getModel('x'), ErrorCode.BACKEND_UNAVAILABLE);
      const open = await expectCode(registry.getModel('x'), ErrorCode.BACKEND_UNAVAILABLE);
      expect(open.message).toContain('circuit open');
      expect(calls).toBe(3);
      vi.setSystemTime(6000);
      await expectCode(registry.getModel('x'), ErrorCode.BACKEND_UNAVAILABLE);
      expect(calls).toBe(4);
    } finally {
      vi.useRealTimers();
    }
  });
});
