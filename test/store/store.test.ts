import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Stage } from '../../src/core/index.ts';
import { PostgresStore } from '../../src/store/postgres-store.ts';
import { ApprovalStatus, SqliteStore, type GatewayStore } from '../../src/store/index.ts';
import { isolatedPostgres } from '../support/postgres.ts';

interface Backend {
  open(): Promise<GatewayStore>;
  /** Rewrites one stored audit event behind the store's back, as an attacker with database access would. */
  tamper(seq: number): Promise<void>;
  cleanup(): Promise<void>;
}

async function sqliteBackend(): Promise<Backend> {
  const dir = mkdtempSync(join(tmpdir(), 'modelgate-store-'));
  const path = join(dir, 'store.db');
  return {
    open: async () => new SqliteStore(path),
    async tamper(seq) {
      const db = new Database(path);
      db.exec('DROP TRIGGER audit_no_update');
      db.prepare("UPDATE audit_events SET principal = 'mallory' WHERE seq = ?").run(seq);
      db.close();
    },
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

async function postgresBackend(): Promise<Backend> {
  const database = await isolatedPostgres();
  return {
    open: () => PostgresStore.open(database.url),
    async tamper(seq) {
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      await client.query('ALTER TABLE modelgate_audit_events DISABLE TRIGGER modelgate_audit_append_only');
      await client.query("UPDATE modelgate_audit_events SET principal = 'mallory' WHERE seq = $1", [seq]);
      await client.end();
    },
    cleanup: () => database.drop(),
  };
}

describe.each([
  ['SQLite', sqliteBackend],
  ['PostgreSQL', postgresBackend],
])('gateway store on %s', (_label, makeBackend) => {
  let backend: Backend;
  let store: GatewayStore;
  const event = (action: string, principal = 'alice') => ({
    principal,
    action,
    registry: 'local',
    model: 'churn',
    version: '1',
    before: { stage: 'NONE' },
    after: { stage: 'STAGING' },
    result: 'OK',
    detail: null,
  });

  beforeAll(async () => {
    backend = await makeBackend();
    store = await backend.open();
  });
  afterAll(async () => {
    await store.close();
    await backend.cleanup();
  });

  it('appends audit events into a verifiable hash chain, also when appends race', async () => {
    await Promise.all(Array.from({ length: 30 }, (_, i) => store.appendAudit(event(`action-${i}`))));
    const events = await store.listAudit({ limit: 100 });
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(events[1]!.prevHash).toBe(events[0]!.hash);
    expect(await store.verifyAudit()).toMatchObject({ ok: true, checked: 30, brokenAt: null, broken: [], truncated: false, head: { seq: 30 } });
    const page = await store.listAudit({ model: 'churn', after: 10, limit: 5 });
    expect(page.map((e) => e.seq)).toEqual([11, 12, 13, 14, 15]);
    expect(page[0]).toMatchObject({ before: { stage: 'NONE' }, after: { stage: 'STAGING' } });
  });

  it('refuses to change or delete an audit event', async () => {
    if (store.kind === 'sqlite') {
      const db = new Database((store as unknown as { db: Database.Database }).db.name);
      expect(() => db.prepare("UPDATE audit_events SET principal = 'x'").run()).toThrow(/append-only/);
      expect(() => db.prepare('DELETE FROM audit_events').run()).toThrow(/append-only/);
      db.close();
    } else {
      const client = new pg.Client({ connectionString: (store as unknown as { pool: { options: { connectionString: string } } }).pool.options.connectionString });
      await client.connect();
      await expect(client.query("UPDATE modelgate_audit_events SET principal = 'x'")).rejects.toThrow(/append-only/);
      await client.end();
    }
  });

  it('keeps approval decisions first-come: a second decision on the same request loses', async () => {
    const request = await store.createApproval({
      registry: 'local', model: 'churn', version: '2', targetStage: Stage.PRODUCTION, requestedBy: 'alice', comment: 'ship it',
      requiredApprovals: 1, allowSelfApproval: false, report: { passed: true },
    });
    expect((await store.getApproval(request.id))).toMatchObject({ status: 'PENDING', report: { passed: true }, approvals: [] });
    const approved = { ...request, status: ApprovalStatus.APPROVED, approvals: [{ principal: 'bob', at: new Date(), comment: null }], decidedBy: 'bob', decidedAt: new Date() };
    const rejected = { ...request, status: ApprovalStatus.REJECTED, decidedBy: 'carol', decidedAt: new Date(), reason: 'no' };
    const [first, second] = await Promise.all([store.saveApproval(approved, ApprovalStatus.PENDING), store.saveApproval(rejected, ApprovalStatus.PENDING)]);
    expect([first, second].filter(Boolean)).toHaveLength(1);
    const listed = await store.listApprovals({ model: 'churn', limit: 10 });
    expect(listed.map((r) => r.id)).toContain(request.id);
  });

  it('pages approval requests newest first after a given request, ties broken by id, skipping and repeating none', async () => {
    // Created concurrently, so several share a timestamp: the order must still be total.
    const created = await Promise.all(
      Array.from({ length: 7 }, (_, i) =>
        store.createApproval({
          registry: 'local', model: 'paged', version: String(i + 1), targetStage: Stage.PRODUCTION, requestedBy: 'alice', comment: null,
          requiredApprovals: 1, allowSelfApproval: false, report: null,
        }),
      ),
    );
    const all = await store.listApprovals({ model: 'paged', limit: 10 });
    expect(all.map((r) => r.id).sort()).toEqual(created.map((r) => r.id).sort());
    const walked: string[] = [];
    let before: { requestedAt: Date; id: string } | null = null;
    for (let guard = 0; guard < 10; guard++) {
      const page = await store.listApprovals({ model: 'paged', limit: 2, before });
      if (page.length === 0) break;
      walked.push(...page.map((r) => r.id));
      before = { requestedAt: page.at(-1)!.requestedAt, id: page.at(-1)!.id };
    }
    expect(walked).toEqual(all.map((r) => r.id));
  });

  it('records production history newest first and keeps the first outcome of a key', async () => {
    await store.recordProduction({ registry: 'local', model: 'hist', version: '1', by: 'alice' });
    await store.recordProduction({ registry: 'local', model: 'hist', version: '3', by: 'bob' });
    expect((await store.productionHistory('local', 'hist')).map((r) => r.version)).toEqual(['3', '1']);
    const outcome = (version: string) => ({ event: { principal: 'alice', action: 'promote', registry: 'local', model: 'hist', version, before: null, after: null, result: 'OK', detail: null } });
    await store.recordOutcome({ ...outcome('3'), idempotency: { scope: 'k1', argsHash: 'h3', value: { version: '3' } } });
    await store.recordOutcome({ ...outcome('4'), idempotency: { scope: 'k1', argsHash: 'h4', value: { version: '4' } } });
    expect(await store.getIdempotent('k1')).toEqual({ scope: 'k1', argsHash: 'h3', value: { version: '3' } });
    expect(await store.getIdempotent('nope')).toBeNull();
  });

  it('opens an intent with its audit event and closes it with the outcome, history included, in one step', async () => {
    const base = { principal: 'alice', action: 'promote', registry: 'local', model: 'intent', version: '2', before: null, detail: null };
    const intent = await store.openIntent({ ...base, after: { stage: 'PRODUCTION' }, result: 'INTENT' }, { kind: 'stage', version: '2' });
    expect(intent).toMatchObject({ owner: store.owner, action: 'promote', model: 'intent', version: '2', plan: { kind: 'stage', version: '2' } });
    expect((await store.openIntents()).map((i) => i.id)).toContain(intent.id);
    expect(await store.ownerAlive(store.owner)).toBe(true);
    const closed = await store.recordOutcome({ event: { ...base, after: null, result: 'OK' }, closes: intent.id, production: { registry: 'local', model: 'intent', version: '2', by: 'alice' } });
    expect(closed.seq).toBe(intent.seq + 1);
    expect((await store.openIntents()).map((i) => i.id)).not.toContain(intent.id);
    expect((await store.productionHistory('local', 'intent')).map((r) => r.version)).toEqual(['2']);
    expect((await store.verifyAudit()).ok).toBe(true);
  });

  it('serialises work under one lock key, and not across keys', async () => {
    let inside = 0;
    let overlapped = false;
    const work = async () => {
      inside++;
      if (inside > 1) overlapped = true;
      await new Promise((r) => setTimeout(r, 5));
      inside--;
    };
    await Promise.all(Array.from({ length: 10 }, () => store.withLock('model:local:churn', work)));
    expect(overlapped).toBe(false);
    const order: string[] = [];
    await Promise.all([
      store.withLock('a', async () => { order.push('a-start'); await new Promise((r) => setTimeout(r, 30)); order.push('a-end'); }),
      store.withLock('b', async () => { order.push('b-start'); order.push('b-end'); }),
    ]);
    expect(order.indexOf('b-end')).toBeLessThan(order.indexOf('a-end'));
  });

  it('detects an audit event rewritten behind its back', async () => {
    await backend.tamper(5);
    expect(await store.verifyAudit()).toMatchObject({ ok: false, brokenAt: 5 });
  });
});

describe('PostgreSQL locks across two store instances (as two gateway processes)', () => {
  it('never lets two holders of one key overlap', async () => {
    const database = await isolatedPostgres();
    const [one, two] = await Promise.all([PostgresStore.open(database.url), PostgresStore.open(database.url)]);
    try {
      let inside = 0;
      let overlapped = false;
      const work = async () => {
        inside++;
        if (inside > 1) overlapped = true;
        await new Promise((r) => setTimeout(r, 10));
        inside--;
      };
      await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? one : two).withLock('model:x', work)));
      expect(overlapped).toBe(false);
    } finally {
      await one.close();
      await two.close();
      await database.drop();
    }
  });
});
