/**
 * npm run bench:tracing [-- --rounds 6 --seconds 3 --warmup 5 --concurrency 10 --cpu-prof DIR --split --ratio R --against DIR]
 *
 * The cost of tracing on one small model query: two real gateways (startGateway with its config,
 * embedded registry, logs at info to /dev/null), each in its own process, one without OTEL_*
 * variables (tracing off) and one exporting every span over OTLP/HTTP to a local sink in this
 * process (tracing on, sampler always_on). Measured side by side in interleaved rounds (the machine
 * is shared; ratios only), after every gateway has first served --warmup seconds unmeasured (JIT and
 * caches warm on both sides, so round 1 does not charge one side for compiling). Target: time per
 * request with tracing on <= 1.1x off.
 *
 * --split adds two gateways that split what tracing costs: `unsampled` (sampler always_off: our
 * instrumentation with non-recording spans) and `unexported` (every span recorded and ended, then
 * dropped by the span processor: nothing handed to the export thread, no batching, encoding or posting)
 * and `cloned` (spans handed over as usual, serialised for the export thread, which never gets them: the
 * request thread's whole share of exporting without the export thread's work beside it).
 * --ratio R adds `sampled`: tracing on with the sampler most deployments run under load, a ratio R of
 * traces recorded (parentbased_traceidratio), the others propagated with non-recording spans.
 * --against DIR adds `before`: tracing on in another checkout's gateway (DIR/src, built beside its own
 * node_modules), interleaved with the others: before and after under the same load.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';

type Mode = 'off' | 'on' | 'unsampled' | 'unexported' | 'cloned' | 'sampled' | 'before';
const MODEL = 'ChurnPredictionModel';
const QUERY = `query Catalog($name: String!) { model(name: $name) { name versions(first: 3) { nodes { version stage metric(name: "accuracy") } } } }`;

const { values } = parseArgs({
  options: {
    serve: { type: 'boolean', default: false },
    rounds: { type: 'string', default: '6' },
    seconds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '10' },
    // Writes each gateway's CPU profiles (node --cpu-prof, one per thread) into DIR/off and DIR/on.
    'cpu-prof': { type: 'string' },
    split: { type: 'boolean', default: false },
    ratio: { type: 'string' },
    against: { type: 'string' },
    // With --serve: the checkout whose gateway to run (default: this one).
    root: { type: 'string' },
  },
});

if (values.serve) {
  // Exit cleanly on kill, so `node --cpu-prof` can write its profile.
  process.on('SIGTERM', () => process.exit(0));
  console.log(JSON.stringify({ url: await serve() }));
  // Each line on stdin asks for the CPU time used so far (microseconds), exporting included; under callgrind, `instr on|off` switches counting.
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line.startsWith('instr ')) {
      execFileSync('callgrind_control', ['--instr=' + line.slice(6), String(process.pid)], { stdio: 'ignore' });
      return console.log(JSON.stringify({ instr: line.slice(6) }));
    }
    const { user, system } = process.cpuUsage();
    console.log(JSON.stringify({ cpu: { user, system, main: mainThreadCpu() } }));
  });
} else {
  await compare();
}

/** The main thread's CPU time so far (µs; Linux's schedstat, else NaN): the event loop that answers requests, without the export thread. */
function mainThreadCpu(): number {
  try {
    return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1000;
  } catch {
    return Number.NaN;
  }
}

