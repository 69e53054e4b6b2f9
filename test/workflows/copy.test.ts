import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalRegistry } from '../../adapters/local/index.ts';
import { ErrorCode, RegistryError, RegistrySet, Stage, enforceInputRules, type RegistryAdapter } from '../../src/core/index.ts';
import { SqliteStore } from '../../src/store/index.ts';
import { CopyStatus } from '../../src/workflows/copy.ts';
import { COPIED_FROM } from '../../src/workflows/copy-plan.ts';
import type { Policy } from '../../src/workflows/policy.ts';
import { createWorkflows } from '../../src/workflows/services.ts';
import { expectCode } from '../contract/adapter-contract.ts';
import { as } from '../support/callers.ts';

const alice = as('alice');

/** Two embedded registries; `target` can be made to fail right after its create landed. */
function setup(options: { policies?: Policy[]; afterCreate?: () => Error | null } = {}) {
  const laptop = new LocalRegistry({ id: 'laptop', path: ':memory:' });
  const team = new LocalRegistry({ id: 'team', path: ':memory:' });
  const flaky: RegistryAdapter = Object.assign(Object.create(team) as RegistryAdapter, {
    createVersion: async (input: Parameters<RegistryAdapter['createVersion']>[0]) => {
      const created = await team.createVersion(input);
      const failure = options.afterCreate?.();
      if (failure) throw failure;
      return created;
    },
  });
  const registries = new RegistrySet([laptop, flaky].map(enforceInputRules), 'laptop');
  const store = new SqliteStore(':memory:');
  const workflows = createWorkflows(registries, store, options.policies ?? [], { graceMs: 0 });
  return { laptop, team, registries, store, workflows };
}

