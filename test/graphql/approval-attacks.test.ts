import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKey } from '../support/api-keys.ts';
import { LocalRegistry } from '../../adapters/local/index.ts';
import { postGraphQL, startTestGateway, type TestGateway } from '../support/gateway.ts';

const KEYS = { rita: 'approval-attack-requester', alice: 'approval-attack-alice', bob: 'approval-attack-bob', ada: 'approval-attack-admin' } as const;
type Who = keyof typeof KEYS;
type AuditRow = { seq: number; principal: string; action: string; version: string | null; result: string; detail: string | null };

/** Approvals attacked as an ordinary user would: races between approvers, self-approval, odd ids, retries, long text. */
describe('approval attacks', () => {
  let test: TestGateway;
  let model = 0;
  const as = async (who: Who, query: string, variables?: Record<string, unknown>) =>
    (await postGraphQL(test.url, query, variables, { authorization: `Bearer ${KEYS[who]}` })).body;
  const audit = async (name: string): Promise<AuditRow[]> => {
    const events: AuditRow[] = [];
    for (;;) {
      const page = (await as('ada', 'query ($n: String!, $a: Int) { auditLog(name: $n, after: $a, first: 200) { seq principal action version result detail } }', { n: name, a: events.at(-1)?.seq ?? null })).data.auditLog;
      if (!page.length) return events;
      events.push(...page);
    }
  };
  const state = async (name: string) =>
    (await as('ada', 'query ($n: String!) { model(name: $n) { productionHistory { version by } versions { nodes { version stage tags { key value } } } } }', { n: name })).data.model;
  const request = async (id: string) =>
    (await as('ada', 'query ($id: ID!) { approvalRequest(id: $id) { status decidedBy reason approvals { principal comment } } }', { id })).data.approvalRequest;
  const code = (body: { errors?: any[] }) => body.errors?.[0]?.extensions?.code ?? 'OK';
  const APPROVE = 'mutation ($id: ID!, $c: String, $k: String) { approve(id: $id, comment: $c, idempotencyKey: $k) { request { status approvals { principal } } promotion { status replayed version { stage } } } }';
  const REJECT = 'mutation ($id: ID!, $r: String!, $k: String) { reject(id: $id, reason: $r, idempotencyKey: $k) { status reason } }';

  /** A model with version 1 in STAGING and a pending request (opened by rita) to move it to PRODUCTION. */
  const pending = async () => {
    const name = `Approval${++model}`;
    expect((await as('ada', 'mutation ($n: String!) { registerVersion(name: $n, source: "s3://b/m") { version } }', { n: name })).errors).toBeUndefined();
    expect((await as('ada', 'mutation ($n: String!) { transitionStage(name: $n, version: "1", stage: STAGING) { version { stage } } }', { n: name })).errors).toBeUndefined();
    const opened = await as('rita', 'mutation ($n: String!) { promote(name: $n, version: "1", targetStage: PRODUCTION) { status approvalRequest { id } } }', { n: name });
    expect(opened.data.promote.status).toBe('PENDING_APPROVAL');
    return { name, id: opened.data.promote.approvalRequest.id as string };
  };

  beforeAll(async () => {
    test = await startTestGateway({
      config: {
        auth: {
          apiKeys: [
            apiKey('rita', KEYS.rita, 'approver'),
            apiKey('alice', KEYS.alice, 'approver'),
            apiKey('bob', KEYS.bob, 'approver'),
            apiKey('ada', KEYS.ada, 'admin'),
          ],
        },
        policies: [{ models: '*', stage: 'PRODUCTION', gates: { currentStage: 'STAGING' }, approvals: 1 }],
      } as never,
      adapters: (dir) => [new LocalRegistry({ id: 'local', path: join(dir, 'local.db') })],
    });
  });
  afterAll(() => test?.stop());

  it('two approvers racing on a request that needs one approval: exactly one promotion, one decision, a consistent audit', async () => {
    const rounds = await Promise.all(Array.from({ length: 8 }, () => pending()));
    const answers = await Promise.all(rounds.map(({ id }) => Promise.all([as('alice', APPROVE, { id, c: 'go' }), as('bob', APPROVE, { id, c: 'go' })])));
    for (const [index, { name, id }] of rounds.entries()) {
      const codes = answers[index]!.map(code).sort();
      expect(codes).toEqual(['CONFLICT', 'OK']);
      const winner = answers[index]!.find((a) => !a.errors)!.data.approve;
      expect(winner).toMatchObject({ request: { status: 'APPROVED' }, promotion: { status: 'PROMOTED', version: { stage: 'PRODUCTION' } } });
      expect(winner.request.approvals).toHaveLength(1);
      const decided = await request(id);
      expect(decided.status).toBe('APPROVED');
      expect(decided.approvals).toHaveLength(1);
      expect(decided.decidedBy).toBe(decided.approvals[0].principal);
      const now = await state(name);
      expect(now.versions.nodes.map((v: { stage: string }) => v.stage)).toEqual(['PRODUCTION']);
      expect(now.productionHistory).toEqual([{ version: '1', by: decided.decidedBy }]);
      const events = (await audit(name)).filter((e) => e.action === 'approve').map((e) => `${e.principal}:${e.result}`);
      // One intent, one decision, one refusal (the loser's CONFLICT); nothing else.
      expect(events.sort()).toEqual([`${decided.decidedBy}:INTENT`, `${decided.decidedBy}:OK`, `${decided.decidedBy === 'alice' ? 'bob' : 'alice'}:CONFLICT`].sort());
    }
    expect((await as('ada', '{ verifyAudit { ok } }')).data.verifyAudit.ok).toBe(true);
  });

  it('approve racing reject: exactly one decides, and the version is where that decision says', async () => {
    const rounds = await Promise.all(Array.from({ length: 8 }, () => pending()));
    const answers = await Promise.all(rounds.map(({ id }) => Promise.all([as('alice', APPROVE, { id }), as('bob', REJECT, { id, r: 'not yet' })])));
    for (const [index, { name, id }] of rounds.entries()) {
      const [approved, rejected] = answers[index]!;
      expect([code(approved!), code(rejected!)].sort()).toEqual(['CONFLICT', 'OK']);
      const decided = await request(id);
      const stages = (await state(name)).versions.nodes.map((v: { stage: string }) => v.stage);
      const events = (await audit(name)).filter((e) => e.action === 'approve' || e.action === 'reject').map((e) => `${e.action}:${e.result}`);
      if (!approved!.errors) {
        expect([decided.status, stages]).toEqual(['APPROVED', ['PRODUCTION']]);
        expect(events.sort()).toEqual(['approve:INTENT', 'approve:OK', 'reject:CONFLICT']);
      } else {
        expect([decided.status, decided.reason, stages]).toEqual(['REJECTED', 'not yet', ['STAGING']]);
        expect(events.sort()).toEqual(['approve:CONFLICT', 'reject:REJECTED']);
      }
    }
  });

  it('the requester approving their own request is FORBIDDEN; the request, the version and the audit log show only the refusal', async () => {
    const { name, id } = await pending();
    const before = await state(name);
    const seen = (await audit(name)).length;
    const refused = await as('rita', APPROVE, { id, c: 'mine' });
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(await request(id)).toEqual({ status: 'PENDING', decidedBy: null, reason: null, approvals: [] });
    expect(await state(name)).toEqual(before);
    expect((await audit(name)).slice(seen).map((e) => `${e.principal}:${e.action}:${e.result}`)).toEqual(['rita:approve:FORBIDDEN']);
  });

  it('odd ids are NOT_FOUND (one audited refusal each), a lone surrogate INVALID_INPUT at the edge; nothing changes', async () => {
    const { name, id } = await pending();
    const before = await state(name);
    const head = async () => (await as('ada', '{ verifyAudit { headSeq } }')).data.verifyAudit.headSeq as number;
    const start = await head();
    for (const odd of ['no-such-request', '__proto__', 'constructor', 'toString', `${id} `, id.toUpperCase(), '']) {
      expect([odd, code(await as('alice', APPROVE, { id: odd, c: 'ok' }))]).toEqual([odd, 'NOT_FOUND']);
      expect([odd, code(await as('alice', REJECT, { id: odd, r: 'no' }))]).toEqual([odd, 'NOT_FOUND']);
    }
    expect(await head()).toBe(start + 14);
    for (const variables of [{ id: 'a\ud800b', c: 'ok' }, { id, c: 'lone \udc00 surrogate' }]) {
      const answer = await as('alice', APPROVE, variables);
      expect(answer.errors?.[0]?.extensions?.code).toBe('INVALID_INPUT');
      expect(answer.errors?.[0]?.message).toMatch(/well-formed Unicode|lone surrogate/);
    }
    expect(code(await as('bob', REJECT, { id, r: 'bad \ud800' }))).toBe('INVALID_INPUT');
    expect(await head()).toBe(start + 14);
    expect(await request(id)).toMatchObject({ status: 'PENDING', approvals: [] });
    expect(await state(name)).toEqual(before);
  });

  it('a comment or reason past the text limit is INVALID_INPUT naming the limit; nothing changes, the refusal is audited', async () => {
    const { name, id } = await pending();
    const before = await state(name);
    const seen = (await audit(name)).length;
    const long = 'x'.repeat(5001);
    const approve = await as('alice', APPROVE, { id, c: long });
    expect(approve.errors?.[0]?.extensions).toMatchObject({ code: 'INVALID_INPUT', details: { argument: 'comment', limit: 5000 } });
    const reject = await as('alice', REJECT, { id, r: long });
    expect(reject.errors?.[0]?.extensions).toMatchObject({ code: 'INVALID_INPUT', details: { argument: 'reason', limit: 5000 } });
    const blank = await as('alice', REJECT, { id, r: '   ' });
    expect(blank.errors?.[0]?.extensions).toMatchObject({ code: 'INVALID_INPUT', details: { argument: 'reason' } });
    const promote = await as('rita', 'mutation ($n: String!, $c: String) { promote(name: $n, version: "1", targetStage: PRODUCTION, comment: $c) { status } }', { n: name, c: long });
    expect(promote.errors?.[0]?.extensions).toMatchObject({ code: 'INVALID_INPUT', details: { argument: 'comment', limit: 5000 } });
    expect(await request(id)).toMatchObject({ status: 'PENDING', approvals: [] });
    expect(await state(name)).toEqual(before);
    expect((await audit(name)).slice(seen).map((e) => `${e.action}:${e.result}`)).toEqual(['approve:INVALID_INPUT', 'reject:INVALID_INPUT', 'reject:INVALID_INPUT', 'promote:INVALID_INPUT']);
    // Exactly at the limit is fine.
    expect(code(await as('alice', APPROVE, { id, c: 'y'.repeat(5000) }))).toBe('OK');
  });

  it('an idempotency key on approve: a retry replays the decision, the same key with another comment is CONFLICT', async () => {
    const { name, id } = await pending();
    const first = await as('alice', APPROVE, { id, c: 'ship it', k: 'ci-approve-1' });
    expect(first.data.approve).toMatchObject({ request: { status: 'APPROVED' }, promotion: { status: 'PROMOTED', replayed: false } });
    const retry = await as('alice', APPROVE, { id, c: 'ship it', k: 'ci-approve-1' });
    expect(retry.errors).toBeUndefined();
    expect(retry.data.approve).toMatchObject({ request: { status: 'APPROVED', approvals: [{ principal: 'alice' }] }, promotion: { status: 'PROMOTED', replayed: true, version: { stage: 'PRODUCTION' } } });
    const other = await as('alice', APPROVE, { id, c: 'something else', k: 'ci-approve-1' });
    expect(other.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', details: { argument: 'idempotencyKey' } });
    const malformed = await as('alice', APPROVE, { id, c: 'ship it', k: 'not a key!' });
    expect(malformed.errors?.[0]?.extensions).toMatchObject({ code: 'INVALID_INPUT', details: { argument: 'idempotencyKey' } });
    expect((await audit(name)).filter((e) => e.action === 'approve').map((e) => e.result)).toEqual(['INTENT', 'OK', 'REPLAYED', 'CONFLICT', 'INVALID_INPUT']);
    expect((await state(name)).productionHistory).toEqual([{ version: '1', by: 'alice' }]);

    // reject the same way: the retry answers the stored decision, another reason under the key is CONFLICT.
    const second = await pending();
    const rejected = await as('bob', REJECT, { id: second.id, r: 'metrics drift', k: 'ci-reject-1' });
    expect(rejected.data.reject).toEqual({ status: 'REJECTED', reason: 'metrics drift' });
    expect((await as('bob', REJECT, { id: second.id, r: 'metrics drift', k: 'ci-reject-1' })).data.reject).toEqual({ status: 'REJECTED', reason: 'metrics drift' });
    expect(code(await as('bob', REJECT, { id: second.id, r: 'other', k: 'ci-reject-1' }))).toBe('CONFLICT');
    expect((await audit(second.name)).filter((e) => e.action === 'reject').map((e) => e.result)).toEqual(['REJECTED', 'REPLAYED', 'CONFLICT']);
  });
});
