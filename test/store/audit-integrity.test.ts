import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AUDIT_KEY_ENV,
  GENESIS_HASH,
  auditHash,
  issueCheckpoint,
  verifyAgainstCheckpoint,
  type AuditCheckpoint,
  type GatewayStore,
} from '../../src/store/index.ts';
import { storedLinkOf, type AuditRow } from '../../src/store/rows.ts';
import { AUDIT_BACKENDS, type AuditBackend } from './audit-backends.ts';

const KEY = 'audit-test-key-0123456789abcdef0123456789';
const EVENTS = 10;
const event = (i: number) => ({
  principal: 'alice',
  action: `promote-${i}`,
  registry: 'local',
  model: 'churn',
  version: String(i),
  before: { stage: 'STAGING' },
  after: { stage: 'PRODUCTION', comment: `ship ${i}` },
  result: 'OK',
  detail: null,
});

describe.each(AUDIT_BACKENDS)('audit log integrity on %s', (_label, makeBackend) => {
  let backend: AuditBackend;
  let store: GatewayStore;
  let checkpoint: AuditCheckpoint;
  const t = () => backend.table;
  const count = async () => Number((await backend.sql(`SELECT COUNT(*) AS n FROM ${t()}`))[0]!.n);

  beforeEach(async () => {
    backend = await makeBackend();
    store = await backend.open();
    for (let i = 1; i <= EVENTS; i++) await store.appendAudit(event(i));
    checkpoint = await issueCheckpoint(store, KEY);
  });
  afterEach(async () => {
    await store.close();
    await backend.cleanup();
  });

  /** What verification says without and with the checkpoint taken before the attack. */
  const verdicts = async () => ({ chain: await store.verifyAudit(), withCheckpoint: await verifyAgainstCheckpoint(store, KEY, checkpoint) });

  it('hashes exactly the stored columns, so anyone can recompute the chain from the rows alone', async () => {
    const rows = (await backend.sql(`SELECT * FROM ${t()} ORDER BY seq`)) as unknown as AuditRow[];
    let prev = GENESIS_HASH;
    for (const row of rows) {
      // The documented form: JSON array of the columns, before/after as their stored JSON text.
      const canonical = `[${Number(row.seq)},${JSON.stringify(row.at)},${JSON.stringify(row.principal)},${JSON.stringify(row.action)},${JSON.stringify(row.registry)},` +
        `${JSON.stringify(row.model)},${JSON.stringify(row.version)},${row.before ?? 'null'},${row.after ?? 'null'},${JSON.stringify(row.result)},${JSON.stringify(row.detail)}]`;
      expect(row.prev_hash).toBe(prev);
      expect(row.hash).toBe(createHash('sha256').update(prev).update(canonical).digest('hex'));
      prev = row.hash;
    }
    expect(checkpoint).toMatchObject({ seq: EVENTS, hash: prev });
    expect(await store.listCheckpoints(5)).toEqual([checkpoint]);
  });

  it('refuses a string that is not well-formed Unicode instead of storing U+FFFD, and the chain stays intact', async () => {
    for (const field of ['principal', 'model', 'version', 'detail'] as const) {
      await expect(store.appendAudit({ ...event(99), [field]: 'Churn\ud800' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    }
    expect(await count()).toBe(EVENTS);
    // Inside before/after the JSON text escapes the surrogate, so it is kept exactly and verifies.
    const kept = await store.appendAudit({ ...event(11), after: { comment: 'Churn\ud800' } });
    const [read] = await store.listAudit({ after: kept.seq - 1, limit: 1 });
    expect((read!.after as { comment: string }).comment).toBe('Churn\ud800');
    // A well-formed astral character (a surrogate pair) is stored and verifies.
    await store.appendAudit({ ...event(12), detail: 'rocket \ud83d\ude80' });
    expect(await store.verifyAudit()).toMatchObject({ ok: true, checked: EVENTS + 2, broken: [] });
  });

  it('reports every broken link, not only the first, capped with a truncated flag', async () => {
    for (let i = EVENTS + 1; i <= 120; i++) await store.appendAudit(event(i));
    await backend.dropGuards();
    await backend.sql(`UPDATE ${t()} SET principal = 'mallory' WHERE seq IN (3, 7)`);
    expect(await store.verifyAudit()).toMatchObject({ ok: false, brokenAt: 3, broken: [3, 7], truncated: false, checked: 120 });
    await backend.sql(`UPDATE ${t()} SET principal = 'mallory'`);
    const all = await store.verifyAudit();
    expect(all).toMatchObject({ ok: false, checked: 120, brokenAt: 1, truncated: true });
    expect(all.broken).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });

  it('edit a row: the trigger refuses it; done anyway, the chain names the row', async () => {
    await expect(backend.sql(`UPDATE ${t()} SET principal = 'mallory' WHERE seq = 4`)).rejects.toThrow(/append-only/);
    expect((await verdicts()).withCheckpoint).toMatchObject({ ok: true, checkpoint: { holds: true } });
    await backend.dropGuards();
    await backend.sql(`UPDATE ${t()} SET principal = 'mallory' WHERE seq = 4`);
    expect((await verdicts()).chain).toMatchObject({ ok: false, broken: [4] });
  });

  it('delete a middle row: the trigger refuses it; done anyway, the chain names the next row', async () => {
    await expect(backend.sql(`DELETE FROM ${t()} WHERE seq = 4`)).rejects.toThrow(/append-only/);
    await backend.dropGuards();
    await backend.sql(`DELETE FROM ${t()} WHERE seq = 4`);
    expect((await verdicts()).chain).toMatchObject({ ok: false, broken: [5], checked: EVENTS - 1 });
  });

  it('delete the tail: the trigger refuses it; done anyway, only the checkpoint catches it', async () => {
    await expect(backend.sql(`DELETE FROM ${t()} WHERE seq >= 8`)).rejects.toThrow(/append-only/);
    await backend.dropGuards();
    await backend.sql(`DELETE FROM ${t()} WHERE seq >= 8`);
    const { chain, withCheckpoint } = await verdicts();
    expect(chain).toMatchObject({ ok: true, checked: 7, broken: [] }); // the chain alone cannot see it
    expect(withCheckpoint).toMatchObject({ ok: false, broken: [], checkpoint: { seq: EVENTS, holds: false, reason: 'EVENT_MISSING' } });
  });

  it('reorder two rows: the trigger refuses it; done anyway, the chain names both', async () => {
    const swap = async () => {
      await backend.sql(`UPDATE ${t()} SET seq = -seq WHERE seq IN (4, 5)`);
      await backend.sql(`UPDATE ${t()} SET seq = 5 WHERE seq = -4`);
      await backend.sql(`UPDATE ${t()} SET seq = 4 WHERE seq = -5`);
    };
    await expect(swap()).rejects.toThrow(/append-only/);
    await backend.dropGuards();
    await swap();
    const { chain } = await verdicts();
    expect(chain).toMatchObject({ ok: false, brokenAt: 4 });
    expect(chain.broken).toEqual(expect.arrayContaining([4, 5]));
  });

  it('replace a row (INSERT OR REPLACE / ON CONFLICT DO UPDATE): the trigger refuses it; done anyway, the chain names it', async () => {
    await expect(backend.sql(backend.replaceSql, [4])).rejects.toThrow(/append-only/);
    if (backend.label === 'SQLite') {
      await expect(backend.sql(backend.replaceSql.replace('INSERT OR REPLACE', 'REPLACE'), [4])).rejects.toThrow(/append-only/);
    }
    expect((await backend.sql(`SELECT principal FROM ${t()} WHERE seq = 4`))[0]!.principal).toBe('alice');
    await backend.dropGuards();
    await backend.sql(backend.replaceSql, [4]);
    expect((await verdicts()).chain).toMatchObject({ ok: false, broken: [4] });
  });

  it('append a row that does not extend the head: the trigger refuses it; done anyway, the chain names it', async () => {
    const insert = `INSERT INTO ${t()} (seq, at, principal, action, result, prev_hash, hash) VALUES (?, '2020-01-01T00:00:00.000Z', 'mallory', 'x', 'OK', ?, 'h')`;
    const head = (await store.auditHead())!;
    await expect(backend.sql(insert, [EVENTS + 5, head.hash])).rejects.toThrow(/append-only/); // a gap
    await expect(backend.sql(insert, [EVENTS + 1, GENESIS_HASH])).rejects.toThrow(/append-only/); // a fork
    expect(await count()).toBe(EVENTS);
    await backend.dropGuards();
    await backend.sql(insert, [EVENTS + 5, head.hash]);
    expect(await store.verifyAudit()).toMatchObject({ ok: false, broken: [EVENTS + 5] });
  });

  it('truncate: the trigger refuses it; done anyway, only the checkpoint catches it', async () => {
    await expect(backend.sql(backend.truncateSql)).rejects.toThrow(/append-only/);
    expect(await count()).toBe(EVENTS);
    await backend.dropGuards();
    await backend.sql(backend.truncateSql);
    const { chain, withCheckpoint } = await verdicts();
    expect(chain).toMatchObject({ ok: true, checked: 0 }); // an empty log is a valid chain
    expect(withCheckpoint).toMatchObject({ ok: false, checkpoint: { holds: false, reason: 'EVENT_MISSING' } });
  });

  it('rehash everything after an edit: the chain verifies, only the checkpoint catches it', async () => {
    await backend.dropGuards();
    await backend.sql(`UPDATE ${t()} SET principal = 'mallory' WHERE seq = 4`);
    const rows = (await backend.sql(`SELECT * FROM ${t()} WHERE seq >= 3 ORDER BY seq`)) as unknown as AuditRow[];
    let prev = rows[0]!.hash;
    for (const row of rows.slice(1)) {
      const hash = auditHash(prev, storedLinkOf(row));
      await backend.sql(`UPDATE ${t()} SET prev_hash = ?, hash = ? WHERE seq = ?`, [prev, hash, Number(row.seq)]);
      prev = hash;
    }
    const { chain, withCheckpoint } = await verdicts();
    expect(chain).toMatchObject({ ok: true, checked: EVENTS, broken: [] }); // the chain alone cannot see it
    expect(withCheckpoint).toMatchObject({ ok: false, broken: [], checkpoint: { seq: EVENTS, holds: false, reason: 'HASH_DIFFERS' } });
  });

  it('a checkpoint proves nothing once its signature does not hold: forged, altered or signed with another key', async () => {
    expect(await verifyAgainstCheckpoint(store, KEY, checkpoint)).toMatchObject({ ok: true, checkpoint: { seq: EVENTS, holds: true, reason: null } });
    const forged = [
      { ...checkpoint, signature: '0'.repeat(64) },
      { ...checkpoint, seq: 3, hash: (await store.listAudit({ after: 2, limit: 1 }))[0]!.hash },
      { ...checkpoint, at: new Date(0).toISOString() },
    ];
    for (const c of forged) expect(await verifyAgainstCheckpoint(store, KEY, c)).toMatchObject({ ok: false, checkpoint: { holds: false, reason: 'SIGNATURE_INVALID' } });
    expect(await verifyAgainstCheckpoint(store, `${KEY}-other`, checkpoint)).toMatchObject({ ok: false, checkpoint: { reason: 'SIGNATURE_INVALID' } });
    // Appending after a checkpoint is what a log does: it still extends it.
    await store.appendAudit(event(11));
    expect(await verifyAgainstCheckpoint(store, KEY, checkpoint)).toMatchObject({ ok: true, checked: EVENTS + 1 });
  });

  it('refuses edits and deletes of stored checkpoints', async () => {
    const table = backend.label === 'SQLite' ? 'audit_checkpoints' : 'modelgate_audit_checkpoints';
    await expect(backend.sql(`UPDATE ${table} SET seq = 1`)).rejects.toThrow(/append-only/);
    await expect(backend.sql(`DELETE FROM ${table}`)).rejects.toThrow(/append-only/);
  });
});

describe('audit checkpoint key', () => {
  it('is required from the environment, and refused when short', async () => {
    const { auditKey } = await import('../../src/store/index.ts');
    expect(() => auditKey({})).toThrow(expect.objectContaining({ code: 'UNSUPPORTED', message: expect.stringContaining(AUDIT_KEY_ENV) }));
    expect(() => auditKey({ [AUDIT_KEY_ENV]: 'short' })).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }));
    expect(auditKey({ [AUDIT_KEY_ENV]: KEY })).toBe(KEY);
  });
});
