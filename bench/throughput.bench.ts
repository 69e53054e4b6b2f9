/**
 * npm run bench:throughput [-- --rounds 5 --seconds 3 --concurrency 1,10,50]
 *
 * Requests per second and latency of one small model query on three servers, each in its own
 * process, measured side by side in interleaved rounds (the machine is shared; ratios only):
 *   modelgate: the real gateway (startGateway with its config: deadlines, breakers, metrics,
 *              query limits, request logs at info to /dev/null) on the embedded registry;
 *   anchor:    a minimal Apollo Server 5, plain graphql-js schema, the same data in memory;
 *   floor:     bare node:http answering the same JSON.
 * Target: modelgate >= 0.5x the anchor at concurrency 10.
 * Each server also reports the CPU time its process spent per request (user + system, GC and
 * logging included): on a machine shared with other work, req/s partly measures the scheduler,
 * while CPU per request is the server's own cost.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { Stage } from '../src/core/index.ts';

type ServerKind = 'modelgate' | 'anchor' | 'floor';
const KINDS: ServerKind[] = ['modelgate', 'anchor', 'floor'];
const MODEL = 'ChurnPredictionModel';
const QUERY = `query ($name: String!) { model(name: $name) { name versions(first: 3) { nodes { version stage metric(name: "accuracy") } } } }`;
const VERSIONS = [
  { version: '3', stage: 'NONE', metric: 0.91 },
  { version: '2', stage: 'STAGING', metric: 0.92 },
  { version: '1', stage: 'ARCHIVED', metric: 0.88 },
];
const EXPECTED = JSON.stringify({ data: { model: { name: MODEL, versions: { nodes: VERSIONS } } } });

const { values } = parseArgs({
  options: {
    serve: { type: 'string' },
    rounds: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '1,10,50' },
  },
});

if (values.serve) {
  // Exit cleanly on kill, so `node --cpu-prof` can write its profile.
  process.on('SIGTERM', () => process.exit(0));
  const url = await serve(values.serve as ServerKind);
  console.log(JSON.stringify({ url }));
  // Each line on stdin asks for the CPU time used so far (microseconds).
  createInterface({ input: process.stdin }).on('line', () => {
    const { user, system } = process.cpuUsage();
    console.log(JSON.stringify({ cpu: user + system }));
  });
} else {
  await compare();
}

async function serve(kind: ServerKind): Promise<string> {
  if (kind === 'floor') return serveFloor();
  if (kind === 'anchor') return serveAnchor();
  return serveModelgate();
}

async function serveModelgate(): Promise<string> {
  const { pino } = await import('pino');
  const { resolveConfig } = await import('../src/server/config.ts');
  const { startGateway } = await import('../src/server/gateway.ts');
  const dir = mkdtempSync(join(tmpdir(), 'modelgate-throughput-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  // The real server: registries built from config, so every wrapper is on; logs at info, written and discarded.
  const log = pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: false }));
  const gateway = await startGateway(resolveConfig({ server: { port: 0 } }, { dataDir: dir }), { log });
  const registry = gateway.registries.get();
  await registry.createModel({ name: MODEL, description: 'benchmark', tags: { team: 'growth' } });
  for (const { metric } of [...VERSIONS].reverse()) {
    await registry.createVersion({ name: MODEL, source: 's3://bench/model', tags: { framework: 'sklearn' }, metrics: { accuracy: metric, f1: 0.8 }, params: { alpha: '1' } });
  }
  await registry.setStage({ name: MODEL, version: '2' }, Stage.STAGING);
  await registry.setStage({ name: MODEL, version: '1' }, Stage.ARCHIVED);
  await registry.setAlias(MODEL, 'champion', '2');
  return gateway.url;
}

async function serveAnchor(): Promise<string> {
  const { ApolloServer } = await import('@apollo/server');
  const { startStandaloneServer } = await import('@apollo/server/standalone');
  const { buildSchema } = await import('graphql');
  const schema = buildSchema(`
    type Query { model(name: String!): Model }
    type Model { name: String! versions(first: Int): VersionConnection! }
    type VersionConnection { nodes: [Version!]! }
    type Version { version: String! stage: String! metric(name: String!): Float }
  `);
  const rootValue = {
    model: ({ name }: { name: string }) =>
      name === MODEL
        ? { name, versions: ({ first }: { first: number }) => ({ nodes: VERSIONS.slice(0, first).map((v) => ({ ...v, metric: () => v.metric })) }) }
        : null,
  };
  const server = new ApolloServer({ schema, rootValue });
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } });
  return url;
}

function serveFloor(): Promise<string> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      // Parse what a GraphQL server must parse, answer what it would answer.
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { variables?: { name?: string } };
      const payload = body.variables?.name === MODEL ? EXPECTED : '{"data":{"model":null}}';
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(payload);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as { port: number }).port}/graphql`)));
}

interface Sample {
  kind: ServerKind;
  concurrency: number;
  rps: number;
  p50: number;
  p99: number;
  /** Server CPU microseconds per request answered. */
  cpu: number;
}

interface Child {
  url: string;
  /** The server process's CPU time so far, in microseconds. */
  cpu(): Promise<number>;
}

