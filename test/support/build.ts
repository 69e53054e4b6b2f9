import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { scaled } from './time-scale.ts';

const STAMP = 'dist/.tsbuildinfo';
const CLIENT = 'packages/client';
const LOCK = 'dist.build-lock';

/** The newest modification time of a file, or of anything under a directory. */
export function newestSource(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((entry) => newestSource(join(path, entry))));
}

/** Runs `work` holding a directory lock, so test files that ask at the same time build once. */
export async function withBuildLock<T>(lock: string, work: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock left by a killed run is taken over after ten minutes.
      if (Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now()) > 600_000) rmdirSync(lock);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await work();
  } finally {
    rmdirSync(lock);
  }
}

function isFresh(): boolean {
  try {
    const built = Math.min(statSync(STAMP).mtimeMs, statSync(`${CLIENT}/dist/index.js`).mtimeMs);
    return Math.max(newestSource('src'), newestSource('adapters'), newestSource(`${CLIENT}/src`), statSync('tsconfig.build.json').mtimeMs, statSync('tsconfig.json').mtimeMs, statSync(`${CLIENT}/tsconfig.json`).mtimeMs) < built;
  } catch {
    return false;
  }
}

/**
 * Tests of the shipped package run the compiled dist/ (npm ci builds it); after a source edit
 * it is rebuilt first (the client workspace, then the server), once, whichever test files ask at the same time.
 */
export async function ensureBuilt(): Promise<void> {
  await withBuildLock(LOCK, async () => {
    if (isFresh()) return;
    // The client workspace first: the server's build and the packed tarball read its dist/.
    await promisify(execFile)(process.execPath, ['node_modules/typescript/bin/tsc', '-p', `${CLIENT}/tsconfig.json`], { timeout: scaled(600_000) });
    await promisify(execFile)(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { timeout: scaled(600_000) });
  });
}
