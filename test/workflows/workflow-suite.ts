import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, RegistrySet, Stage, enforceInputRules, type RegistryAdapter } from '../../src/core/index.ts';
import { ApprovalStatus, SqliteStore, type GatewayStore } from '../../src/store/index.ts';
import { bestVersion, compareVersions } from '../../src/workflows/compare.ts';
import { PromotionStatus, RollbackRule, type Lifecycle } from '../../src/workflows/lifecycle.ts';
import { createWorkflows } from '../../src/workflows/services.ts';
import { as } from '../support/callers.ts';
import type { Policy } from '../../src/workflows/policy.ts';
import { registerVersion } from '../../src/workflows/register.ts';
import { expectCode, type ContractSubject } from '../contract/adapter-contract.ts';
import { artifactUri } from '../support/artifacts.ts';
import { scaled } from '../support/time-scale.ts';

/** The seed tutorial's policies: staging needs good metrics; production needs more, a tag, a description and an approval. */
export const SEED_POLICIES: Policy[] = [
  {
    models: '*',
    stage: Stage.STAGING,
    gates: [
      { kind: 'metric', metric: 'accuracy', min: 0.85 },
      { kind: 'metric', metric: 'f1_score', min: 0.8 },
    ],
    approvals: 0,
    allowSelfApproval: false,
  },
  {
    models: '*',
    stage: Stage.PRODUCTION,
    gates: [
      { kind: 'currentStage', stage: Stage.STAGING },
      { kind: 'tag', key: 'validated' },
      { kind: 'description' },
      { kind: 'metric', metric: 'accuracy', min: 0.9 },
      { kind: 'metric', metric: 'f1_score', min: 0.85 },
    ],
    approvals: 1,
    allowSelfApproval: false,
  },
];

/**
 * The seed's whole story, written once and run over every adapter: register, compare, pick
 * the best, fail and pass the staging gate, gate and approve production, archive the old
 * production, roll back, roll back on degradation, and verify the audit chain.
 */
