import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const LOCK = 'dist.web-build-lock';

function newest(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((entry) => newest(join(path, entry))));
}

const builtAt = (manifest: string) => statSync(manifest, { throwIfNoEntry: false })?.mtimeMs ?? 0;

/**
 * The browser tests serve what `npm run build` made (dist/web); after an edit of web/ or of the
 * typed documents it is rebuilt first, once, whichever test files ask at the same time.
 */
export async function ensureConsoleBuilt(): Promise<void> {
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      if (Date.now() - (statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now()) > 600_000) rmdirSync(LOCK);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    const vite = async (config: string) => promisify(execFile)(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '-c', config], { timeout: 600_000 });
    const sources = Math.max(newest('web/src'), newest('web/index.html'), newest('web/vite.config.ts'), newest('packages/client/src/generated.ts'));
    if (sources >= builtAt('dist/web/console/.vite/manifest.json')) await vite('web/vite.config.ts');
    if (newest('web/graphiql') >= builtAt('dist/web/graphiql/.vite/manifest.json')) await vite('web/graphiql/vite.config.ts');
  } finally {
    rmdirSync(LOCK);
  }
}
