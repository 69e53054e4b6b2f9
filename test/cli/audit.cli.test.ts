import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_KEY_ENV } from '../../src/store/index.ts';
import { postGraphQL, startTestGateway, type TestGateway } from '../support/gateway.ts';
import { ensureBuilt } from '../support/build.ts';
import { scaled } from '../support/time-scale.ts';

// bin/modelgate.js runs the compiled CLI: rebuilt first if a source is newer than dist/.
beforeAll(() => ensureBuilt(), scaled(600_000));

const run = promisify(execFile);
const ADMIN = 'audit-cli-admin-key';
const EDITOR = 'audit-cli-editor-key';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('modelgate audit checkpoint / verify --checkpoint', () => {
  let test: TestGateway;
  const savedKey = process.env[AUDIT_KEY_ENV];

  const cli = async (args: string[], token = ADMIN) => {
    try {
      const { stdout, stderr } = await run(process.execPath, ['bin/modelgate.js', ...args], {
        env: { ...process.env, MODELGATE_URL: test.url, MODELGATE_TOKEN: token, NO_COLOR: '1' },
        timeout: scaled(60_000),
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };
  const register = (name: string) =>
    postGraphQL(test.url, `mutation { registerVersion(name: "${name}", source: "s3://m") { version } }`, undefined, { authorization: `Bearer ${ADMIN}` });

  beforeAll(async () => {
    delete process.env[AUDIT_KEY_ENV]; // the gateway runs in this process and reads its environment
    test = await startTestGateway({
      config: {
        auth: {
          apiKeys: [
            { name: 'admin', sha256: sha256(ADMIN), grants: [{ role: 'admin' }] },
            { name: 'editor', sha256: sha256(EDITOR), grants: [{ role: 'editor' }] },
          ],
        },
      } as never,
    });
    for (const name of ['Churn', 'Churn', 'Fraud']) await register(name);
  }, scaled(120_000));
  afterAll(async () => {
    if (savedKey === undefined) delete process.env[AUDIT_KEY_ENV];
    else process.env[AUDIT_KEY_ENV] = savedKey;
    await test.stop();
  });

  it('says how to set the key when the gateway has none, and only admins may issue one', async () => {
    const missing = await cli(['audit', 'checkpoint']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`UNSUPPORTED: Audit checkpoints need a signing key: set ${AUDIT_KEY_ENV}`);
    process.env[AUDIT_KEY_ENV] = 'cli-test-audit-key-0123456789abcdef';
    const editor = await cli(['audit', 'checkpoint'], EDITOR);
    expect(editor.code).toBe(4); // not permitted, told apart from a refusal
    expect(editor.stderr).toContain('FORBIDDEN');
    const log = await postGraphQL(test.url, '{ auditLog(first: 100) { action result } }', undefined, { authorization: `Bearer ${ADMIN}` });
    expect(log.body.data.auditLog).toContainEqual({ action: 'auditCheckpoint', result: 'UNSUPPORTED' });
  });

  it('prints a checkpoint the log extends; a truncated log verifies as a chain but not against the checkpoint', async () => {
    process.env[AUDIT_KEY_ENV] = 'cli-test-audit-key-0123456789abcdef';
    const issued = await cli(['audit', 'checkpoint']);
    expect(issued.code).toBe(0);
    const checkpoint = JSON.parse(issued.stdout) as { seq: number; hash: string; at: string; signature: string };
    expect(Object.keys(checkpoint)).toEqual(['seq', 'hash', 'at', 'signature']);
    expect(checkpoint.signature).toMatch(/^[0-9a-f]{64}$/);
    const file = join(test.dataDir, 'checkpoint.json');
    writeFileSync(file, issued.stdout);

    await register('Churn'); // the log grows after the checkpoint: it still extends it
    const fromFile = await cli(['audit', 'verify', '--checkpoint', file]);
    expect(fromFile).toMatchObject({ code: 0 });
    expect(fromFile.stdout).toMatch(/^Intact: \d+ audit events verified\.\nExtends the checkpoint at event \d+\.\n$/);
    expect((await cli(['audit', 'verify', '--checkpoint', issued.stdout.trim()])).code).toBe(0);

    const forged = await cli(['audit', 'verify', '--checkpoint', JSON.stringify({ ...checkpoint, seq: checkpoint.seq - 1 })]);
    expect(forged.code).toBe(1);
    expect(forged.stdout).toContain('its signature does not hold');

    // An attacker with the database file drops the guards and deletes the tail, checkpointed events included.
    const db = new Database(join(test.dataDir, 'modelgate-store.db'));
    db.exec('DROP TRIGGER audit_no_delete');
    db.prepare('DELETE FROM audit_events WHERE seq >= ?').run(checkpoint.seq - 1);
    db.close();
    const chainOnly = await cli(['audit', 'verify']);
    expect(chainOnly.code).toBe(0); // the chain alone cannot see a cut tail
    const against = await cli(['audit', 'verify', '--checkpoint', file]);
    expect(against.code).toBe(1);
    expect(against.stdout).toContain(`Does not extend the checkpoint at event ${checkpoint.seq}: the log no longer has that event (truncated).`);
    const json = JSON.parse((await cli(['audit', 'verify', '--checkpoint', file, '--json'])).stdout);
    expect(json.verifyAudit).toMatchObject({ ok: false, broken: [], checkpoint: { seq: checkpoint.seq, holds: false, reason: 'EVENT_MISSING' } });
  });

  it('exits 2 on a checkpoint that is not one', async () => {
    expect(await cli(['audit', 'verify', '--checkpoint', '{"seq": 1}'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--checkpoint needs seq, hash, at and signature') });
    expect(await cli(['audit', 'verify', '--checkpoint', '/nonexistent/cp.json'])).toMatchObject({ code: 2, stderr: expect.stringContaining('cannot read') });
  });
});
