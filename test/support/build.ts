import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const STAMP = 'dist/.tsbuildinfo';
const LOCK = 'dist.build-lock';

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function isFresh(): boolean {
  try {
    const built = statSync(STAMP).mtimeMs;
    return Math.max(newestSource('src'), newestSource('adapters'), statSync('tsconfig.build.json').mtimeMs, statSync('tsconfig.json').mtimeMs) < built;
  } catch {
    return false;
  }
}

/**
 * Tests of the shipped package run the compiled dist/ (npm ci builds it); after a source edit
 * it is rebuilt first, once, whichever test files ask at the same time.
 */
export async function ensureBuilt(): Promise<void> {
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      // A lock left by a killed run is taken over after ten minutes.
      if (Date.now() - (statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now()) > 600_000) rmdirSync(LOCK);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    if (!isFresh()) await promisify(execFile)(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { timeout: 600_000 });
  } finally {
    rmdirSync(LOCK);
  }
}
