import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimDataDir } from '../../src/store/index.ts';
import { ensureBuilt } from '../support/build.ts';
import { freePort, waitForHttp } from '../support/peers/free-port.ts';
import { scaled } from '../support/time-scale.ts';

interface Started {
  child: ChildProcess;
  url: string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  output: () => string;
}

/** Started as from a user's shell: vitest's NODE_ENV=test would change what Apollo does on signals. */
async function start(command: string, args: string[], env: Record<string, string> = {}): Promise<Started> {
  const port = await freePort();
  const child = spawn(command, [...args, '--port', String(port)], { env: { ...process.env, MODELGATE_CONFIG: '', NODE_ENV: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c));
  child.stderr!.on('data', (c: Buffer) => (output += c));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  await waitForHttp(`http://127.0.0.1:${port}/healthz`, 120_000, () => (child.exitCode !== null ? `exited: ${output}` : null));
  return { child, url: `http://127.0.0.1:${port}/graphql`, exit, output: () => output };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const post = (url: string, query: string) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) }).then((r) => r.json() as Promise<any>);

describe('npm start, as the README says to run it', () => {
  const dirs: string[] = [];
  beforeAll(() => ensureBuilt(), scaled(600_000));
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`stops the server on ${signal} to npm: exit 0, no orphan, the data directory free`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'modelgate-npm-start-'));
      dirs.push(dir);
      const gateway = await start('npm', ['start', '--', '--data-dir', dir]);
      const server = (JSON.parse(readFileSync(join(dir, 'modelgate.owner.json'), 'utf8')) as { pid: number }).pid;
      expect(server).not.toBe(gateway.child.pid);
      gateway.child.kill(signal);
      const { code } = await gateway.exit;
      expect(code, gateway.output()).toBe(0);
      // npm waits for its script, so by now the server is gone too.
      expect(alive(server)).toBe(false);
      expect(gateway.output()).toContain('"msg":"stopped"');
      expect(await post(gateway.url, '{ registries { id } }').catch(() => 'refused')).toBe('refused');
      claimDataDir(dir).release();
    }, scaled(120_000));
  }
});

describe('shutdown drains in-flight requests', () => {
  const dir = mkdtempSync(join(tmpdir(), 'modelgate-drain-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A gateway whose stage moves take `delayMs` (tsx: the slow-writes preload patches the sources). */
  const slowGateway = async (name: string, delayMs: number, graceMs: number) => {
    const data = join(dir, name);
    const config = join(dir, `${name}.yaml`);
    writeFileSync(config, `dataDir: ${data}\nserver: { shutdownGraceMs: ${graceMs} }\n`);
    const gateway = await start(process.execPath, ['--import', 'tsx', '--import', './test/support/slow-writes.ts', 'src/server/main.ts', '--config', config], {
      MODELGATE_TEST_WRITE_DELAY_MS: String(delayMs),
    });
    await post(gateway.url, 'mutation { registerVersion(name: "Churn", source: "s3://m") { version } }');
    return gateway;
  };
  const MOVE = 'mutation { transitionStage(name: "Churn", version: "1", stage: STAGING) { version { stage } } }';
  const settle = (promise: Promise<unknown>) => promise.then((value) => ({ value }), (error: Error) => ({ error: error.message }));

  it('SIGTERM lets a request under way finish, then exits 0', async () => {
    const gateway = await slowGateway('drain', 2_000, 10_000);
    const move = settle(post(gateway.url, MOVE));
    await new Promise((r) => setTimeout(r, 300));
    gateway.child.kill('SIGTERM');
    expect(await move).toEqual({ value: { data: { transitionStage: { version: { stage: 'STAGING' } } } } });
    expect((await gateway.exit).code, gateway.output()).toBe(0);
  }, scaled(120_000));

  it('stops on SIGTERM after the reader of its stdout is gone (a closed terminal or a dead wrapper)', async () => {
    const gateway = await start(process.execPath, ['--import', 'tsx', 'src/server/main.ts', '--data-dir', join(dir, 'no-reader')]);
    gateway.child.stdout!.destroy();
    gateway.child.kill('SIGTERM');
    const exit = await Promise.race([gateway.exit, new Promise((r) => setTimeout(() => r(`still running after ${scaled(20_000)} ms`), scaled(20_000)))]);
    gateway.child.kill('SIGKILL');
    expect(exit).toMatchObject({ code: 0 });
  }, scaled(120_000));

  it('a second signal exits at once without waiting for the request', async () => {
    const gateway = await slowGateway('twice', 60_000, 60_000);
    const move = settle(post(gateway.url, MOVE));
    await new Promise((r) => setTimeout(r, 300));
    gateway.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    const second = Date.now();
    gateway.child.kill('SIGTERM');
    const exit = await gateway.exit;
    expect(exit.code, gateway.output()).toBe(143);
    expect(exit.at - second).toBeLessThan(scaled(5_000));
    expect(await move).toHaveProperty('error');
  }, scaled(120_000));

  it('a request longer than server.shutdownGraceMs is cut off and the process still exits 0, in bounded time', async () => {
    const gateway = await slowGateway('bounded', 60_000, 500);
    const move = settle(post(gateway.url, MOVE));
    await new Promise((r) => setTimeout(r, 300));
    const sent = Date.now();
    gateway.child.kill('SIGTERM');
    const exit = await gateway.exit;
    expect(exit.code, gateway.output()).toBe(0);
    // Grace plus closing stores; the 60 s move is not waited for.
    expect(exit.at - sent).toBeLessThan(scaled(10_000));
    expect(await move).toHaveProperty('error');
  }, scaled(120_000));
});
