/**
 * npm run bench:tracing-instructions [-- --warmup 4000 --requests 600 --concurrency 10 --split --keep DIR]
 *
 * What tracing costs one small query, counted in instructions instead of time: on a shared machine
 * the wall clock moves by ±10% between rounds, while instruction counts move by about 1%. Each
 * gateway of `bench:tracing` (tracing off; on, every span exported to a local sink; with --split,
 * unsampled and unexported too) runs under valgrind's callgrind, in its own process. The load comes
 * from this process, outside valgrind. Each gateway answers --warmup requests uncounted (JIT and
 * caches settle), then --requests counted. Reported per request: the gateway's main thread, which
 * answers every request and is the bottleneck, and all its threads together (the export thread,
 * V8's compiler and GC helpers). The two tracing-on gateways run side by side, one per CPU.
 * --keep DIR keeps callgrind's files there (one per thread; `callgrind_annotate DIR/on.out-01`).
 * Needs valgrind (apt-get install -y valgrind).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import { Pool } from 'undici';

type Mode = 'off' | 'on' | 'unsampled' | 'unexported';
const MODEL = 'ChurnPredictionModel';
const QUERY = `query Catalog($name: String!) { model(name: $name) { name versions(first: 3) { nodes { version stage metric(name: "accuracy") } } } }`;

const { values } = parseArgs({
  options: {
    warmup: { type: 'string', default: '4000' },
    requests: { type: 'string', default: '600' },
    concurrency: { type: 'string', default: '10' },
    split: { type: 'boolean', default: false },
    keep: { type: 'string' },
  },
});

const modes: Mode[] = values.split ? ['off', 'on', 'unsampled', 'unexported'] : ['off', 'on'];
const warmup = Number(values.warmup);
const requests = Number(values.requests);
const concurrency = Number(values.concurrency);
const out = values.keep ? (mkdirSync(values.keep, { recursive: true }), values.keep) : mkdtempSync(join(tmpdir(), 'modelgate-tracing-callgrind-'));
const sink = await startSink();
const counts = new Map<Mode, { main: number; all: number }>();
try {
  // Two at a time: valgrind runs a process's threads on one CPU, and this machine has two.
  for (let i = 0; i < modes.length; i += 2) await Promise.all(modes.slice(i, i + 2).map(async (mode) => counts.set(mode, await measure(mode))));
} finally {
  if (!values.keep) rmSync(out, { recursive: true, force: true });
}

const off = counts.get('off')!;
console.log(`Query: model(name) { name versions(first: 3) { nodes { version stage metric(name) } } }; concurrency ${concurrency}; ${warmup} requests uncounted, then ${requests} counted, each gateway under callgrind.`);
console.log('');
console.log('| tracing | main thread, instructions/request | added | ÷ off | all threads, instructions/request | added | ÷ off |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const mode of modes) {
  const { main, all } = counts.get(mode)!;
  const added = (value: number, base: number) => (mode === 'off' ? '' : `+${((value - base) / 1000).toFixed(0)}k`);
  const ratio = (value: number, base: number) => (mode === 'off' ? '' : (value / base).toFixed(3));
  console.log(`| ${mode} | ${(main / 1000).toFixed(0)}k | ${added(main, off.main)} | ${ratio(main, off.main)} | ${(all / 1000).toFixed(0)}k | ${added(all, off.all)} | ${ratio(all, off.all)} |`);
}
const on = counts.get('on')!;
console.log('');
console.log(`on: main thread instructions per request, on ÷ off: ${(on.main / off.main).toFixed(3)} (target <= 1.1: ${on.main / off.main <= 1.1 ? 'yes' : 'NO'})`);

/** One gateway under callgrind: warm it, count `requests`, stop it, read its per-thread totals. */
async function measure(mode: Mode): Promise<{ main: number; all: number }> {
  const env: NodeJS.ProcessEnv = { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '', BENCH_DROP_SPANS: '', BENCH_CLONE_ONLY: '' };
  if (mode !== 'off') Object.assign(env, { OTEL_EXPORTER_OTLP_ENDPOINT: sink, OTEL_TRACES_SAMPLER: mode === 'unsampled' ? 'always_off' : 'always_on' });
  if (mode === 'unexported') env.BENCH_DROP_SPANS = '1';
  const prefix = join(out, `${mode}.out`);
  // A kept directory's earlier files for this gateway would be counted again.
  for (const file of readdirSync(out).filter((f) => f.startsWith(`${mode}.out`))) rmSync(join(out, file));
  const child = spawn(
    'valgrind',
    ['--tool=callgrind', '--instr-atstart=no', '--separate-threads=yes', `--callgrind-out-file=${prefix}`, process.execPath, '--import', 'tsx', fileURLToPath(new URL('./tracing.bench.ts', import.meta.url)), '--serve'],
    { stdio: ['pipe', 'pipe', 'ignore'], env },
  );
  const lines = listen(child);
  const url = new URL((JSON.parse(await lines('{"url"')) as { url: string }).url);
  await load(url, warmup);
  child.stdin!.write('instr on\n');
  await lines('{"instr"');
  await load(url, requests);
  child.stdin!.write('instr off\n');
  await lines('{"instr"');
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
  // One file per thread, `<prefix>-NN`; thread 1 is the main thread.
  const totals = readdirSync(out)
    .filter((file) => file.startsWith(`${mode}.out-`))
    .map((file) => ({ thread: Number(file.slice(file.lastIndexOf('-') + 1)), total: Number(/^totals: (\d+)/m.exec(readFileSync(join(out, file), 'utf8'))?.[1] ?? 0) }));
  const main = totals.find((t) => t.thread === 1)?.total;
  if (!main) throw new Error(`callgrind counted nothing for ${mode} (is valgrind installed?)`);
  console.error(`[bench] ${mode}: ${totals.length} threads counted`);
  return { main: main / requests, all: totals.reduce((sum, t) => sum + t.total, 0) / requests };
}

/** Waits for the child's next stdout line starting with `prefix`. */
function listen(child: ChildProcess): (prefix: string) => Promise<string> {
  const waiting: { prefix: string; resolve: (line: string) => void; reject: (error: Error) => void }[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const index = waiting.findIndex((w) => line.startsWith(w.prefix));
    if (index >= 0) waiting.splice(index, 1)[0]!.resolve(line);
  });
  child.once('exit', (code) => waiting.splice(0).forEach((w) => w.reject(new Error(`gateway exited with ${code}`))));
  return (prefix) => new Promise((resolve, reject) => waiting.push({ prefix, resolve, reject }));
}

/** `count` requests from `concurrency` clients, each sending its next when the last is answered. */
async function load(url: URL, count: number): Promise<void> {
  const pool = new Pool(url.origin, { connections: concurrency, pipelining: 1 });
  const body = JSON.stringify({ query: QUERY, variables: { name: MODEL } });
  let left = count;
  const client = async () => {
    while (left-- > 0) {
      const { statusCode, body: answer } = await pool.request({ method: 'POST', path: url.pathname, headers: { 'content-type': 'application/json' }, body });
      const text = await answer.text();
      if (statusCode !== 200 || !text.includes('"version":"3"')) throw new Error(`HTTP ${statusCode}: ${text}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  await pool.close();
}

/** What a collector does on :4318, minus the work. */
async function startSink(): Promise<string> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref();
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}
