/**
 * npm run bench:startup [-- --rounds 8] [--against ../other-checkout]
 *
 * Spawn to first healthy /healthz on the embedded default, the CPU time the process used to get
 * there, idle RSS a second later, and `modelgate --help`: the compiled build (dist/, what
 * `npm start` and the bin run) against the same sources run through tsx, and with --against the
 * compiled build of another checkout (e.g. main, built). Rounds interleave the arms so machine
 * noise hits all of them; CPU time to healthy is the figure a loaded machine distorts least.
 * Run `npm run build` first (npm ci does).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from '../test/support/peers/free-port.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '8' }, against: { type: 'string' } } });
const rounds = Number(values.rounds);
const against = values.against ? resolve(values.against) : undefined;
for (const dir of ['.', ...(against ? [against] : [])]) {
  if (!existsSync(join(dir, 'dist/src/server/main.js'))) throw new Error(`${dir}/dist/ is missing: run \`npm run build\` there first`);
}

interface ArmSpec {
  label: string;
  cwd: string;
  serve: string[];
  cli: string[];
}
const arms: Record<string, ArmSpec> = {
  compiled: { label: 'compiled (node dist/)', cwd: '.', serve: ['dist/src/server/main.js'], cli: ['dist/src/cli/main.js'] },
  tsx: { label: 'tsx (node --import tsx src/)', cwd: '.', serve: ['--import', 'tsx', 'src/server/main.ts'], cli: ['--import', 'tsx', 'src/cli/main.ts'] },
  ...(against ? { against: { label: `compiled, ${against}`, cwd: against, serve: ['dist/src/server/main.js'], cli: ['dist/src/cli/main.js'] } } : {}),
};
type Arm = string;

/** CPU milliseconds (user + system, all threads) a process has used so far. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** Milliseconds from spawn to the first 200 on /healthz, the CPU used by then, and RSS (MB) after one idle second. */
async function startOnce(arm: Arm): Promise<{ ms: number; cpuMs: number; rssMb: number }> {
  const port = await freePort();
  const data = mkdtempSync(join(tmpdir(), 'modelgate-startup-bench-'));
  const started = performance.now();
  const child = spawn(process.execPath, [...arms[arm]!.serve, '--port', String(port), '--data-dir', data], {
    cwd: arms[arm]!.cwd,
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
    const cpu = cpuMs(child.pid!);
    await new Promise((r) => setTimeout(r, 1_000));
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1]);
    return { ms, cpuMs: cpu, rssMb: rssKb / 1024 };
  } finally {
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await gone;
    rmSync(data, { recursive: true, force: true });
  }
}

function helpOnce(arm: Arm): number {
  const started = performance.now();
  const run = spawnSync(process.execPath, [...arms[arm]!.cli, '--help'], { cwd: arms[arm]!.cwd, stdio: 'ignore' });
  if (run.status !== 0) throw new Error(`${arm} modelgate --help exited with ${run.status}`);
  return performance.now() - started;
}

const names = Object.keys(arms);
const samples = Object.fromEntries(names.map((arm) => [arm, { ms: [] as number[], cpuMs: [] as number[], rssMb: [] as number[], helpMs: [] as number[] }]));
const loads: number[] = [];
// One warm-up round each fills the OS file cache; it is not counted. Odd rounds run the arms in reverse order.
for (let round = -1; round < rounds; round++) {
  for (const arm of round % 2 ? [...names].reverse() : names) {
    const start = await startOnce(arm);
    const help = helpOnce(arm);
    if (round < 0) continue;
    samples[arm]!.ms.push(start.ms);
    samples[arm]!.cpuMs.push(start.cpuMs);
    samples[arm]!.rssMb.push(start.rssMb);
    samples[arm]!.helpMs.push(help);
  }
  loads.push(loadavg()[0]!);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const max = (xs: number[]) => Math.max(...xs);
const c = samples.compiled!;
const t = samples.tsx!;
const a = samples.against;
console.log(`\nmodelgate start-up on the embedded default, ${rounds} interleaved rounds, node ${process.version}, load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} on ${availableParallelism()} CPUs\n`);
console.log('| run | spawn → healthy /healthz, median ms | max ms | CPU to healthy, median ms | idle RSS, median MB | max MB | modelgate --help, median ms |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const arm of names) {
  const s = samples[arm]!;
  console.log(`| ${arms[arm]!.label} | ${median(s.ms).toFixed(0)} | ${max(s.ms).toFixed(0)} | ${median(s.cpuMs).toFixed(0)} | ${median(s.rssMb).toFixed(0)} | ${max(s.rssMb).toFixed(0)} | ${median(s.helpMs).toFixed(0)} |`);
}
const ratio = (x: typeof c, y: typeof c, label: string) =>
  console.log(`| ratio ${label} | ${(median(x.ms) / median(y.ms)).toFixed(2)}x | | ${(median(x.cpuMs) / median(y.cpuMs)).toFixed(2)}x | ${(median(x.rssMb) / median(y.rssMb)).toFixed(2)}x | | ${(median(x.helpMs) / median(y.helpMs)).toFixed(2)}x |`);
ratio(c, t, 'compiled / tsx');
if (a) ratio(c, a, 'compiled / against');
console.log(`\ntargets: ≤ 1500 ms to healthy (${median(c.ms) <= 1500 ? 'met' : 'missed'}), ≤ 120 MB idle (${median(c.rssMb) <= 120 ? 'met' : 'missed'})`);
