/**
 * npm run bench:startup [-- --rounds 8]
 *
 * Spawn to first healthy /healthz on the embedded default, idle RSS a second later, and
 * `modelgate --help`: the compiled build (dist/, what `npm start` and the bin run) against the
 * same sources run through tsx. Rounds interleave the two so machine noise hits both.
 * Run `npm run build` first (npm ci does).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from '../test/support/peers/free-port.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '8' } } });
const rounds = Number(values.rounds);
if (!existsSync('dist/src/server/main.js')) throw new Error('dist/ is missing: run `npm run build` first');

const arms = {
  compiled: { serve: ['dist/src/server/main.js'], cli: ['dist/src/cli/main.js'] },
  tsx: { serve: ['--import', 'tsx', 'src/server/main.ts'], cli: ['--import', 'tsx', 'src/cli/main.ts'] },
} as const;
type Arm = keyof typeof arms;

/** Milliseconds from spawn to the first 200 on /healthz, and RSS (MB) after one idle second. */
async function startOnce(arm: Arm): Promise<{ ms: number; rssMb: number }> {
  const port = await freePort();
  const data = mkdtempSync(join(tmpdir(), 'modelgate-startup-bench-'));
  const started = performance.now();
  const child = spawn(process.execPath, [...arms[arm].serve, '--port', String(port), '--data-dir', data], {
    env: { ...process.env, MODELGATE_CONFIG: '' },
    stdio: 'ignore',
  });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${arm} gateway exited with ${child.exitCode}`);
      // Only a guard against a hang: a loaded machine (tsx, many processes) can take a minute or more.
      if (performance.now() - started > 300_000) throw new Error(`${arm} gateway not healthy after 300 s`);
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
      if (ok) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const ms = performance.now() - started;
    await new Promise((r) => setTimeout(r, 1_000));
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1]);
    return { ms, rssMb: rssKb / 1024 };
  } finally {
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await gone;
    rmSync(data, { recursive: true, force: true });
  }
}

function helpOnce(arm: Arm): number {
  const started = performance.now();
  const run = spawnSync(process.execPath, [...arms[arm].cli, '--help'], { stdio: 'ignore' });
  if (run.status !== 0) throw new Error(`${arm} modelgate --help exited with ${run.status}`);
  return performance.now() - started;
}

const samples: Record<Arm, { ms: number[]; rssMb: number[]; helpMs: number[] }> = {
  compiled: { ms: [], rssMb: [], helpMs: [] },
  tsx: { ms: [], rssMb: [], helpMs: [] },
};
// One warm-up round each fills the OS file cache; it is not counted.
for (let round = -1; round < rounds; round++) {
  for (const arm of round % 2 ? (['tsx', 'compiled'] as const) : (['compiled', 'tsx'] as const)) {
    const start = await startOnce(arm);
    const help = helpOnce(arm);
    if (round < 0) continue;
    samples[arm].ms.push(start.ms);
    samples[arm].rssMb.push(start.rssMb);
    samples[arm].helpMs.push(help);
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const max = (xs: number[]) => Math.max(...xs);
const c = samples.compiled;
const t = samples.tsx;
console.log(`\nmodelgate start-up on the embedded default, ${rounds} interleaved rounds, node ${process.version}, load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} CPUs\n`);
console.log('| run | spawn → healthy /healthz, median ms | max ms | idle RSS, median MB | max MB | modelgate --help, median ms |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const [name, s] of [['compiled (node dist/)', c], ['tsx (node --import tsx src/)', t]] as const) {
  console.log(`| ${name} | ${median(s.ms).toFixed(0)} | ${max(s.ms).toFixed(0)} | ${median(s.rssMb).toFixed(0)} | ${max(s.rssMb).toFixed(0)} | ${median(s.helpMs).toFixed(0)} |`);
}
console.log(`| ratio compiled / tsx | ${(median(c.ms) / median(t.ms)).toFixed(2)}x | | ${(median(c.rssMb) / median(t.rssMb)).toFixed(2)}x | | ${(median(c.helpMs) / median(t.helpMs)).toFixed(2)}x |`);
console.log(`\ntargets: ≤ 1500 ms to healthy (${median(c.ms) <= 1500 ? 'met' : 'missed'}), ≤ 120 MB idle (${median(c.rssMb) <= 120 ? 'met' : 'missed'})`);