describe('copyVersion: crashes, refusals and odd input (embedded registries)', () => {
  let env: ReturnType<typeof setup>;
  let failNext: Error | null = null;
  beforeEach(async () => {
    failNext = null;
    env = setup({ afterCreate: () => failNext });
    await env.workflows.catalog.registerVersion(alice, { registry: 'laptop', name: 'churn', source: 's3://a/1', tags: { team: 'growth' }, metrics: { auc: 0.8 } });
  });
  afterEach(async () => {
    await env.registries.close();
    await env.store.close();
  });
  const copy = (extra: object = {}) => env.workflows.copies.copyVersion(alice, { from: { registry: 'laptop', name: 'churn', version: '1' }, to: { registry: 'team' }, ...extra });
  const targetVersions = async () => (await env.team.listVersions('churn', {}, { first: 50 })).items;

  it('a failure after the create landed is reconciled from the copied_from tag: no duplicate, no untagged copy', async () => {
    failNext = new Error('connection reset after the write');
    await expect(copy()).rejects.toThrow('connection reset');
    const [reconciled] = (await env.store.listAudit({ registry: 'team', model: 'churn', limit: 50 })).filter((e) => e.action === 'reconcile');
    expect(reconciled).toMatchObject({ result: 'RECONCILED', after: { outcome: 'APPLIED', created: ['1'] } });
    failNext = null;
    const again = await copy();
    expect(again).toMatchObject({ status: CopyStatus.EXISTING, version: { version: '1' } });
    expect((await targetVersions()).map((v) => v.tags[COPIED_FROM])).toEqual(['laptop:models:/churn/1']);
  });

  it('a write past its deadline stays open until a sweep settles it; the copy is then found, not made twice', async () => {
    failNext = new RegistryError(ErrorCode.BACKEND_UNAVAILABLE, 'deadline passed', { outcome: 'UNKNOWN' });
    await expectCode(copy(), ErrorCode.BACKEND_UNAVAILABLE);
    expect(await env.store.openIntents()).toHaveLength(1);
    expect(await env.workflows.reconciler.sweep()).toBe(1);
    expect(await env.store.openIntents()).toEqual([]);
    failNext = null;
    expect((await copy()).status).toBe(CopyStatus.EXISTING);
    expect(await targetVersions()).toHaveLength(1);
  });

  it('a copy with a stage into a model whose last copy is unsettled: the promotion is CONFLICT until the sweep, then copying again moves it', async () => {
    failNext = new RegistryError(ErrorCode.BACKEND_UNAVAILABLE, 'deadline passed', { outcome: 'UNKNOWN' });
    await expectCode(copy(), ErrorCode.BACKEND_UNAVAILABLE);
    failNext = null;
    const [intent] = await env.store.openIntents();
    // The copy is found (no second one); its move waits for the sweep, as every stage change of the model does.
    await expect(copy({ stage: Stage.STAGING })).rejects.toMatchObject({ code: ErrorCode.CONFLICT, details: { intent: intent!.seq } });
    expect((await targetVersions()).map((v) => v.stage)).toEqual([Stage.NONE]);
    expect(await env.workflows.reconciler.sweep()).toBe(1);
    expect(await copy({ stage: Stage.STAGING })).toMatchObject({ status: CopyStatus.EXISTING, version: { stage: Stage.STAGING }, promotion: { status: 'PROMOTED' } });
  });

  it('keys like __proto__ and constructor are data on the way across', async () => {
    await env.workflows.catalog.changeTags(alice, { registry: 'laptop', name: 'churn', version: '1', set: JSON.parse('{"__proto__": "x", "constructor": "y"}'), remove: [] });
    const copied = await copy();
    expect(copied.version!.tags['__proto__']).toBe('x');
    expect(Object.hasOwn(copied.version!.tags, 'constructor')).toBe(true);
    expect(Object.getPrototypeOf(copied.version!.tags)).toBeNull();
  });

  it("a copy of a copy names its own origin, and the source's promotion tags stay behind, each said so", async () => {
    await env.workflows.lifecycle.promote(alice, { registry: 'laptop', name: 'churn', version: '1', targetStage: Stage.PRODUCTION });
    const first = await copy();
    expect(first.dropped.map((c) => c.key).sort()).toEqual(['promoted_at', 'promoted_by']);
    const second = await env.workflows.copies.copyVersion(alice, { from: { registry: 'team', name: 'churn', version: first.version!.version }, to: { registry: 'laptop', name: 'churn-back' } });
    expect(second.version!.tags[COPIED_FROM]).toBe('team:models:/churn/1');
    expect(second.transformed).toContainEqual(expect.objectContaining({ key: COPIED_FROM, from: 'laptop:models:/churn/1', to: 'team:models:/churn/1' }));
  });

  it('an idempotency key reused with other arguments is CONFLICT; with the same ones it replays', async () => {
    const first = await copy({ idempotencyKey: 'k-1' });
    expect((await copy({ idempotencyKey: 'k-1' })).replayed).toBe(true);
    expect(first.replayed).toBeUndefined();
    await expectCode(copy({ idempotencyKey: 'k-1', strict: true }), ErrorCode.CONFLICT);
  });

  it('a missing source is NOT_FOUND naming it, audited, and nothing is created', async () => {
    const error = await expectCode(env.workflows.copies.copyVersion(alice, { from: { registry: 'laptop', name: 'churn', version: '7' }, to: { registry: 'team' } }), ErrorCode.NOT_FOUND);
    expect(error.message).toContain('no version 7');
    expect(await env.team.getModel('churn')).toBeNull();
    const events = await env.store.listAudit({ registry: 'team', model: 'churn', limit: 10 });
    expect(events.map((e) => e.result)).toEqual(['NOT_FOUND']);
  });

  it('a version is not copied into its own model: INVALID_INPUT, nothing created', async () => {
    await expectCode(env.workflows.copies.copyVersion(alice, { from: { registry: 'laptop', name: 'churn', version: '1' }, to: { registry: 'laptop' } }), ErrorCode.INVALID_INPUT);
    await expectCode(env.workflows.migrations.start(alice, { from: { registry: 'laptop', name: 'churn' }, to: { registry: 'laptop', name: 'churn' } }), ErrorCode.INVALID_INPUT);
    expect((await env.laptop.listVersions('churn', {}, { first: 10 })).items).toHaveLength(1);
  });

  it('a migration paused by a backend that is down carries on by itself, without duplicates', async () => {
    let failures = 2;
    const down = () => (failures-- > 0 ? new RegistryError(ErrorCode.BACKEND_UNAVAILABLE, 'team registry is down') : null);
    const flaky = setup({ afterCreate: down });
    try {
      await flaky.workflows.catalog.registerVersion(alice, { registry: 'laptop', name: 'churn', source: 's3://a/1' });
      await flaky.workflows.catalog.registerVersion(alice, { registry: 'laptop', name: 'churn', source: 's3://a/2' });
      flaky.workflows.migrations.retryMs = 20;
      const job = await flaky.workflows.migrations.start(alice, { from: { registry: 'laptop', name: 'churn' }, to: { registry: 'team' } });
      let state = await flaky.workflows.migrations.get(job.id);
      for (let i = 0; i < 200 && state!.status === 'RUNNING'; i++) {
        await new Promise((r) => setTimeout(r, 20));
        state = await flaky.workflows.migrations.get(job.id);
      }
      expect(state).toMatchObject({ status: 'DONE' });
      expect(state!.items.map((item) => item.target)).toEqual(['1', '2']);
      expect((await flaky.team.listVersions('churn', {}, { first: 10 })).items).toHaveLength(2);
    } finally {
      await flaky.workflows.migrations.stop();
      await flaky.registries.close();
      await flaky.store.close();
    }
  });

  it('a caller who cannot read the source gets NOT_FOUND, as if it were absent', async () => {
    const scoped = { principal: 'bob', authorize: (_p: string, registry: string) => {
      if (registry === 'laptop') throw new RegistryError(ErrorCode.NOT_FOUND, "Model 'churn' does not exist");
    } };
    await expectCode(env.workflows.copies.copyVersion(scoped, { from: { registry: 'laptop', name: 'churn', version: '1' }, to: { registry: 'team' } }), ErrorCode.NOT_FOUND);
    expect(await env.team.getModel('churn')).toBeNull();
  });
});

