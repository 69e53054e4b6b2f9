/**
 * npm run bench:mlflow-overhead [-- --rounds 20 --iterations 50 --profile gateway.cpuprofile]
 *
 * What the gateway itself adds to an MLflow read, without MLflow's own time and noise: the real
 * MLflow server's answers are recorded once and replayed from memory by a separate process
 * (bench/support/mlflow-replay.mjs), and the best direct REST client and the real gateway (from
 * config, every wrapper on) read through it. Both sides use undici Pools with keep-alive from
 * this process; rounds alternate which side goes first. Printed per query shape: wall p50 of each
 * side, the gateway's added ms (median of the rounds' differences of medians) and this process's
 * CPU per request (on the GraphQL side it includes the gateway). `--profile FILE` then writes a
 * CPU profile (inspector) of 15 s of GraphQL page requests: the gateway and its client.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
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
  options: { rounds: { type: 'string', default: '20' }, iterations: { type: 'string', default: '50' }, profile: { type: 'string' } },
});
const rounds = Number(values.rounds);
const iterations = Number(values.iterations);
const MODEL = 'BenchOverheadModel';
const VERSIONS = 50;

const server = await startMlflowServer();
const replay = spawn(process.execPath, [fileURLToPath(new URL('./support/mlflow-replay.mjs', import.meta.url)), server.url], { stdio: ['ignore', 'pipe', 'inherit'] });
let gateway: Awaited<ReturnType<typeof startGateway>> | undefined;
try {
  const seeder = enforceInputRules(new MlflowRegistry({ id: 'mlflow', trackingUri: server.url }));
  await seeder.createModel({ name: MODEL });
  for (let v = 1; v <= VERSIONS; v++) {
    await seeder.createVersion({ name: MODEL, source: `s3://bench/${v}`, metrics: { accuracy: 0.8 + v / 1000, f1_score: 0.7, precision: 0.75, recall: 0.72, auc: 0.9 } });
  }
  await seeder.close?.();
  const { value: listening } = await createInterface({ input: replay.stdout! })[Symbol.asyncIterator]().next();
  const replayUrl = `http://127.0.0.1:${String(listening).split(' ')[1]}`;
  gateway = await startGateway(
    resolveConfig({ server: { port: 0 }, registries: [{ id: 'mlflow', kind: 'mlflow', trackingUri: replayUrl }] } as never),
    { log: pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: false })) },
  );
  const gatewayPool = new Pool(new URL(gateway.url).origin, { connections: 8 });
  const graphqlPath = new URL(gateway.url).pathname;
  const graphql = async (query: string, variables: Record<string, unknown>) => {
    const { body } = await gatewayPool.request({ method: 'POST', path: graphqlPath, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
    const answer = (await body.json()) as { data?: any; errors?: unknown };
    if (answer.errors) throw new Error(JSON.stringify(answer.errors));
    return answer.data;
  };
  const mlflowPool = new Pool(replayUrl, { connections: 8 });
  const api = '/api/2.0/mlflow/';
  const get = async (path: string, query: Record<string, string>) => (await (await mlflowPool.request({ method: 'GET', path: `${api}${path}?${new URLSearchParams(query)}` })).body.json()) as any;
  const post = async (path: string, payload: unknown) =>
    (await (await mlflowPool.request({ method: 'POST', path: `${api}${path}`, headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) })).body.json()) as any;
  const experiments = ((await post('experiments/search', { max_results: 1000 })).experiments as { experiment_id: string }[]).map((e) => e.experiment_id);

  const shapes: Record<string, { direct: () => Promise<unknown>; graphql: () => Promise<unknown> }> = {
    'one version (stage, metrics)': {
      direct: async () => {
        const { model_version } = await get('model-versions/get', { name: MODEL, version: '25' });
        return get('runs/get', { run_id: model_version.run_id });
      },
      graphql: () => graphql(`query ($name: String!) { modelVersion(name: $name, version: "25") { version stage metrics { key value } } }`, { name: MODEL }),
    },
    [`page of ${VERSIONS} (stage, metrics)`]: {
      direct: async () => {
        const { model_versions } = await get('model-versions/search', { filter: `name = '${MODEL}'`, order_by: 'version_number DESC', max_results: String(VERSIONS) });
        const ids = (model_versions as { run_id: string }[]).map((v) => `'${v.run_id}'`);
        return post('runs/search', { experiment_ids: experiments, filter: `attributes.run_id IN (${ids.join(', ')})`, max_results: VERSIONS });
      },
      graphql: () => graphql(`query ($name: String!, $first: Int!) { model(name: $name) { versions(first: $first) { nodes { version stage metrics { key value } } } } }`, { name: MODEL, first: VERSIONS }),
    },
  };
  for (let i = 0; i < 50; i++) for (const shape of Object.values(shapes)) (await shape.direct(), await shape.graphql()); // warm-up: JIT, connections, the replay's memory

  const results = new Map<string, { direct: number[]; graphql: number[]; added: number[]; cpu: { direct: number; graphql: number } }>();
  for (let round = 0; round < rounds; round++) {
    for (const [name, shape] of Object.entries(shapes)) {
      const entry = results.get(name) ?? { direct: [], graphql: [], added: [], cpu: { direct: 0, graphql: 0 } };
      results.set(name, entry);
      const walls: Record<'direct' | 'graphql', number[]> = { direct: [], graphql: [] };
      for (const side of round % 2 ? (['graphql', 'direct'] as const) : (['direct', 'graphql'] as const)) {
        const cpu = process.cpuUsage();
        for (let i = 0; i < iterations; i++) {
          const started = performance.now();
          await shape[side]();
          walls[side].push(performance.now() - started);
        }
        const used = process.cpuUsage(cpu);
        entry.cpu[side] += (used.user + used.system) / 1000;
      }
      entry.direct.push(...walls.direct);
      entry.graphql.push(...walls.graphql);
      entry.added.push(median(walls.graphql) - median(walls.direct));
    }
  }
  console.log(`MLflow answers replayed from memory; ${rounds} rounds x ${iterations} requests per side; wall ms.`);
  console.log('');
  console.log('| query | direct REST p50 ms | GraphQL p50 ms | gateway adds, ms: median of rounds [min–max] | CPU ms/request, direct | CPU ms/request, GraphQL (client + gateway) |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const [name, entry] of results) {
    const added = [...entry.added].sort((a, b) => a - b);
    const perRequest = (ms: number) => (ms / (rounds * iterations)).toFixed(3);
    console.log(
      `| ${name} | ${median(entry.direct).toFixed(3)} | ${median(entry.graphql).toFixed(3)} | ${median(added).toFixed(3)} [${added[0]!.toFixed(3)}–${added.at(-1)!.toFixed(3)}] | ${perRequest(entry.cpu.direct)} | ${perRequest(entry.cpu.graphql)} |`,
    );
  }
  if (values.profile) {
    const { Session } = await import('node:inspector/promises');
    const session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
    const page = Object.values(shapes)[1]!;
    const started = performance.now();
    let requests = 0;
    while (performance.now() - started < 15_000) (await page.graphql(), requests++);
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(values.profile, JSON.stringify(profile));
    console.log(`\nCPU profile of ${requests} GraphQL page requests: ${values.profile}`);
  }
} finally {
  await gateway?.stop();
  replay.kill();
  await server.stop();
}

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
}
