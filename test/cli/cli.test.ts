import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalRegistry } from '../../adapters/local/index.ts';
import { freePort } from '../support/peers/free-port.ts';
import { postGraphQL, startTestGateway, type TestGateway } from '../support/gateway.ts';
import { ensureBuilt } from '../support/build.ts';
import { scaled } from '../support/time-scale.ts';

// bin/modelgate.js runs the compiled CLI: rebuilt first if a source is newer than dist/.
beforeAll(() => ensureBuilt(), scaled(600_000));

const run = promisify(execFile);
const KEY = 'cli-test-key-3c9e';
const APPROVER_KEY = 'cli-approver-key-71aa';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('the modelgate command', () => {
  let test: TestGateway;

  /** Runs `modelgate ...` as a child process against the test gateway; never throws on a non-zero exit. */
  const cli = async (args: string[], env: Record<string, string> = {}) => {
    try {
      const { stdout, stderr } = await run(process.execPath, ['bin/modelgate.js', ...args], {
        env: { ...process.env, MODELGATE_URL: test.url, MODELGATE_TOKEN: KEY, NO_COLOR: '1', ...env },
        timeout: scaled(60_000),
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  beforeAll(async () => {
    test = await startTestGateway({
      config: {
        auth: {
          apiKeys: [
            { name: 'ci', sha256: sha256(KEY), grants: [{ role: 'admin' }] },
            { name: 'reviewer', sha256: sha256(APPROVER_KEY), grants: [{ role: 'approver' }] },
          ],
        },
        policies: [
          { models: '*', stage: 'STAGING', gates: { metrics: { accuracy: { min: 0.85 } } } },
          { models: '*', stage: 'PRODUCTION', gates: { currentStage: 'STAGING', metrics: { accuracy: { min: 0.9 } } }, approvals: 1 },
        ],
      } as never,
      adapters: (dir) => [new LocalRegistry({ id: 'local', path: join(dir, 'local.db') })],
    });
    for (const [accuracy, f1] of [
      [0.88, 0.84],
      [0.92, 0.89],
      [0.91, 0.9],
    ]) {
      await postGraphQL(
        test.url,
        'mutation ($a: Float!, $f: Float!) { registerVersion(name: "Churn", source: "s3://m", description: "d", metrics: [{ key: "accuracy", value: $a }, { key: "f1_score", value: $f }]) { version } }',
        { a: accuracy, f: f1 },
        { authorization: `Bearer ${KEY}` },
      );
    }
  }, scaled(120_000));
  afterAll(() => test.stop());

  it('validate prints each check and exits 1 when one fails', async () => {
    const failing = await cli(['validate', '--model', 'Churn', '-v', '1', '--stage', 'production']);
    expect(failing.code).toBe(1);
    expect(failing.stdout).toContain('Failed: version is in NONE, must be in STAGING');
    expect(failing.stdout).toContain('Failed: accuracy 0.88 < min 0.90');
    const passing = await cli(['validate', '--model', 'Churn', '-v', '2', '--stage', 'Staging']);
    expect(passing).toMatchObject({ code: 0, stdout: 'Passed: accuracy 0.92 >= min 0.85\n' });
  });

  it('promote exits 1 on failed gates, 0 when promoted, 3 when an approval request opens', async () => {
    const failed = await cli(['promote', '--model', 'Churn', '-v', '1', '--stage', 'production']);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('Failed: accuracy 0.88 < min 0.90');
    expect(failed.stdout).not.toContain('GATE_FAILED');
    expect(failed.stderr).toMatch(/^modelgate: GATE_FAILED: /);
    const dry = await cli(['promote', '--model', 'Churn', '-v', '2', '--stage', 'staging', '--dry-run']);
    expect(dry).toMatchObject({ code: 0 });
    expect(dry.stdout).toContain('Dry run: would promote; nothing changed.');
    const staged = await cli(['promote', '--model', 'Churn', '-v', '2', '--stage', 'staging', '--idempotency-key', 'run-42']);
    expect(staged.code).toBe(0);
    expect(staged.stdout).toContain('Promoted version 2 to STAGING.');
    const pending = await cli(['promote', '--model', 'Churn', '-v', '2', '--stage', 'production', '--comment', 'release']);
    expect(pending.code).toBe(3);
    const id = /Approval request (\S+) opened/.exec(pending.stdout)?.[1];
    expect(id).toBeTruthy();
    const approved = await cli(['approve', id!, '--comment', 'ok'], { MODELGATE_TOKEN: APPROVER_KEY });
    expect(approved).toMatchObject({ code: 0 });
    expect(approved.stdout).toContain('Promoted Churn version 2 to PRODUCTION.');
  });

  it('reject closes a request', async () => {
    await cli(['promote', '--model', 'Churn', '-v', '3', '--stage', 'staging']);
    const pending = await cli(['promote', '--model', 'Churn', '-v', '3', '--stage', 'production', '--json']);
    expect(pending.code).toBe(3);
    const id = JSON.parse(pending.stdout).promote.approvalRequest.id;
    const rejected = await cli(['reject', id, '--reason', 'not this week'], { MODELGATE_TOKEN: APPROVER_KEY });
    expect(rejected).toMatchObject({ code: 0, stdout: `Request ${id} is REJECTED.\n` });
  });

  it('compare prints an aligned table and the best version per metric; best picks one', async () => {
    const compared = await cli(['compare', '--model', 'Churn', '--metrics', 'accuracy,f1_score']);
    expect(compared.code).toBe(0);
    const lines = compared.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^version\s+stage\s+accuracy\s+f1_score$/);
    expect(lines[1]).toMatch(/^1\s+NONE\s+0\.88\s+0\.84$/);
    expect(lines[2]).toMatch(/^2\s+PRODUCTION\s+0\.92\s+0\.89$/);
    expect(lines).toContain('Best accuracy (maximize): version 2 = 0.92');
    const best = await cli(['best', '--model', 'Churn', '--metric', 'f1_score']);
    expect(best).toMatchObject({ code: 0, stdout: 'Version 3 (STAGING): f1_score = 0.9\n' });
    const lowest = await cli(['best', '--model', 'Churn', '--metric', 'accuracy', '--minimize']);
    expect(lowest.stdout).toContain('Version 1');
  });

  it('lists models and versions, and prints exact GraphQL data with --json', async () => {
    const models = await cli(['models', 'list']);
    expect(models.stdout).toMatch(/^name\s+production\s+description\nChurn\s+2\s+-\n$/);
    const versions = await cli(['versions', 'list', '--model', 'Churn', '--stage', 'production', '--json']);
    const data = JSON.parse(versions.stdout);
    expect(data.model.versions.edges.map((e: { node: { version: string } }) => e.node.version)).toEqual(['2']);
  });

  it('rolls back and verifies the audit chain', async () => {
    const rolled = await cli(['rollback', '--model', 'Churn', '--reason', 'canary errors', '--to-version', '3']);
    expect(rolled).toMatchObject({ code: 0, stdout: 'Rolled back to version 3 (EXPLICIT); archived 2.\n' });
    const audit = await cli(['audit', 'verify']);
    expect(audit.code).toBe(0);
    expect(audit.stdout).toMatch(/^Intact: \d+ audit events verified\.\n$/);
  });

  it('exits 2 with one line when the gateway is unreachable or the usage is wrong, 4 when the token is bad', async () => {
    const port = await freePort();
    const unreachable = await cli(['models', 'list'], { MODELGATE_URL: `http://127.0.0.1:${port}/graphql` });
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr.trim().split('\n')).toHaveLength(1);
    expect(unreachable.stderr).toContain('Cannot reach the gateway');
    const badToken = await cli(['models', 'list'], { MODELGATE_TOKEN: 'wrong' });
    expect(badToken).toMatchObject({ code: 4, stderr: 'modelgate: UNAUTHENTICATED: The API key or token is not valid\n' });
    const usage = await cli(['validate', '--model', 'Churn', '--stage', 'staging']);
    expect(usage).toMatchObject({ code: 2, stderr: "modelgate: required option '-v, --model-version <version>' not specified\n" });
    const unknown = await cli(['frobnicate']);
    expect(unknown.code).toBe(2);
  });

  it('prints the GraphQL error code for other failures and exits 1', async () => {
    const missing = await cli(['rollback', '--model', 'Nope', '--reason', 'x']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^modelgate: (NOT_FOUND|NO_ROLLBACK_TARGET): /);
  });
});

describe('modelgate serve', () => {
  it('runs the gateway from any directory, as npm start does', async () => {
    const { spawn } = await import('node:child_process');
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { resolve } = await import('node:path');
    const { waitForHttp } = await import('../support/peers/free-port.ts');
    const dir = mkdtempSync(join(tmpdir(), 'modelgate-serve-'));
    const port = await freePort();
    const bin = resolve('bin/modelgate.js');
    const child = spawn(process.execPath, [bin, 'serve', '--port', String(port), '--data-dir', dir, '--demo'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c));
    child.stderr.on('data', (c: Buffer) => (output += c));
    try {
      await waitForHttp(`http://127.0.0.1:${port}/healthz`, 60_000, () => (child.exitCode !== null ? `serve exited: ${output}` : null));
      const { stdout } = await run(process.execPath, [bin, 'versions', 'list', '--model', 'ChurnPredictionModel'], {
        cwd: dir,
        env: { ...process.env, MODELGATE_URL: `http://127.0.0.1:${port}/graphql`, MODELGATE_TOKEN: '', NO_COLOR: '1' },
      });
      expect(stdout.split('\n')[1]).toMatch(/^3\s+NONE\s+1\.0\.2\s/);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    }
  }, scaled(90_000));
});
