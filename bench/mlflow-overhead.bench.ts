/**
 * npm run bench:mlflow-overhead [-- --rounds 10 --iterations 20 --delays 0,8 --spin --profile gateway.cpuprofile --profile-shape one|page]
 *
 * What the gateway itself adds to an MLflow read, without MLflow's own time and noise: the real
 * MLflow server's answers are recorded once and replayed from memory by separate processes
 * (bench/support/mlflow-replay.mjs), one per `--delays` entry: 0 answers at once, 8 answers each
 * read after 8 ms of idling (`--spin`: of busy CPU), about what the real MLflow takes. Three
 * clients read through each replay, in rotating order within each round, undici Pools with
 * keep-alive from this process:
 *   direct REST: the best direct client (model-versions/get + runs/get; search + batched runs/search);
 *   node:http proxy: the floor of any Node gateway, a bare node:http server in this process that
 *     takes the POST, makes the direct client's requests and answers their JSON;
 *   modelgate: the real gateway from config (every wrapper on), GraphQL.
 * Printed per delay and query shape: each side's wall p50, what the proxy and modelgate add over
 * direct (median of the rounds' differences of medians) and this process's CPU per request
 * (client plus proxy or gateway). The delayed rows show what the idle wait does to the same code:
 * after each wait the process runs cold (caches, branch predictors), so every side's CPU grows,
 * and the side with the most code per wait grows most. `--profile FILE` then writes a CPU profile
 * (inspector) of 15 s of GraphQL requests of one shape on the first delay.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { Pool } from 'undici';
import { MlflowRegistry } from '../adapters/mlflow/index.ts';
import { enforceInputRules } from '../src/core/index.ts';
import { resolveConfig } from '../src/server/config.ts';
import { startGateway } from '../src/server/gateway.ts';
import { startMlflowServer } from '../test/support/peers/mlflow-server.ts';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '10' },
    iterations: { type: 'string', default: '20' },
    delays: { type: 'string', default: '0,8' },
    spin: { type: 'boolean', default: false },
    profile: { type: 'string' },
    'profile-shape': { type: 'string', default: 'page' },
  },
});
const rounds = Number(values.rounds);
const iterations = Number(values.iterations);
const delays = values.delays!.split(',').map(Number);
const MODEL = 'BenchOverheadModel';
const VERSIONS = 50;
const SIDES = ['direct REST', 'node:http proxy', 'modelgate'] as const;
type Side = (typeof SIDES)[number];
const api = '/api/2.0/mlflow/';
const oneQuery = `query ($name: String!) { modelVersion(name: $name, version: "25") { version stage metrics { key value } } }`;
const pageQuery = `query ($name: String!, $first: Int!) { model(name: $name) { versions(first: $first) { nodes { version stage metrics { key value } } } } }`;

const server = await startMlflowServer();
const replays: ChildProcess[] = [];
const gateways: Awaited<ReturnType<typeof startGateway>>[] = [];
const proxies: Server[] = [];
try {
  const seeder = enforceInputRules(new MlflowRegistry({ id: 'mlflow', trackingUri: server.url }));
  await seeder.createModel({ name: MODEL });
  for (let v = 1; v <= VERSIONS; v++) {
    await seeder.createVersion({ name: MODEL, source: `s3://bench/${v}`, metrics: { accuracy: 0.8 + v / 1000, f1_score: 0.7, precision: 0.75, recall: 0.72, auc: 0.9 } });
  }
  await seeder.close?.();

  const setups = [];
  for (const delay of delays) setups.push({ delay, shapes: await setUp(delay) });
  for (const { shapes } of setups) for (let i = 0; i < 30; i++) for (const shape of Object.values(shapes)) for (const side of SIDES) await shape[side](); // warm-up: JIT, connections, the replays' memory

  type Entry = { walls: Record<Side, number[]>; added: Record<Side, number[]>; cpu: Record<Side, number> };
  const results = new Map<string, Entry>();
  for (let round = 0; round < rounds; round++) {
    for (const { delay, shapes } of setups) {
      for (const [name, shape] of Object.entries(shapes)) {
        const key = `${delay} ms | ${name}`;
        const entry = results.get(key) ?? { walls: blank(() => []), added: blank(() => []), cpu: blank(() => 0) };
        results.set(key, entry);
        const walls = blank<number[]>(() => []);
        for (let i = 0; i < SIDES.length; i++) {
          const side = SIDES[(i + round) % SIDES.length]!;
          const cpu = process.cpuUsage();
          for (let n = 0; n < iterations; n++) {
            const started = performance.now();
            await shape[side]();
            walls[side].push(performance.now() - started);
          }
          const used = process.cpuUsage(cpu);
          entry.cpu[side] += (used.user + used.system) / 1000;
        }
        for (const side of SIDES) {
          entry.walls[side].push(...walls[side]);
          entry.added[side].push(median(walls[side]) - median(walls['direct REST']));
        }
      }
    }
  }
  console.log(`MLflow answers replayed from memory after each delay (${values.spin ? 'busy' : 'idle'}); ${rounds} rounds x ${iterations} requests per side; wall ms.`);
  console.log('');
  console.log('| delay | query | direct p50 | proxy p50 | modelgate p50 | proxy adds [min–max] | modelgate adds [min–max] | modelgate ÷ direct | CPU ms/req direct | proxy | modelgate |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const [key, entry] of results) {
    const perRequest = (side: Side) => (entry.cpu[side] / (rounds * iterations)).toFixed(3);
    const adds = (side: Side) => {
      const sorted = [...entry.added[side]].sort((a, b) => a - b);
      return `${median(sorted).toFixed(3)} [${sorted[0]!.toFixed(2)}–${sorted.at(-1)!.toFixed(2)}]`;
    };
    const p50 = (side: Side) => median(entry.walls[side]);
    console.log(
      `| ${key} | ${p50('direct REST').toFixed(3)} | ${p50('node:http proxy').toFixed(3)} | ${p50('modelgate').toFixed(3)} | ${adds('node:http proxy')} | ${adds('modelgate')} | ${(p50('modelgate') / p50('direct REST')).toFixed(2)}x | ${perRequest('direct REST')} | ${perRequest('node:http proxy')} | ${perRequest('modelgate')} |`,
    );
  }
  if (values.profile) {
    const { Session } = await import('node:inspector/promises');
    const session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
    const shape = Object.values(setups[0]!.shapes)[values['profile-shape'] === 'one' ? 0 : 1]!;
    const started = performance.now();
    let requests = 0;
    while (performance.now() - started < 15_000) (await shape.modelgate(), requests++);
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(values.profile, JSON.stringify(profile));
    console.log(`\nCPU profile of ${requests} GraphQL ${values['profile-shape']} requests: ${values.profile}`);
  }
} finally {
  for (const gateway of gateways) await gateway.stop();
  for (const proxy of proxies) proxy.close();
  for (const replay of replays) replay.kill();
  await server.stop();
}

/** A replay answering after `delay` ms, the gateway and the proxy in front of it, and each query shape as the three sides read it. */
async function setUp(delay: number): Promise<Record<string, Record<Side, () => Promise<unknown>>>> {
  const replay = spawn(process.execPath, [fileURLToPath(new URL('./support/mlflow-replay.mjs', import.meta.url)), server.url, String(delay), values.spin ? 'spin' : 'sleep'], { stdio: ['ignore', 'pipe', 'inherit'] });
  replays.push(replay);
  const { value: listening } = await createInterface({ input: replay.stdout! })[Symbol.asyncIterator]().next();
  const replayUrl = `http://127.0.0.1:${String(listening).split(' ')[1]}`;
  const gateway = await startGateway(
    resolveConfig({ server: { port: 0 }, registries: [{ id: 'mlflow', kind: 'mlflow', trackingUri: replayUrl }] } as never, { dataDir: mkdtempSync(join(tmpdir(), 'modelgate-overhead-bench-')) }),
    { log: pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: false })) },
  );
  gateways.push(gateway);
  const mlflowPool = new Pool(replayUrl, { connections: 8 });
  const get = async (path: string, query: Record<string, string>) => (await (await mlflowPool.request({ method: 'GET', path: `${api}${path}?${new URLSearchParams(query)}` })).body.json()) as any;
  const post = async (path: string, payload: unknown) =>
    (await (await mlflowPool.request({ method: 'POST', path: `${api}${path}`, headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) })).body.json()) as any;
  const experiments = ((await post('experiments/search', { max_results: 1000 })).experiments as { experiment_id: string }[]).map((e) => e.experiment_id);
  const direct = {
    one: async () => {
      const { model_version } = await get('model-versions/get', { name: MODEL, version: '25' });
      return get('runs/get', { run_id: model_version.run_id });
    },
    page: async () => {
      const { model_versions } = await get('model-versions/search', { filter: `name = '${MODEL}'`, order_by: 'version_number DESC', max_results: String(VERSIONS) });
      const ids = (model_versions as { run_id: string }[]).map((v) => `'${v.run_id}'`);
      return post('runs/search', { experiment_ids: experiments, filter: `attributes.run_id IN (${ids.join(', ')})`, max_results: VERSIONS });
    },
  };
  // The floor of a Node gateway: read the POST, make the direct client's requests, answer their JSON.
  const proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const { query } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { query: string };
      (query === oneQuery ? direct.one() : direct.page()).then((data) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data })));
    });
  });
  proxies.push(proxy);
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const through = (url: string) => {
    const pool = new Pool(new URL(url).origin, { connections: 8 });
    const path = new URL(url).pathname;
    return async (query: string, variables: Record<string, unknown>) => {
      const { body } = await pool.request({ method: 'POST', path, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
      const answer = (await body.json()) as { data?: any; errors?: unknown };
      if (answer.errors) throw new Error(JSON.stringify(answer.errors));
      return answer.data;
    };
  };
  const viaGateway = through(gateway.url);
  const viaProxy = through(`http://127.0.0.1:${(proxy.address() as { port: number }).port}/`);
  return {
    'one version (stage, metrics)': {
      'direct REST': direct.one,
      'node:http proxy': () => viaProxy(oneQuery, { name: MODEL }),
      modelgate: () => viaGateway(oneQuery, { name: MODEL }),
    },
    [`page of ${VERSIONS} (stage, metrics)`]: {
      'direct REST': direct.page,
      'node:http proxy': () => viaProxy(pageQuery, { name: MODEL, first: VERSIONS }),
      modelgate: () => viaGateway(pageQuery, { name: MODEL, first: VERSIONS }),
    },
  };
}

function blank<T>(make: () => T): Record<Side, T> {
  return Object.fromEntries(SIDES.map((side) => [side, make()])) as Record<Side, T>;
}

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
}