describe('copyVersion with a stage: through the target gates and approvals, like promote', () => {
  const gated: Policy[] = [
    { models: 'churn', registries: ['team'], stage: Stage.STAGING, gates: [{ kind: 'metric', metric: 'auc', min: 0.9 }], approvals: 0, allowSelfApproval: false },
    { models: 'churn', registries: ['team'], stage: Stage.PRODUCTION, gates: [], approvals: 1, allowSelfApproval: false },
  ];
  it('failing gates leave the copy in NONE with the reason; approvals open a request', async () => {
    const env = setup({ policies: gated });
    try {
      await env.workflows.catalog.registerVersion(alice, { registry: 'laptop', name: 'churn', source: 's3://a/1', metrics: { auc: 0.8 } });
      const staged = await env.workflows.copies.copyVersion(alice, { from: { registry: 'laptop', name: 'churn', version: '1' }, to: { registry: 'team' }, stage: Stage.STAGING });
      expect(staged).toMatchObject({ status: CopyStatus.CREATED, version: { stage: Stage.NONE }, promotionError: { code: 'GATE_FAILED' } });
      const production = await env.workflows.copies.copyVersion(alice, { from: { registry: 'laptop', name: 'churn', version: '1' }, to: { registry: 'team' }, stage: Stage.PRODUCTION });
      expect(production).toMatchObject({ status: CopyStatus.EXISTING, promotion: { status: 'PENDING_APPROVAL' } });
      expect((await env.team.getVersions([{ name: 'churn', version: '1' }]))[0]!.stage).toBe(Stage.NONE);
    } finally {
      await env.registries.close();
      await env.store.close();
    }
  });
});

describe('migrateModel (embedded registries)', () => {
  it('copies in order, follows the stage filter, reports per version, refuses unknown versions, and is audited', async () => {
    const env = setup();
    try {
      for (const [i, tags] of ([{ a: '1' }, { 'Wide Key': 'x' }, { a: '3' }] as Record<string, string>[]).entries()) {
        const v = await env.workflows.catalog.registerVersion(alice, { registry: 'laptop', name: 'churn', source: `s3://a/${i + 1}`, tags, metrics: { auc: i / 10 } });
        if (i === 2) await env.workflows.catalog.transitionStage(alice, { registry: 'laptop', name: 'churn', version: v.version, stage: Stage.STAGING, archiveExisting: false });
      }
      const staged = await env.workflows.migrations.start(alice, { from: { registry: 'laptop', name: 'churn' }, to: { registry: 'team', name: 'staged' }, includeStages: [Stage.STAGING] });
      await env.workflows.migrations.settled(staged.id);
      expect((await env.workflows.migrations.get(staged.id))!.items).toEqual([expect.objectContaining({ version: '3', status: 'CREATED', target: '1' })]);

      const all = await env.workflows.migrations.start(alice, { from: { registry: 'laptop', name: 'churn' }, to: { registry: 'team' } });
      await env.workflows.migrations.settled(all.id);
      const job = (await env.workflows.migrations.get(all.id))!;
      expect(job.status).toBe('DONE');
      expect(job.items.map((i) => [i.version, i.status, i.target])).toEqual([['1', 'CREATED', '1'], ['2', 'CREATED', '2'], ['3', 'CREATED', '3']]);

      await expectCode(env.workflows.migrations.start(alice, { from: { registry: 'laptop', name: 'churn' }, to: { registry: 'team' }, versions: ['2', '9'] }), ErrorCode.NOT_FOUND);
      const audit = await env.store.listAudit({ registry: 'team', limit: 100 });
      expect(audit.filter((e) => e.action === 'migrateModel').map((e) => e.result)).toEqual(['OK', 'OK', 'NOT_FOUND']);
      expect(audit.filter((e) => e.action === 'copyVersion' && e.result === 'OK')).toHaveLength(4);
    } finally {
      await env.registries.close();
      await env.store.close();
    }
  });
});