async function serve(): Promise<string> {
  const { pino } = await import('pino');
  const root = values.root ? pathToFileURL(`${values.root}/`).href : new URL('../', import.meta.url).href;
  const { resolveConfig } = (await import(`${root}src/server/config.ts`)) as typeof import('../src/server/config.ts');
  const { startGateway } = (await import(`${root}src/server/gateway.ts`)) as typeof import('../src/server/gateway.ts');
  if (process.env.BENCH_DROP_SPANS) {
    // The `unexported` arm: spans are recorded and ended as usual, then the span processor drops them (same module instance as the gateway's).
    const { ExportThreadProcessor } = await import('../src/server/span-export.ts');
    ExportThreadProcessor.prototype.onEnd = () => undefined;
  }
  if (process.env.BENCH_CLONE_ONLY) {
    // The `cloned` arm: spans are laid out and serialised for the export thread as usual, which then never gets them (no decoding, encoding or posting over there).
    const { ExportThreadProcessor } = await import('../src/server/span-export.ts');
    const proto = ExportThreadProcessor.prototype as unknown as { send(message: { count?: number }): void; handedOver: number };
    proto.send = function (this: { handedOver: number }, message: { count?: number }) {
      structuredClone(message);
      if (message.count) this.handedOver -= message.count;
    };
  }
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
  const modes: Mode[] = [...(values.split ? (['off', 'on', 'unsampled', 'unexported', 'cloned'] as const) : (['off', 'on'] as const)), ...(values.ratio ? (['sampled'] as const) : []), ...(values.against ? (['before'] as const) : [])];
  const rounds = Number(values.rounds);
  const seconds = Number(values.seconds);
  const concurrency = Number(values.concurrency);
  const sink = await startSink();
  const children: ChildProcess[] = [];
  try {
    const servers = new Map<Mode, Server>();
    for (const mode of modes) {
      const env: NodeJS.ProcessEnv = { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '', BENCH_DROP_SPANS: '', BENCH_CLONE_ONLY: '' };
      if (mode !== 'off') Object.assign(env, { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_TRACES_SAMPLER: mode === 'unsampled' ? 'always_off' : 'always_on' });
      if (mode === 'unexported') env.BENCH_DROP_SPANS = '1';
      if (mode === 'cloned') env.BENCH_CLONE_ONLY = '1';
      if (mode === 'sampled') Object.assign(env, { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: values.ratio });
      const { child, server } = await startChild(env, values['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', join(values['cpu-prof'], mode)] : [], mode === 'before' ? values.against : undefined);
      children.push(child);
      servers.set(mode, server);
    }
    for (const mode of modes) await load(servers.get(mode)!, concurrency, Number(values.warmup));
    console.error(`[bench] warm-up done (${values.warmup} s per gateway)`);
    const samples: ({ mode: Mode } & Sample)[] = [];
    for (let round = 1; round <= rounds; round++) {
      for (const mode of round % 2 ? modes : [...modes].reverse()) samples.push({ mode, ...(await load(servers.get(mode)!, concurrency, seconds)) });
      const last = samples.slice(-modes.length).sort((a, b) => modes.indexOf(a.mode) - modes.indexOf(b.mode));
      console.error(`[bench] round ${round}/${rounds}: ${last.map((s) => `${s.mode} ${s.rps.toFixed(0)} req/s, main ${s.main.toFixed(0)} µs`).join('; ')}`);
    }
    if (sink.exports() === 0) throw new Error('the traced gateway exported nothing: tracing was not on');
    const off = samples.filter((s) => s.mode === 'off');
    const cpu = (s: Sample) => s.user + s.system;
    console.log(`Query: model(name) { name versions(first: 3) { nodes { version stage metric(name) } } }; concurrency ${concurrency}; ${rounds} interleaved rounds of ${seconds} s; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}.`);
    console.log('');
    console.log('| tracing | req/s (median [min–max]) | p50 ms | server CPU µs/request (user + system) | CPU added per request, µs (median of rounds) | main thread CPU µs/request (added) |');
    console.log('|---|---:|---:|---:|---:|---:|');
    for (const mode of modes) {
      const list = samples.filter((s) => s.mode === mode);
      const rps = list.map((s) => s.rps);
      const added = mode === 'off' ? '' : `+${median(list.map((s, i) => cpu(s) - cpu(off[i]!))).toFixed(0)}`;
      const main = `${median(list.map((s) => s.main)).toFixed(0)}${mode === 'off' ? '' : ` (+${median(list.map((s, i) => s.main - off[i]!.main)).toFixed(0)})`}`;
      console.log(
        `| ${mode} | ${median(rps).toFixed(0)} [${Math.min(...rps).toFixed(0)}–${Math.max(...rps).toFixed(0)}] | ${median(list.map((s) => s.p50)).toFixed(2)} | ${median(list.map(cpu)).toFixed(0)} (${median(list.map((s) => s.user)).toFixed(0)} + ${median(list.map((s) => s.system)).toFixed(0)}) | ${added} | ${main} |`,
      );
    }
    console.log('');
    for (const mode of modes.filter((m) => m !== 'off')) {
      const on = samples.filter((s) => s.mode === mode);
      // Time per request, on ÷ off, per round: both ran back to back under the same load.
      const ratios = on.map((s, i) => off[i]!.rps / s.rps);
      // The server's own CPU per request, on ÷ off: what tracing costs, whatever else the machine runs.
      const cpuRatios = on.map((s, i) => cpu(s) / cpu(off[i]!));
      // User CPU alone: the gateway's own code. System time is mostly loopback writes, whose cost swings with the machine's load.
      const userRatios = on.map((s, i) => s.user / off[i]!.user);
      // The main thread alone: the event loop every request waits for (the export thread works beside it).
      const mainRatios = on.map((s, i) => s.main / off[i]!.main);
      const target = mode === 'on' ? ` (target <= 1.1: ${median(ratios) <= 1.1 ? 'yes' : 'NO'})` : '';
      console.log(`${mode}: time per request, ${mode} ÷ off: median ${median(ratios).toFixed(3)} [${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)}]${target}`);
      console.log(`${mode}: server CPU per request, ${mode} ÷ off: median ${median(cpuRatios).toFixed(3)} [${Math.min(...cpuRatios).toFixed(3)}–${Math.max(...cpuRatios).toFixed(3)}]`);
      console.log(`${mode}: server user CPU per request, ${mode} ÷ off: median ${median(userRatios).toFixed(3)} [${Math.min(...userRatios).toFixed(3)}–${Math.max(...userRatios).toFixed(3)}]`);
      console.log(`${mode}: main thread CPU per request, ${mode} ÷ off: median ${median(mainRatios).toFixed(3)} [${Math.min(...mainRatios).toFixed(3)}–${Math.max(...mainRatios).toFixed(3)}]`);
    }
    console.log(`spans exported in ${sink.exports()} posts, ${(sink.bytes() / 1e6).toFixed(1)} MB`);
  } finally {
    for (const child of children) child.kill();
  }
}

interface Server {
  url: string;
  /** The server process's CPU time so far, in microseconds. */
  cpu(): Promise<Cpu>;
}

function startChild(env: NodeJS.ProcessEnv, nodeArgs: string[], root?: string): Promise<{ child: ChildProcess; server: Server }> {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', fileURLToPath(import.meta.url), '--serve', ...(root ? ['--root', root] : [])], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env,
    // tsx compiles with the tsconfig where it runs (decorators): the other checkout's own.
    cwd: root ?? process.cwd(),
  });
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

interface Cpu {
  /** The main thread alone (µs). */
  main: number;
  user: number;
  system: number;
}

/** One round against one gateway; CPU in microseconds per request answered. */
interface Sample extends Cpu {
  rps: number;
  p50: number;
}

/** `concurrency` clients, each sending its next request when the last is answered, for `seconds` (after a 0.5 s settle). */
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
  return { rps: counted / elapsed, p50: latencies[Math.floor(latencies.length / 2)] ?? Number.NaN, user: (cpuAfter.user - cpuBefore.user) / counted, system: (cpuAfter.system - cpuBefore.system) / counted, main: (cpuAfter.main - cpuBefore.main) / counted };
}

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
}
