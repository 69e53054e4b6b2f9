import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalRegistry } from '../../adapters/local/index.ts';
import { ErrorCode, RegistryError, type RegistryAdapter } from '../../src/core/index.ts';
import { postGraphQL, startTestGateway, type TestGateway } from '../support/gateway.ts';

/** A registry whose backend is down for model reads. */
const down = (inner: RegistryAdapter): RegistryAdapter =>
  new Proxy(inner, {
    get: (target, property, receiver) =>
      property === 'getModel'
        ? async () => {
            throw new RegistryError(ErrorCode.BACKEND_UNAVAILABLE, 'connection refused');
          }
        : Reflect.get(target, property, receiver),
  });

describe('lifecycle over GraphQL', () => {
  let test: TestGateway;
  const gql = async (query: string, variables?: Record<string, unknown>): Promise<any> => (await postGraphQL(test.url, query, variables)).body;

  beforeAll(async () => {
    test = await startTestGateway({
      config: {
        policies: [
          { models: 'Churn*', stage: 'STAGING', gates: { metrics: { accuracy: { min: 0.85 } } } },
          { models: 'Churn*', stage: 'PRODUCTION', gates: { currentStage: 'STAGING', tags: ['validated'] }, approvals: 1, allowSelfApproval: true },
        ] as never,
      },
      adapters: (dir) => [
        new LocalRegistry({ id: 'local', path: join(dir, 'local.db') }),
        new LocalRegistry({ id: 'mirror', path: join(dir, 'mirror.db') }),
        down(new LocalRegistry({ id: 'broken', path: join(dir, 'broken.db') })),
      ],
    });
    for (const accuracy of [0.8, 0.9]) {
      await gql('mutation ($a: Float!) { registerVersion(name: "ChurnModel", description: "d", metrics: [{ key: "accuracy", value: $a }]) { version } }', { a: accuracy });
    }
    await gql('mutation { registerVersion(registry: "mirror", name: "ChurnModel", metrics: [{ key: "accuracy", value: 0.7 }]) { version } }');
  });
  afterAll(() => test.stop());

  it('reports failing gates in extensions.details and evaluates gates without acting', async () => {
    const failed = await gql('mutation { promote(name: "ChurnModel", version: "1", targetStage: STAGING) { status } }');
    expect(failed.errors[0].extensions.code).toBe('GATE_FAILED');
    expect(failed.errors[0].extensions.details.report.checks[0]).toMatchObject({ subject: 'accuracy', actual: '0.8', passed: false, message: 'accuracy 0.80 < min 0.85' });
    expect(failed.errors[0].message).toBe('Gates for STAGING failed: accuracy 0.80 < min 0.85');
    const report = await gql('{ evaluateGates(name: "ChurnModel", version: "2", targetStage: STAGING) { passed checks { subject threshold actual passed message } } }');
    expect(report.data.evaluateGates).toEqual({
      passed: true,
      checks: [{ subject: 'accuracy', threshold: '>= 0.85', actual: '0.9', passed: true, message: 'accuracy 0.90 >= min 0.85' }],
    });
  });

  it('dry-runs, promotes, asks for approval, and promotes on approval', async () => {
    const dry = await gql('mutation { promote(name: "ChurnModel", version: "2", targetStage: STAGING, dryRun: true) { status wouldDo version { stage } } }');
    expect(dry.data.promote).toEqual({ status: 'DRY_RUN', wouldDo: 'PROMOTE', version: { stage: 'NONE' } });
    const staged = await gql('mutation { promote(name: "ChurnModel", version: "2", targetStage: STAGING, idempotencyKey: "ci-run-7") { status version { stage } } }');
    expect(staged.data.promote).toEqual({ status: 'PROMOTED', version: { stage: 'STAGING' } });
    await gql('mutation { setTags(name: "ChurnModel", version: "2", tags: [{ key: "validated", value: "true" }]) { version { version } } }');
    const pending = await gql('mutation { promote(name: "ChurnModel", version: "2", targetStage: PRODUCTION, comment: "release 7") { status approvalRequest { id status comment } } }');
    expect(pending.data.promote).toMatchObject({ status: 'PENDING_APPROVAL', approvalRequest: { status: 'PENDING', comment: 'release 7' } });
    const id = pending.data.promote.approvalRequest.id;
    const approved = await gql('mutation ($id: ID!) { approve(id: $id, comment: "ok") { request { status approvals { principal comment } } promotion { status version { stage tag(key: "promoted_by") } } } }', { id });
    expect(approved.data.approve).toEqual({
      request: { status: 'APPROVED', approvals: [{ principal: 'anonymous', comment: 'ok' }] },
      promotion: { status: 'PROMOTED', version: { stage: 'PRODUCTION', tag: 'anonymous' } },
    });
    // The queue lists live requests by default; decided ones are asked for by status.
    expect((await gql('{ approvalRequests(name: "ChurnModel") { id } }')).data.approvalRequests).toEqual([]);
    const listed = await gql('{ approvalRequests(name: "ChurnModel", status: APPROVED) { id status } }');
    expect(listed.data.approvalRequests).toEqual([{ id, status: 'APPROVED' }]);
  });

  it('rolls back, or says there is nowhere to go', async () => {
    const nowhere = await gql('mutation { rollback(name: "ChurnModel", reason: "test") { rule } }');
    expect(nowhere.errors[0].extensions.code).toBe('NO_ROLLBACK_TARGET');
    await gql('mutation { transitionStage(name: "ChurnModel", version: "1", stage: ARCHIVED) { version { stage } } }');
    const back = await gql('mutation { rollback(name: "ChurnModel", reason: "bad canary") { rule from { version stage } to { version stage } } }');
    expect(back.data.rollback).toEqual({ rule: 'HIGHEST_ARCHIVED', from: [{ version: '2', stage: 'ARCHIVED' }], to: { version: '1', stage: 'PRODUCTION' } });
  });

  it('compares registries side by side; a failing one reports in its own slot', async () => {
    const body = await gql('{ compareRegistries(name: "ChurnModel") { registry found versionCount production { version } latest { version } error { code message } } }');
    expect(body.errors).toBeUndefined();
    expect(body.data.compareRegistries).toEqual([
      { registry: 'local', found: true, versionCount: 2, production: { version: '1' }, latest: { version: '2' }, error: null },
      { registry: 'mirror', found: true, versionCount: 1, production: null, latest: { version: '1' }, error: null },
      { registry: 'broken', found: false, versionCount: null, production: null, latest: null, error: { code: 'BACKEND_UNAVAILABLE', message: 'connection refused' } },
    ]);
    const best = await gql('{ bestVersion(name: "ChurnModel", metric: "accuracy") { version { version } value } }');
    expect(best.data.bestVersion).toEqual({ version: { version: '2' }, value: 0.9 });
  });

  it('audits every mutation, failures included, in a chain that verifies', async () => {
    await gql('mutation { createModel(name: "ChurnModel") { name } }');
    const log = await gql('{ auditLog(name: "ChurnModel", first: 200) { seq action result principal } verifyAudit { ok checked brokenAt } }');
    const actions = log.data.auditLog.map((e: { action: string; result: string }) => `${e.action}:${e.result}`);
    for (const expected of ['registerVersion:OK', 'promote:GATE_FAILED', 'promote:OK', 'setTags:OK', 'promote:PENDING_APPROVAL', 'approve:OK', 'transitionStage:OK', 'rollback:NO_ROLLBACK_TARGET', 'rollback:OK', 'createModel:ALREADY_EXISTS']) {
      expect(actions).toContain(expected);
    }
    expect(log.data.verifyAudit).toMatchObject({ ok: true, brokenAt: null });
  });
});
