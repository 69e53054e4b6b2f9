import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ensureBuilt } from '../../support/build.ts';
import { scaled } from '../../support/time-scale.ts';

const exec = promisify(execFile);
const BIN = resolve('bin/modelgate.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The bin runs the compiled dist/: built (or rebuilt after a source edit) once per test file before
 * its first command, under the build lock, so no command runs stale code or a half-written build.
 */
let built: Promise<void> | null = null;
const fresh = () => (built ??= ensureBuilt());

/** Runs `modelgate ...` as a child process; never throws on a non-zero exit. */
export async function runCli(args: string[], env: Record<string, string | undefined>): Promise<CliResult> {
  await fresh();
  return settle(exec(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1', ...env }, timeout: scaled(60_000) }));
}

/** Runs a bash script; never throws on a non-zero exit. */
export async function runBash(script: string, env: Record<string, string | undefined>, cwd?: string): Promise<CliResult> {
  await fresh();
  return settle(exec('bash', ['-c', script], { env: { ...process.env, NO_COLOR: '1', ...env }, cwd, timeout: scaled(120_000) }));
}

async function settle(p: Promise<{ stdout: string; stderr: string }>): Promise<CliResult> {
  try {
    const { stdout, stderr } = await p;
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** A directory with a `modelgate` executable that runs this checkout: what an installed package puts on PATH. */
export function modelgateOnPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'modelgate-bin-'));
  const shim = join(dir, 'modelgate');
  writeFileSync(shim, `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
  chmodSync(shim, 0o755);
  return dir;
}
