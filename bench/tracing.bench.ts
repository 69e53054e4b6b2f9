/**
 * npm run bench:tracing [-- --rounds 6 --seconds 3 --concurrency 10 --cpu-prof DIR]
 *
 * The cost of tracing on one small model query: two real gateways (startGateway with its config,
 * embedded registry, logs at info to /dev/null), each in its own process, one without OTEL_*
 * variables (tracing off) and one exporting every span over OTLP/HTTP to a local sink in this
 * process (tracing on, sampler always_on). Measured side by side in interleaved rounds (the machine
 * is shared; ratios only). Target: time per request with tracing on <= 1.1x off.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';

type Mode = 'off' | 'on';
const MODES: Mode[] = ['off', 'on'];
const MODEL = 'ChurnPredictionModel';
const QUERY = `query Catalog($name: String!) { model(name: $name) { name versions(first: 3) { nodes { version stage metric(name: "accuracy") } } } }`;

const { values } = parseArgs({
  options: {
    serve: { type: 'boolean', default: false },
    rounds: { type: 'string', default: '6' },
    seconds: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '10' },
    // Writes each gateway's CPU profiles (node --cpu-prof, one per thread) into DIR/off and DIR/on.
    'cpu-prof': { type: 'string' },
  },
});

if (values.serve) {
  // Exit cleanly on kill, so `node --cpu-prof` can write its profile.
  process.on('SIGTERM', () => process.exit(0));
  console.log(JSON.stringify({ url: await serve() }));
  // Each line on stdin asks for the CPU time used so far (microseconds), exporting included.
  createInterface({ input: process.stdin }).on('line', () => {
    const { user, system } = process.cpuUsage();
    console.log(JSON.stringify({ cpu: { user, system } }));
  });
} else {
  await compare();
}

async function serve(): Promise<string> {
  const { pino } = await import('pino');
  const { resolveConfig } = await import('../src/server/config.ts');
  const { startGateway } = await import('../src/server/gateway.ts');
  const dir = mkdtempSync(join(tmpdir(), 'modelgate-tracing-bench-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const log = pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: false }));
  const gateway = await startGateway(resolveConfig({ server: { port: 0 } }, { dataDir: dir }), { log });
  const registry = gateway.registries.get();
  await registry.createModel({ name: MODEL, description: 'benchmark', tags: {} });
  for (const accuracy of [0.88, 0.92, 0.91]) await registry.createVersion({ name: MODEL, source: 's3://bench/model', tags: {}, metrics: { accuracy }, params: {} });
  return gateway.url;
}

/** What a collector does on :4318, minus the work: reads each export and answers 200. */
async function startSink(): Promise<{ url: string; exports: () => number; bytes: () => number }> {
  let exports = 0;
  let bytes = 0;
  const server = createServer((req, res) => {
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('end', () => {
      exports++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref();
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, exports: () => exports, bytes: () => bytes };
}

async function compare(): Promise<void> {
  const rounds = Number(values.rounds);
  const seconds = Number(values.seconds);
  const concurrency = Number(values.concurrency);
  const sink = await startSink();
  const children: ChildProcess[] = [];
  try {
    const servers = new Map<Mode, Server>();
    for (const mode of MODES) {
      const env: NodeJS.ProcessEnv = { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '' };
      if (mode === 'on') Object.assign(env, { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_TRACES_SAMPLER: 'always_on' });
      const { child, server } = await startChild(env, values['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', join(values['cpu-prof'], mode)] : []);
      children.push(child);
      servers.set(mode, server);
    }
    const samples: ({ mode: Mode } & Sample)[] = [];
    for (let round = 1; round <= rounds; round++) {
      for (const mode of round % 2 ? MODES : [...MODES].reverse()) samples.push({ mode, ...(await load(servers.get(mode)!, concurrency, seconds)) });
      console.error(`[bench] round ${round}/${rounds} done`);
    }
    if (sink.exports() === 0) throw new Error('the traced gateway exported nothing: tracing was not on');
    const off = samples.filter((s) => s.mode === 'off');
    const on = samples.filter((s) => s.mode === 'on');
    // Time per request, on ÷ off, per round: both ran back to back under the same load.
    const ratios = on.map((s, i) => off[i]!.rps / s.rps);
    // The server's own CPU per request, on ÷ off: what tracing costs, whatever else the machine runs.
    const cpuRatios = on.map((s, i) => (s.user + s.system) / (off[i]!.user + off[i]!.system));
    // User CPU alone: the gateway's own code. System time is mostly loopback writes, whose cost swings with the machine's load.
    const userRatios = on.map((s, i) => s.user / off[i]!.user);
    console.log(`Query: model(name) { name versions(first: 3) { nodes { version stage metric(name) } } }; concurrency ${concurrency}; ${rounds} interleaved rounds of ${seconds} s; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}.`);
    console.log('');
    console.log('| tracing | req/s (median [min–max]) | p50 ms | server CPU µs/request (user + system) |');
    console.log('|---|---:|---:|---:|');
    for (const [mode, list] of [['off', off], ['on', on]] as const) {
      const rps = list.map((s) => s.rps);
      console.log(
        `| ${mode} | ${median(rps).toFixed(0)} [${Math.min(...rps).toFixed(0)}–${Math.max(...rps).toFixed(0)}] | ${median(list.map((s) => s.p50)).toFixed(2)} | ${median(list.map((s) => s.user + s.system)).toFixed(0)} (${median(list.map((s) => s.user)).toFixed(0)} + ${median(list.map((s) => s.system)).toFixed(0)}) |`,
      );
    }
    console.log('');
    console.log(`time per request, on ÷ off: median ${median(ratios).toFixed(3)} [${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)}] (target <= 1.1: ${median(ratios) <= 1.1 ? 'yes' : 'NO'})`);
    console.log(`server CPU per request, on ÷ off: median ${median(cpuRatios).toFixed(3)} [${Math.min(...cpuRatios).toFixed(3)}–${Math.max(...cpuRatios).toFixed(3)}]`);
    console.log(`server user CPU per request, on ÷ off: median ${median(userRatios).toFixed(3)} [${Math.min(...userRatios).toFixed(3)}–${Math.max(...userRatios).toFixed(3)}]; spans exported in ${sink.exports()} posts, ${(sink.bytes() / 1e6).toFixed(1)} MB`);
  } finally {
    for (const child of children) child.kill();
  }
}

interface Server {
  url: string;
  /** The server process's CPU time so far, in microseconds. */
  cpu(): Promise<Cpu>;
}

function startChild(env: NodeJS.ProcessEnv, nodeArgs: string[]): Promise<{ child: ChildProcess; server: Server }> {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', fileURLToPath(import.meta.url), '--serve'], { stdio: ['pipe', 'pipe', 'inherit'], env });
  const waiting: ((cpu: Cpu) => void)[] = [];
  const cpu = () => new Promise<Cpu>((resolve) => (waiting.push(resolve), child.stdin!.write('cpu\n')));
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('{"url"')) resolve({ child, server: { url: (JSON.parse(line) as { url: string }).url, cpu } });
      if (line.startsWith('{"cpu"')) waiting.shift()?.((JSON.parse(line) as { cpu: Cpu }).cpu);
    });
    child.once('exit', (code) => reject(new Error(`gateway exited with ${code}`)));
  });
}