async function compare(): Promise<void> {
  const rounds = Number(values.rounds);
  const seconds = Number(values.seconds);
  const levels = values.concurrency!.split(',').map(Number);
  const children: ChildProcess[] = [];
  try {
    const servers = new Map<ServerKind, Child>();
    for (const kind of KINDS) {
      const { child, server } = await startChild(kind);
      const { url } = server;
      children.push(child);
      servers.set(kind, server);
      const answer = await post(new Pool(new URL(url).origin, { connections: 1 }), new URL(url).pathname);
      if (JSON.stringify(JSON.parse(answer)) !== EXPECTED) throw new Error(`${kind} answered ${answer}, expected ${EXPECTED}`);
    }
    const samples: Sample[] = [];
    for (let round = 1; round <= rounds; round++) {
      for (const concurrency of levels) {
        // A different order each round, so no server always runs right after another.
        for (const kind of rotate(KINDS, round)) {
          samples.push({ kind, concurrency, ...(await load(servers.get(kind)!, concurrency, seconds)) });
        }
      }
      console.error(`[bench] round ${round}/${rounds} done`);
    }
    printTable(samples, levels, rounds, seconds);
  } finally {
    for (const child of children) child.kill();
  }
}

function startChild(kind: ServerKind): Promise<{ child: ChildProcess; server: Child }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--serve', kind], { stdio: ['pipe', 'pipe', 'inherit'] });
  const waiting: ((cpu: number) => void)[] = [];
  const cpu = () => new Promise<number>((resolve) => (waiting.push(resolve), child.stdin!.write('cpu\n')));
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('{"url"')) resolve({ child, server: { url: (JSON.parse(line) as { url: string }).url, cpu } });
      if (line.startsWith('{"cpu"')) waiting.shift()?.((JSON.parse(line) as { cpu: number }).cpu);
    });
    child.once('exit', (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
}

async function post(pool: Pool, path: string): Promise<string> {
  const { statusCode, body } = await pool.request({
    method: 'POST',
    path,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: QUERY, variables: { name: MODEL } }),
  });
  const text = await body.text();
  if (statusCode !== 200) throw new Error(`HTTP ${statusCode}: ${text}`);
  return text;
}

/** `concurrency` clients, each sending its next request when the last is answered, for `seconds` (after a 0.5 s warm-up). */
async function load(server: Child, concurrency: number, seconds: number): Promise<Omit<Sample, 'kind' | 'concurrency'>> {
  const target = new URL(server.url);
  const pool = new Pool(target.origin, { connections: concurrency, pipelining: 1 });
  const latencies: number[] = [];
  let measuring = false;
  let stop = false;
  let answered = 0;
  const client = async () => {
    while (!stop) {
      const started = performance.now();
      await post(pool, target.pathname);
      answered++;
      if (measuring) latencies.push(performance.now() - started);
    }
  };
  const clients = Array.from({ length: concurrency }, client);
  await new Promise((resolve) => setTimeout(resolve, 500));
  measuring = true;
  const cpuBefore = await server.cpu();
  const answeredBefore = answered;
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  measuring = false;
  const elapsed = (performance.now() - started) / 1000;
  const cpuUsed = (await server.cpu()) - cpuBefore;
  const counted = answered - answeredBefore;
  stop = true;
  await Promise.all(clients);
  await pool.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
  return { rps: latencies.length / elapsed, p50: at(0.5), p99: at(0.99), cpu: cpuUsed / counted };
}

function rotate<T>(list: readonly T[], by: number): T[] {
  return list.map((_, i) => list[(i + by) % list.length]!);
}

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
}

function printTable(samples: Sample[], levels: number[], rounds: number, seconds: number): void {
  const pick = (kind: ServerKind, concurrency: number) => samples.filter((s) => s.kind === kind && s.concurrency === concurrency);
  console.log(`Query: model(name) { name versions(first: 3) { nodes { version stage metric(name) } } }; ${rounds} interleaved rounds of ${seconds} s per server and concurrency; medians, [min–max] over rounds.`);
  console.log('');
  console.log('| concurrency | server | req/s | p50 ms | p99 ms | req/s ÷ anchor (per round) | target | CPU µs/request | anchor CPU ÷ server CPU (per round) |');
  console.log('|---:|---|---:|---:|---:|---:|---|---:|---:|');
  for (const concurrency of levels) {
    const anchor = pick('anchor', concurrency);
    for (const kind of KINDS) {
      const mine = pick(kind, concurrency);
      // Ratio per round: the servers of one round ran minutes apart at most, under the same load.
      const ratios = mine.map((s, i) => s.rps / anchor[i]!.rps);
      const target = kind === 'modelgate' && concurrency === 10 ? `>= 0.5 ${median(ratios) >= 0.5 ? 'yes' : 'NO'}` : '';
      // The same comparison by cost: what the anchor spends per request over what this server spends.
      const cpuRatios = mine.map((s, i) => anchor[i]!.cpu / s.cpu);
      console.log(
        `| ${concurrency} | ${kind} | ${median(mine.map((s) => s.rps)).toFixed(0)} [${Math.min(...mine.map((s) => s.rps)).toFixed(0)}–${Math.max(...mine.map((s) => s.rps)).toFixed(0)}] | ` +
          `${median(mine.map((s) => s.p50)).toFixed(2)} | ${median(mine.map((s) => s.p99)).toFixed(2)} | ` +
          `${median(ratios).toFixed(2)} [${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}] | ${target} | ` +
          `${median(mine.map((s) => s.cpu)).toFixed(0)} | ${median(cpuRatios).toFixed(2)} [${Math.min(...cpuRatios).toFixed(2)}–${Math.max(...cpuRatios).toFixed(2)}] |`,
      );
    }
  }
}
