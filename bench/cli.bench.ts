/**
 * npx tsx bench/cli.bench.ts [--runs 10]   (the lead may add it as npm run bench:cli)
 *
 * Wall time of `modelgate models list` as a user runs it (a new process each time) against a
 * local gateway, for each entry point that exists: bin/modelgate.js (TypeScript through tsx)
 * and dist/ once the compiled build exists. Target: ≤ 0.5 s with the compiled build.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { pino } from 'pino';
import { LocalRegistry } from '../adapters/local/index.ts';
import { RegistrySet, enforceInputRules } from '../src/core/index.ts';
import { resolveConfig } from '../src/server/config.ts';
import { startGateway } from '../src/server/gateway.ts';
import { loadDemo } from '../src/server/demo.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '10' } } });
const runs = Number(values.runs);
const TARGET_MS = 500;

const dataDir = mkdtempSync(join(tmpdir(), 'modelgate-bench-cli-'));
const local = new LocalRegistry({ id: 'local', path: join(dataDir, 'local.db') });
await loadDemo(local);
const gateway = await startGateway(resolveConfig({ server: { port: 0 } }, { dataDir }), { log: pino({ level: 'silent' }), registries: new RegistrySet([enforceInputRules(local)], 'local') });

const entries = [
  ['bin/modelgate.js (the installed command)', 'bin/modelgate.js'],
  ['dist/cli/main.js (compiled)', 'dist/cli/main.js'],
  ['dist/src/cli/main.js (compiled)', 'dist/src/cli/main.js'],
].filter(([, path]) => existsSync(path!));

const rows: string[][] = [];
for (const [label, path] of entries) {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    // Asynchronous: the gateway answers from this process's event loop.
    await promisify(execFile)(process.execPath, [path!, 'models', 'list'], { env: { ...process.env, MODELGATE_URL: gateway.url, MODELGATE_TOKEN: '' } });
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)]!;
  rows.push([label!, median.toFixed(0), times[0]!.toFixed(0), times.at(-1)!.toFixed(0), median <= TARGET_MS ? 'yes' : 'no']);
}
console.log(`modelgate models list, ${runs} runs each (target ≤ ${TARGET_MS} ms with the compiled build)`);
console.log(['entry point', 'median ms', 'min ms', 'max ms', 'meets target'].join(' | '));
for (const row of rows) console.log(row.join(' | '));
await gateway.stop();
rmSync(dataDir, { recursive: true, force: true });