async function post(pool: Pool, path: string): Promise<void> {
  const { statusCode, body } = await pool.request({ method: 'POST', path, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: QUERY, variables: { name: MODEL } }) });
  const text = await body.text();
  if (statusCode !== 200 || !text.includes('"version":"3"')) throw new Error(`HTTP ${statusCode}: ${text}`);
}

/** `concurrency` clients, each sending its next request when the last is answered, for `seconds` (after a 0.5 s warm-up). */
interface Cpu {
  user: number;
  system: number;
}

/** One round against one gateway; CPU in microseconds per request answered. */
interface Sample extends Cpu {
  rps: number;
  p50: number;
}

async function load(server: Server, concurrency: number, seconds: number): Promise<Sample> {
  const target = new URL(server.url);
  const pool = new Pool(target.origin, { connections: concurrency, pipelining: 1 });
  const latencies: number[] = [];
  let measuring = false;
  let stop = false;
  const client = async () => {
    while (!stop) {
      const started = performance.now();
      await post(pool, target.pathname);
      if (measuring) latencies.push(performance.now() - started);
    }
  };
  const clients = Array.from({ length: concurrency }, client);
  await new Promise((resolve) => setTimeout(resolve, 500));
  measuring = true;
  const cpuBefore = await server.cpu();
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  measuring = false;
  const elapsed = (performance.now() - started) / 1000;
  const cpuAfter = await server.cpu();
  const counted = latencies.length;
  stop = true;
  await Promise.all(clients);
  await pool.close();
  latencies.sort((a, b) => a - b);
  return { rps: counted / elapsed, p50: latencies[Math.floor(latencies.length / 2)] ?? Number.NaN, user: (cpuAfter.user - cpuBefore.user) / counted, system: (cpuAfter.system - cpuBefore.system) / counted };
}

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
}