export function defineWorkflowSuite(label: string, setup: () => Promise<ContractSubject>): void {
  describe(`workflows: ${label}`, () => {
    let subject: ContractSubject;
    let registry: RegistryAdapter;
    let store: GatewayStore;
    let lifecycle: Lifecycle;
    const name = `Churn-${randomUUID().slice(0, 8)}`;
    const alice = 'alice';
    const bob = 'bob';
    const promote = (version: string, targetStage: Stage, extra: { principal?: string; dryRun?: boolean; idempotencyKey?: string; comment?: string } = {}) =>
      lifecycle.promote(as(extra.principal ?? alice), { name, version, targetStage, dryRun: extra.dryRun, idempotencyKey: extra.idempotencyKey, comment: extra.comment });
    const stageOf = async (version: string) => (await registry.getVersions([{ name, version }]))[0]?.stage;

    beforeAll(async () => {
      subject = await setup();
      registry = enforceInputRules(subject.adapter);
      store = new SqliteStore(':memory:');
      lifecycle = createWorkflows(new RegistrySet([registry], registry.id), store, SEED_POLICIES).lifecycle;
      const seed = [
        { description: 'Baseline logistic regression', metrics: { accuracy: 0.88, f1_score: 0.84 } },
        { description: 'Gradient boosting', metrics: { accuracy: 0.92, f1_score: 0.89 } },
        { description: 'Random forest', metrics: { accuracy: 0.91, f1_score: 0.9 } },
        { description: 'Undertrained', metrics: { accuracy: 0.8, f1_score: 0.7 } },
      ];
      for (const [i, version] of seed.entries()) {
        await registerVersion(registry, { name, source: artifactUri(registry, `models/churn/${i + 1}`), ...version });
      }
    }, scaled(120_000));
    afterAll(async () => {
      await store?.close();
      await subject?.teardown?.();
    });

    it('compares the versions and picks the best one', async () => {
      const comparison = await compareVersions(registry, name);
      expect(comparison.best).toEqual([
        { metric: 'accuracy', goal: 'MAXIMIZE', version: '2', value: 0.92 },
        { metric: 'f1_score', goal: 'MAXIMIZE', version: '3', value: 0.9 },
      ]);
      expect((await bestVersion(registry, name, 'accuracy', 'MAXIMIZE', null))?.version.version).toBe('2');
      expect((await bestVersion(registry, name, 'accuracy', 'MINIMIZE', null))?.version.version).toBe('4');
    });

    it('fails the staging gate with a full report and changes nothing', async () => {
      const error = await expectCode(promote('4', Stage.STAGING), ErrorCode.GATE_FAILED);
      const report = (error.details as { report: { checks: { subject: string; passed: boolean; actual: string | null; threshold: string }[] } }).report;
      expect(report.checks).toEqual([
        expect.objectContaining({ subject: 'accuracy', passed: false, actual: '0.8', threshold: '>= 0.85', message: 'accuracy 0.80 < min 0.85' }),
        expect.objectContaining({ subject: 'f1_score', passed: false, actual: '0.7', threshold: '>= 0.8', message: 'f1_score 0.7 < min 0.8' }),
      ]);
      expect(error.message).toBe('Gates for STAGING failed: accuracy 0.80 < min 0.85; f1_score 0.7 < min 0.8');
      expect(await stageOf('4')).toBe(Stage.NONE);
    });

    it('changes nothing on a dry run', async () => {
      const dry = await promote('2', Stage.STAGING, { dryRun: true });
      expect(dry).toMatchObject({ status: PromotionStatus.DRY_RUN, wouldDo: 'PROMOTE', report: { passed: true } });
      expect(await stageOf('2')).toBe(Stage.NONE);
    });

    it('passes the staging gate, once per idempotency key', async () => {
      const key = `stage-2-${name}`;
      // A dry run with the key is neither stored nor answered from the store.
      expect((await promote('2', Stage.STAGING, { idempotencyKey: key, dryRun: true })).status).toBe(PromotionStatus.DRY_RUN);
      const first = await promote('2', Stage.STAGING, { idempotencyKey: key });
      expect(first.status).toBe(PromotionStatus.PROMOTED);
      expect(first.replayed).toBeUndefined();
      expect(await stageOf('2')).toBe(Stage.STAGING);
      const again = await promote('2', Stage.STAGING, { idempotencyKey: key });
      expect(again).toMatchObject({ status: PromotionStatus.PROMOTED, replayed: true, version: { version: '2' } });
      expect((await promote('2', Stage.STAGING, { idempotencyKey: key, dryRun: true })).status).toBe(PromotionStatus.DRY_RUN);
      const events = (await store.listAudit({ model: name, limit: 100 })).filter((e) => e.action === 'promote' && e.version === '2');
      expect(events.filter((e) => e.result === 'OK')).toHaveLength(1);
      expect(events.filter((e) => e.result === 'REPLAYED')).toHaveLength(1);
    });

    it('binds an idempotency key to its call: other arguments are CONFLICT, another principal has its own key', async () => {
      const key = `bound-${name}`;
      await promote('3', Stage.STAGING, { idempotencyKey: key });
      const reused = await expectCode(promote('3', Stage.STAGING, { idempotencyKey: key, comment: 'other arguments' }), ErrorCode.CONFLICT);
      expect(reused.message).toContain('other arguments');
      // The same key from bob is bob's own call: it runs, and is not alice's stored outcome.
      const bobs = await promote('3', Stage.STAGING, { idempotencyKey: key, principal: bob });
      expect(bobs.replayed).toBeUndefined();
      // A refusal is not stored: after fixing the state, the same key runs again.
      const refusedKey = `refused-${name}`;
      await expectCode(promote('4', Stage.STAGING, { idempotencyKey: refusedKey }), ErrorCode.GATE_FAILED);
      await expectCode(promote('4', Stage.STAGING, { idempotencyKey: refusedKey }), ErrorCode.GATE_FAILED);
      const refusals = (await store.listAudit({ model: name, limit: 200 })).filter((e) => e.action === 'promote' && e.version === '4' && e.result === 'GATE_FAILED');
      expect(refusals.length).toBeGreaterThanOrEqual(2);
    });

    it('holds production behind its gates, then opens an approval request', async () => {
      const missingTag = await expectCode(promote('2', Stage.PRODUCTION), ErrorCode.GATE_FAILED);
      expect(missingTag.message).toContain('validated');
      await registry.setTags({ name, version: '2' }, { validated: 'true' }, []);
      const pending = await promote('2', Stage.PRODUCTION);
      expect(pending.status).toBe(PromotionStatus.PENDING_APPROVAL);
      expect(pending.approvalRequest).toMatchObject({ status: 'PENDING', requestedBy: alice, requiredApprovals: 1 });
      expect(await stageOf('2')).toBe(Stage.STAGING);
      await expectCode(lifecycle.approve(as(alice), pending.approvalRequest!.id, 'self'), ErrorCode.FORBIDDEN);
      const approved = await lifecycle.approve(as(bob), pending.approvalRequest!.id, 'looks good');
      expect(approved.request.status).toBe('APPROVED');
      expect(approved.promotion?.version).toMatchObject({ version: '2', stage: Stage.PRODUCTION });
      expect(approved.promotion?.version.tags).toMatchObject({ validated: 'true', promoted_by: bob });
      expect(approved.promotion?.version.tags.promoted_at).toBeTruthy();
      await expectCode(lifecycle.approve(as('carol'), pending.approvalRequest!.id, null), ErrorCode.CONFLICT);
    });

    it('archives the previous production version when a new one is approved', async () => {
      await registry.setTags({ name, version: '3' }, { validated: 'true' }, []);
      const pending = await promote('3', Stage.PRODUCTION);
      const approved = await lifecycle.approve(as(bob), pending.approvalRequest!.id, null);
      expect(approved.promotion?.archived.map((v) => v.version)).toEqual(['2']);
      expect([await stageOf('2'), await stageOf('3')]).toEqual([Stage.ARCHIVED, Stage.PRODUCTION]);
    });

    it('rejects a request and leaves the version where it was', async () => {
      await promote('1', Stage.STAGING);
      await registry.setTags({ name, version: '1' }, { validated: 'true' }, []);
      await expectCode(promote('1', Stage.PRODUCTION), ErrorCode.GATE_FAILED);
      const report = await lifecycle.evaluate(null, name, '1', Stage.PRODUCTION);
      expect(report.checks.find((c) => c.subject === 'accuracy')).toMatchObject({ passed: false, actual: '0.88' });
    });

    it('rolls back to the previous production version from the recorded history', async () => {
      const rolled = await lifecycle.rollback(as(alice), { name, reason: 'latency regression' });
      expect(rolled.rule).toBe(RollbackRule.PRODUCTION_HISTORY);
      expect(rolled.to.version).toBe('2');
      expect(rolled.from.map((v) => v.version)).toEqual(['3']);
      const [two, three] = await registry.getVersions([{ name, version: '2' }, { name, version: '3' }]);
      expect([two?.stage, three?.stage]).toEqual([Stage.PRODUCTION, Stage.ARCHIVED]);
      expect(three?.tags.rollback_reason).toBeTruthy();
      expect(two?.tags.rolled_back_at).toBeTruthy();
    });

    it('acts on degradation beyond the tolerance, not within it, and never reinstates the version a rollback withdrew', async () => {
      const fine = await lifecycle.checkDegradation(as(alice), { name, metric: 'accuracy', observed: 0.9, tolerance: 0.05, autoRollback: true });
      expect(fine).toMatchObject({ degraded: false, recorded: 0.92, rollback: null });
      // Version 3 was withdrawn for a latency regression: it is not a place to go back to.
      const nowhere = await expectCode(lifecycle.checkDegradation(as(alice), { name, metric: 'accuracy', observed: 0.8, tolerance: 0.05, autoRollback: true }), ErrorCode.NO_ROLLBACK_TARGET);
      expect(nowhere.message).toContain('roll back to');
      expect([await stageOf('2'), await stageOf('3')]).toEqual([Stage.PRODUCTION, Stage.ARCHIVED]);
      const reported = await lifecycle.checkDegradation(as(alice), { name, metric: 'accuracy', observed: 0.8, tolerance: 0.05, autoRollback: false });
      expect(reported).toMatchObject({ degraded: true, rollback: null });
    });

    it('lets a description added after registration satisfy the description gate, and says how when it is missing', async () => {
      const story = `Story-${randomUUID().slice(0, 8)}`;
      await registerVersion(registry, { name: story, source: artifactUri(registry, 'models/story/1'), metrics: { accuracy: 0.95, f1_score: 0.9 } });
      const before = await lifecycle.evaluate(null, story, '1', Stage.PRODUCTION);
      expect(before.checks.find((c) => c.gate === 'description')).toMatchObject({ passed: false, message: 'description is empty (set one with updateVersion)' });
      expect(before.checks.find((c) => c.subject === 'accuracy')).toMatchObject({ passed: true, message: 'accuracy 0.95 >= min 0.90' });
      expect(before.checks.find((c) => c.subject === 'validated')).toMatchObject({ passed: false, message: 'tag validated is missing (set it with setTags)' });
      await registry.updateVersion({ name: story, version: '1' }, { description: 'Gradient boosting, retrained on Q3' });
      const after = await lifecycle.evaluate(null, story, '1', Stage.PRODUCTION);
      expect(after.checks.find((c) => c.gate === 'description')).toMatchObject({ passed: true, actual: 'Gradient boosting, retrained on Q3' });
    });

    it('answers NO_ROLLBACK_TARGET and changes nothing when there is nowhere to go', async () => {
      const lonely = `Lonely-${randomUUID().slice(0, 8)}`;
      await registerVersion(registry, { name: lonely, source: artifactUri(registry, 'models/lonely/1') });
      await registry.setStage({ name: lonely, version: '1' }, Stage.PRODUCTION);
      await expectCode(lifecycle.rollback(as(alice), { name: lonely, reason: 'why not' }), ErrorCode.NO_ROLLBACK_TARGET);
      expect((await registry.getVersions([{ name: lonely, version: '1' }]))[0]?.stage).toBe(Stage.PRODUCTION);
    });

    it('rolls back along production history written by every path, never to a version a rollback withdrew', async () => {
      const model = `History-${randomUUID().slice(0, 8)}`;
      const free = createWorkflows(new RegistrySet([registry], registry.id), store, []);
      for (let i = 1; i <= 4; i++) await registerVersion(registry, { name: model, source: artifactUri(registry, `models/history/${i}`), metrics: { accuracy: 0.9 } });
      const stage = async (version: string) => (await registry.getVersions([{ name: model, version }]))[0]!;
      // v1 by a raw move, v2 by a promotion, v3 archived behind the gateway's back.
      await free.catalog.transitionStage(as('admin'), { name: model, version: '1', stage: Stage.PRODUCTION, archiveExisting: true });
      await free.lifecycle.promote(as(alice), { name: model, version: '2', targetStage: Stage.PRODUCTION });
      await registry.setStage({ name: model, version: '3' }, Stage.ARCHIVED);
      const degraded = await free.lifecycle.checkDegradation(as(alice), { name: model, metric: 'accuracy', observed: 0.5, tolerance: 0.01, autoRollback: true });
      expect(degraded.rollback).toMatchObject({ rule: RollbackRule.PRODUCTION_HISTORY, to: { version: '1' } });
      expect((await stage('2')).tags.rollback_reason).toBeTruthy();
      expect((await stage('1')).tags.rolled_back_at).toBeTruthy();

      // v2 returns to production: it is no longer withdrawn, and v1 is no longer the reinstated one.
      await free.lifecycle.promote(as(alice), { name: model, version: '2', targetStage: Stage.PRODUCTION });
      expect((await stage('2')).tags.rollback_reason).toBeUndefined();
      expect((await stage('1')).tags.rolled_back_at).toBeUndefined();

      // Withdrawn again, v2 is skipped from then on: history leads to v1, then past both to the archive.
      const first = await free.lifecycle.rollback(as(alice), { name: model, reason: 'latency regression' });
      expect(first).toMatchObject({ rule: RollbackRule.PRODUCTION_HISTORY, to: { version: '1' } });
      const second = await free.lifecycle.checkDegradation(as(alice), { name: model, metric: 'accuracy', observed: 0.5, tolerance: 0.01, autoRollback: true });
      expect(second.rollback).toMatchObject({ rule: RollbackRule.HIGHEST_ARCHIVED, to: { version: '3' } });
      expect((await stage('2')).stage).toBe(Stage.ARCHIVED);
      expect((await store.productionHistory(registry.id, model)).map((r) => r.version)).toEqual(['3', '1', '2', '1', '2', '1']);
    });

    it('keeps one open approval request per version and stage, supersedes it when things move on, and lets it expire', async () => {
      const model = `Queue-${randomUUID().slice(0, 8)}`;
      const policies: Policy[] = [{ models: model, stage: Stage.PRODUCTION, gates: [], approvals: 1, allowSelfApproval: false }];
      const queue = createWorkflows(new RegistrySet([registry], registry.id), store, policies);
      for (let i = 1; i <= 3; i++) await registerVersion(registry, { name: model, source: artifactUri(registry, `models/queue/${i}`) });
      const open = (version: string, principal = alice) => queue.lifecycle.promote(as(principal), { name: model, version, targetStage: Stage.PRODUCTION });
      const status = async (id: string) => (await store.getApproval(id))?.status;

      // Asking twice (even as someone else) answers with the one open request.
      const first = await open('1');
      const again = await open('1', 'carol');
      expect(again).toMatchObject({ status: PromotionStatus.PENDING_APPROVAL, approvalRequest: { id: first.approvalRequest!.id, requestedBy: alice } });

      // The version leaves the stage it was gated from behind the gateway's back: approving is CONFLICT, and says why.
      await registry.setStage({ name: model, version: '1' }, Stage.ARCHIVED);
      const left = await expectCode(queue.lifecycle.approve(as(bob), first.approvalRequest!.id, null), ErrorCode.CONFLICT);
      expect(left.message).toContain('SUPERSEDED: version 1 left NONE for ARCHIVED');
      expect(await status(first.approvalRequest!.id)).toBe('SUPERSEDED');

      // Another version reaches the target stage: the other pending request is superseded at once.
      const two = await open('2');
      const three = await open('3');
      await queue.lifecycle.approve(as(bob), three.approvalRequest!.id, null);
      expect(await status(two.approvalRequest!.id)).toBe('SUPERSEDED');
      expect((await store.getApproval(two.approvalRequest!.id))?.reason).toBe('version 3 reached PRODUCTION');
      const live = await store.listApprovals({ model, status: ApprovalStatus.PENDING, limit: 10 });
      expect(live).toEqual([]);

      // A policy's approvalTtl: an undecided request expires, and is then no longer the open one.
      const brief = createWorkflows(new RegistrySet([registry], registry.id), store, [{ ...policies[0]!, approvalTtlMs: 1 }]);
      const expiring = await brief.lifecycle.promote(as(alice), { name: model, version: '2', targetStage: Stage.PRODUCTION });
      await new Promise((resolve) => setTimeout(resolve, 20));
      await expectCode(brief.lifecycle.approve(as(bob), expiring.approvalRequest!.id, null), ErrorCode.CONFLICT);
      expect(await status(expiring.approvalRequest!.id)).toBe('EXPIRED');
      const fresh = await brief.lifecycle.promote(as(alice), { name: model, version: '2', targetStage: Stage.PRODUCTION });
      expect(fresh.approvalRequest!.id).not.toBe(expiring.approvalRequest!.id);
    });

    it('keeps an intact audit chain of everything above', async () => {
      const events = await store.listAudit({ model: name, limit: 200 });
      const actions = new Set(events.map((e) => `${e.action}:${e.result}`));
      for (const expected of ['promote:GATE_FAILED', 'promote:OK', 'promote:PENDING_APPROVAL', 'approve:OK', 'rollback:OK']) expect(actions).toContain(expected);
      expect(events.find((e) => e.action === 'approve' && e.result === 'OK')?.principal).toBe(bob);
      expect((await store.verifyAudit()).ok).toBe(true);
    });
  });
}
