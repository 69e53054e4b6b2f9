import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { promisify } from 'node:util';
import { newestSource as newest, withBuildLock } from '../../support/build.ts';
import { scaled } from '../../support/time-scale.ts';

const LOCK = 'dist.web-build-lock';

const builtAt = (manifest: string) => statSync(manifest, { throwIfNoEntry: false })?.mtimeMs ?? 0;

/**
 * The browser tests serve what `npm run build` made (dist/web); after an edit of web/ or of the
 * typed documents it is rebuilt first, once, whichever test files ask at the same time.
 */
export async function ensureConsoleBuilt(): Promise<void> {
  await withBuildLock(LOCK, async () => {
    const vite = async (config: string) => promisify(execFile)(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '-c', config], { timeout: scaled(600_000) });
    const sources = Math.max(newest('web/src'), newest('web/index.html'), newest('web/vite.config.ts'), newest('packages/client/src/generated.ts'));
    if (sources >= builtAt('dist/web/console/.vite/manifest.json')) await vite('web/vite.config.ts');
    if (newest('web/graphiql') >= builtAt('dist/web/graphiql/.vite/manifest.json')) await vite('web/graphiql/vite.config.ts');
  });
}
