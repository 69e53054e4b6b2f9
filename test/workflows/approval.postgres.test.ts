import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKey } from '../support/api-keys.ts';
import { postGraphQL } from '../support/gateway.ts';
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.ts';
import { isolatedPostgres } from '../support/postgres.ts';
import { scaled, until } from '../support/time-scale.ts';

const KEYS = { rita: 'pg-approval-requester', alice: 'pg-approval-alice', bob: 'pg-approval-bob', carol: 'pg-approval-carol', ada: 'pg-approval-admin' } as const;
type Who = keyof typeof KEYS;
type Body = { data?: any; errors?: any[] };
const APPROVE = 'mutation ($id: ID!, $c: String, $k: String) { approve(id: $id, comment: $c, idempotencyKey: $k) { request { status approvals { principal } } promotion { status replayed version { stage } } } }';
const REJECT = 'mutation ($id: ID!, $r: String!, $k: String) { reject(id: $id, reason: $r, idempotencyKey: $k) { status reason } }';
const code = (body: Body) => body.errors?.[0]?.extensions?.code ?? 'OK';

/**
 * Approvals attacked across two gateway processes on one PostgreSQL store: every racing pair is
 * split between the processes, so only the store's cross-process model lock keeps them apart.
 */
describe('approvals across two gateway processes on one PostgreSQL store', () => {
  let dir: string;
  let database: Awaited<ReturnType<typeof isolatedPostgres>>;
  let gateways: GatewayProcess[] = [];
  let model = 0;
  /** `via` picks the process (0 or 1; any integer, taken mod 2). */
  const as = async (via: number, who: Who, query: string, variables?: Record<string, unknown>): Promise<Body> =>
    (await postGraphQL(gateways[via % 2]!.url, query, variables, { authorization: `Bearer ${KEYS[who]}` })).body;
  const audit = async (name: string) => {
    const events: { seq: number; principal: string; action: string; result: string }[] = [];
    for (;;) {
      const page = (await as(0, 'ada', 'query ($n: String!, $a: Int) { auditLog(name: $n, after: $a, first: 200) { seq principal action result } }', { n: name, a: events.at(-1)?.seq ?? null })).data.auditLog;
      if (!page.length) return events;
      events.push(...page);
    }
  };
  const approvals = async (name: string) => (await audit(name)).filter((e) => e.action === 'approve' || e.action === 'reject').map((e) => `${e.principal}:${e.action}:${e.result}`).sort();
  const state = async (via: number, name: string) =>
    (await as(via, 'ada', 'query ($n: String!) { model(name: $n) { productionHistory { version by } versions { nodes { stage } } } }', { n: name })).data.model;
  const request = async (via: number, id: string) =>
    (await as(via, 'ada', 'query ($id: ID!) { approvalRequest(id: $id) { status decidedBy reason approvals { principal } } }', { id })).data.approvalRequest;
  const auditOk = async () => (await as(1, 'ada', '{ verifyAudit { ok } }')).data.verifyAudit.ok;

  /** A model (its name starting with `prefix`) whose version 1 is in STAGING, with rita's pending request to move it to PRODUCTION. */
  const pending = async (prefix: string) => {
    const name = `${prefix}${++model}`;
    const via = model;
    expect((await as(via, 'ada', 'mutation ($n: String!) { registerVersion(name: $n, source: "s3://b/m") { version } }', { n: name })).errors).toBeUndefined();
    expect((await as(via, 'ada', 'mutation ($n: String!) { transitionStage(name: $n, version: "1", stage: STAGING) { version { stage } } }', { n: name })).errors).toBeUndefined();
    const opened = await as(via + 1, 'rita', 'mutation ($n: String!) { promote(name: $n, version: "1", targetStage: PRODUCTION) { status approvalRequest { id } } }', { n: name });
    expect(opened.data?.promote.status).toBe('PENDING_APPROVAL');
    return { name, id: opened.data.promote.approvalRequest.id as string };
  };
  const many = (count: number, prefix: string) => Promise.all(Array.from({ length: count }, () => pending(prefix)));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'modelgate-pg-approval-'));
    database = await isolatedPostgres();
    const config = {
      log: { level: 'warn' },
      dataDir: dir,
      registries: [{ id: 'local', kind: 'local', path: join(dir, 'shared.db') }],
      // A small pool: one lock holder per process, and the work under the lock must still find connections.
      store: { url: database.url, poolSize: 3, reconcile: { intervalMs: 3000 } },
      auth: {
        apiKeys: [
          ...(['rita', 'alice', 'bob', 'carol'] as const).map((name) => apiKey(name, KEYS[name], 'approver')),
          apiKey('ada', KEYS.ada, 'admin'),
        ],
      },
      policies: [
        { models: '*', stage: 'PRODUCTION', gates: { currentStage: 'STAGING' }, approvals: 1 },
        // The strictest matching count wins: models named Two* need two distinct approvals.
        { models: 'Two*', stage: 'PRODUCTION', gates: { currentStage: 'STAGING' }, approvals: 2 },
      ],
    };
    // JSON is YAML.
    writeFileSync(join(dir, 'modelgate.yaml'), JSON.stringify(config, null, 1));
    gateways = await Promise.all([startGatewayProcess(join(dir, 'modelgate.yaml')), startGatewayProcess(join(dir, 'modelgate.yaml'))]);
  }, scaled(120_000));

  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.stop()));
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('two approvers on different processes racing on one request: one promotion, one decision, the loser CONFLICT', async () => {
    const rounds = await many(8, 'Pair');
    const answers = await Promise.all(rounds.map(({ id }, i) => Promise.all([as(i, 'alice', APPROVE, { id, c: 'go' }), as(i + 1, 'bob', APPROVE, { id, c: 'go' })])));
    for (const [index, { name, id }] of rounds.entries()) {
      expect(answers[index]!.map(code).sort()).toEqual(['CONFLICT', 'OK']);
      const winner = answers[index]!.find((a) => !a.errors)!.data.approve;
      expect(winner).toMatchObject({ request: { status: 'APPROVED' }, promotion: { status: 'PROMOTED', replayed: false, version: { stage: 'PRODUCTION' } } });
      // Both processes read the same decision and the same backend state.
      for (const via of [0, 1]) {
        const decided = await request(via, id);
        expect(decided).toMatchObject({ status: 'APPROVED', approvals: [{ principal: decided.decidedBy }] });
        expect(await state(via, name)).toEqual({ productionHistory: [{ version: '1', by: decided.decidedBy }], versions: { nodes: [{ stage: 'PRODUCTION' }] } });
      }
      const { decidedBy } = await request(0, id);
      const loser = decidedBy === 'alice' ? 'bob' : 'alice';
      expect(await approvals(name)).toEqual([`${decidedBy}:approve:INTENT`, `${decidedBy}:approve:OK`, `${loser}:approve:CONFLICT`].sort());
    }
    expect(await auditOk()).toBe(true);
  }, scaled(60_000));

  it('approve on one process racing reject on the other: exactly one decides, and the version is where that decision says', async () => {
    const rounds = await many(8, 'Split');
    const answers = await Promise.all(rounds.map(({ id }, i) => Promise.all([as(i, 'alice', APPROVE, { id }), as(i + 1, 'bob', REJECT, { id, r: 'not yet' })])));
    for (const [index, { name, id }] of rounds.entries()) {
      const [approved, rejected] = answers[index]!;
      expect([code(approved!), code(rejected!)].sort()).toEqual(['CONFLICT', 'OK']);
      const decided = await request(index + 1, id);
      const { productionHistory, versions } = await state(index, name);
      if (!approved!.errors) {
        expect([decided.status, versions.nodes, productionHistory]).toEqual(['APPROVED', [{ stage: 'PRODUCTION' }], [{ version: '1', by: 'alice' }]]);
        expect(await approvals(name)).toEqual(['alice:approve:INTENT', 'alice:approve:OK', 'bob:reject:CONFLICT']);
      } else {
        expect([decided.status, decided.reason, versions.nodes, productionHistory]).toEqual(['REJECTED', 'not yet', [{ stage: 'STAGING' }], []]);
        expect(await approvals(name)).toEqual(['alice:approve:CONFLICT', 'bob:reject:REJECTED']);
      }
    }
    expect(await auditOk()).toBe(true);
  }, scaled(60_000));

  it('three approvers at once on a request needing two: one promotion, on the second distinct approval; no approval lost', async () => {
    const rounds = await many(6, 'Two');
    const who = ['alice', 'bob', 'carol'] as const;
    const answers = await Promise.all(rounds.map(({ id }, i) => Promise.all(who.map((w, j) => as(i + j, w, APPROVE, { id, c: w })))));
    for (const [index, { name, id }] of rounds.entries()) {
      const round = answers[index]!;
      expect(round.map(code).sort()).toEqual(['CONFLICT', 'OK', 'OK']);
      const ok = round.filter((a) => !a.errors).map((a) => a.data.approve);
      // The first vote leaves the request pending with one approval; the second decides and promotes.
      const first = ok.find((o) => o.promotion === null)!;
      const second = ok.find((o) => o.promotion !== null)!;
      expect(first.request).toMatchObject({ status: 'PENDING', approvals: [expect.anything()] });
      expect(second).toMatchObject({ request: { status: 'APPROVED' }, promotion: { status: 'PROMOTED', version: { stage: 'PRODUCTION' } } });
      const voters = second.request.approvals.map((a: { principal: string }) => a.principal);
      expect(new Set(voters).size).toBe(2);
      expect(voters[0]).toBe(first.request.approvals[0].principal);
      const decided = await request(index, id);
      expect(decided).toMatchObject({ status: 'APPROVED', decidedBy: voters[1], approvals: voters.map((principal: string) => ({ principal })) });
      expect(await state(index + 1, name)).toEqual({ productionHistory: [{ version: '1', by: voters[1] }], versions: { nodes: [{ stage: 'PRODUCTION' }] } });
      const late = who.find((w) => !voters.includes(w))!;
      expect(await approvals(name)).toEqual(
        [`${voters[0]}:approve:PENDING_APPROVAL`, `${voters[1]}:approve:INTENT`, `${voters[1]}:approve:OK`, `${late}:approve:CONFLICT`].sort(),
      );
    }
    expect(await auditOk()).toBe(true);
  }, scaled(60_000));

  it('two requesters promoting one version at once on different processes share one request, which then decides once', async () => {
    const names = Array.from({ length: 6 }, () => `Open${++model}`);
    for (const [i, n] of names.entries()) {
      expect((await as(i, 'ada', 'mutation ($n: String!) { registerVersion(name: $n, source: "s3://b/m") { version } }', { n })).errors).toBeUndefined();
      expect((await as(i, 'ada', 'mutation ($n: String!) { transitionStage(name: $n, version: "1", stage: STAGING) { version { stage } } }', { n })).errors).toBeUndefined();
    }
    const PROMOTE = 'mutation ($n: String!) { promote(name: $n, version: "1", targetStage: PRODUCTION) { status approvalRequest { id requestedBy } } }';
    const opened = await Promise.all(names.map((n, i) => Promise.all([as(i, 'rita', PROMOTE, { n }), as(i + 1, 'carol', PROMOTE, { n })])));
    for (const [i, n] of names.entries()) {
      const [a, b] = opened[i]!.map((o) => o.data?.promote);
      expect([a.status, b.status]).toEqual(['PENDING_APPROVAL', 'PENDING_APPROVAL']);
      expect(a.approvalRequest).toEqual(b.approvalRequest);
      const queue = (await as(i, 'ada', 'query ($n: String!) { approvalRequests(name: $n) { id } }', { n })).data.approvalRequests;
      expect(queue).toEqual([{ id: a.approvalRequest.id }]);
      // Whoever did not open it may approve it: exactly one promotion.
      const approver = a.approvalRequest.requestedBy === 'rita' ? 'carol' : 'rita';
      expect(code(await as(i + 1, approver, APPROVE, { id: a.approvalRequest.id }))).toBe('OK');
      expect((await state(i, n)).productionHistory).toEqual([{ version: '1', by: approver }]);
    }
  }, scaled(60_000));

  it('one idempotency key sent to both processes at once: one decision, the other call replays it, and so does a later retry', async () => {
    const { name, id } = await pending('Key');
    const both = await Promise.all([0, 1].map((via) => as(via, 'alice', APPROVE, { id, c: 'ship it', k: 'ci-approve-1' })));
    expect(both.map(code)).toEqual(['OK', 'OK']);
    expect(both.map((a) => a.data.approve.promotion.replayed).sort()).toEqual([false, true]);
    for (const answer of both) expect(answer.data.approve).toMatchObject({ request: { status: 'APPROVED', approvals: [{ principal: 'alice' }] }, promotion: { status: 'PROMOTED', version: { stage: 'PRODUCTION' } } });
    const later = await Promise.all([1, 0].map((via) => as(via, 'alice', APPROVE, { id, c: 'ship it', k: 'ci-approve-1' })));
    for (const answer of later) expect(answer.data?.approve.promotion).toMatchObject({ status: 'PROMOTED', replayed: true });
    // The same key with another comment is another call: CONFLICT, on either process.
    expect((await as(1, 'alice', APPROVE, { id, c: 'something else', k: 'ci-approve-1' })).errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', details: { argument: 'idempotencyKey' } });
    expect((await state(0, name)).productionHistory).toEqual([{ version: '1', by: 'alice' }]);
    expect(await approvals(name)).toEqual(['alice:approve:CONFLICT', 'alice:approve:INTENT', 'alice:approve:OK', 'alice:approve:REPLAYED', 'alice:approve:REPLAYED', 'alice:approve:REPLAYED']);

    const second = await pending('Key');
    const rejects = await Promise.all([0, 1, 0, 1].map((via) => as(via, 'bob', REJECT, { id: second.id, r: 'metrics drift', k: 'ci-reject-1' })));
    for (const answer of rejects) expect(answer.data?.reject).toEqual({ status: 'REJECTED', reason: 'metrics drift' });
    expect((await state(1, second.name)).versions.nodes).toEqual([{ stage: 'STAGING' }]);
    expect(await approvals(second.name)).toEqual(['bob:reject:REJECTED', 'bob:reject:REPLAYED', 'bob:reject:REPLAYED', 'bob:reject:REPLAYED']);
    expect(await auditOk()).toBe(true);
  }, scaled(60_000));

  it('30 approvals of different requests at once across both processes, three connections each: every call answers, all promoted', async () => {
    const rounds = await many(30, 'Crowd');
    const answers = await Promise.all(rounds.map(({ id }, i) => as(i, i % 3 ? 'alice' : 'bob', APPROVE, { id, c: `crowd ${i}` })));
    expect(answers.filter((a) => a.errors)).toEqual([]);
    expect(answers.map((a) => a.data.approve.promotion?.status)).toEqual(rounds.map(() => 'PROMOTED'));
    for (const [i, { name, id }] of rounds.entries()) {
      expect((await request(i, id)).status).toBe('APPROVED');
      expect((await state(i + 1, name)).versions.nodes).toEqual([{ stage: 'PRODUCTION' }]);
    }
    expect(await auditOk()).toBe(true);
  }, scaled(90_000));


  it('kill -9 of the approving process after its stage move, before its decision: nobody decides the request against the backend', async () => {
    const { name, id } = await pending('Crash');
    // A third process whose backend writes linger after they land (the crash test's hook), so the kill falls between the move and the decision.
    const slow = await startGatewayProcess(join(dir, 'modelgate.yaml'), { preload: ['./test/support/slow-writes.ts'], env: { MODELGATE_TEST_WRITE_DELAY_MS: '2000' } });
    const call = postGraphQL(slow.url, APPROVE, { id, c: 'go' }, { authorization: `Bearer ${KEYS.alice}` }).catch(() => null);
    expect(await until(async () => (await state(0, name)).versions.nodes[0].stage === 'PRODUCTION', 10_000)).toBe(true);
    await slow.kill('SIGKILL');
    expect(await call).toBeNull();
    expect(await request(1, id)).toMatchObject({ status: 'PENDING', approvals: [] });
    // Right after the kill, on the surviving processes: alice's move is not settled yet, so neither may decide.
    const [approved, rejected] = await Promise.all([as(0, 'bob', APPROVE, { id, c: 'me too' }), as(1, 'carol', REJECT, { id, r: 'no' })]);
    expect([code(approved), code(rejected)]).toEqual(['CONFLICT', 'CONFLICT']);
    // The survivors' sweep completes alice's approval: the request says what the backend did.
    expect(await until(async () => (await request(0, id)).status !== 'PENDING', 15_000)).toBe(true);
    expect(await request(1, id)).toMatchObject({ status: 'APPROVED', decidedBy: 'alice', approvals: [{ principal: 'alice' }] });
    expect(await state(1, name)).toEqual({ productionHistory: [{ version: '1', by: 'alice' }], versions: { nodes: [{ stage: 'PRODUCTION' }] } });
    expect((await audit(name)).filter((e) => e.action === 'reconcile').map((e) => e.result)).toEqual(['RECONCILED']);
    expect(code(await as(0, 'bob', APPROVE, { id }))).toBe('CONFLICT');
    expect(await auditOk()).toBe(true);
  }, scaled(60_000));
});
