/**
 * npm run bench:mlflow [-- --versions 50 --rounds 20 --reps 5]
 *
 * One real MLflow server, one model of N versions each with a run of 5 metrics. Every round
 * takes the comparisons in a rotating order; within a comparison both sides run back to back,
 * `--reps` times each, alternating which goes first (compare: once each, the Python loop is
 * slow). A round's ratio is the median of one side over the median of the other; the table
 * gives the median of the rounds' ratios and their [min–max]:
 *   compare: the seed tutorial's loop in Python (get_model_version + get_run per version)
 *            vs one GraphQL compareVersions query; target >= 10x faster.
 *   one version (stage + metrics): the best direct REST client (model-versions/get, runs/get)
 *            vs GraphQL modelVersion; target <= 1.1x.
 *   page of N versions with metrics: the best direct REST client (one model-versions/search,
 *            one batched runs/search) vs GraphQL model { versions }; target <= 1.2x.
 * Both the direct client and the GraphQL client are undici Pools with keep-alive connections
 * from this process (the same HTTP client on both sides, so the ratio is the gateway's cost).
 * Also printed, per request: this process's CPU time (client, plus the gateway on the GraphQL
 * side: their difference is the gateway's CPU) and the MLflow server's (its process group).
 */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { Pool } from 'undici';
import { MlflowRegistry } from '../adapters/mlflow/index.ts';
import { createClient } from '@modelgate/client';
import { CompareVersionsDocument } from '@modelgate/client';
import { enforceInputRules } from '../src/core/index.ts';
import { resolveConfig } from '../src/server/config.ts';
import { startGateway } from '../src/server/gateway.ts';
import { startMlflowServer } from '../test/support/peers/mlflow-server.ts';
import { venvBin } from '../test/support/peers/python-env.ts';

const { values } = parseArgs({
  options: { versions: { type: 'string', default: '50' }, rounds: { type: 'string', default: '20' }, reps: { type: 'string', default: '5' } },
});
const versionCount = Number(values.versions);
const rounds = Number(values.rounds);
const reps = Number(values.reps);
const MODEL = 'BenchCompareModel';
const ONE = String(Math.ceil(versionCount / 2));

/** The fastest plain REST client we know for these reads: keep-alive, fewest round trips, runs batched. */
class DirectClient {
  private readonly pool: Pool;
  private readonly base: string;
  private experiments: string[] | undefined;

  constructor(trackingUri: string) {
    const url = new URL(trackingUri);
    this.pool = new Pool(url.origin, { connections: 8 });
    this.base = `${url.pathname.replace(/\/$/, '')}/api/2.0/mlflow/`;
  }

  async oneVersion(name: string, version: string) {
    const { model_version } = await this.get('model-versions/get', { name, version });
    const { run } = await this.get('runs/get', { run_id: model_version.run_id });
    return { version: model_version.version, stage: model_version.current_stage, metrics: metricsOf(run) };
  }

  async page(name: string, first: number) {
    const filter = `name = '${name}'`;
    const { model_versions } = await this.get('model-versions/search', { filter, order_by: 'version_number DESC', max_results: String(first) });
    this.experiments ??= ((await this.post('experiments/search', { max_results: 1000 })).experiments as { experiment_id: string }[]).map((e) => e.experiment_id);
    const ids = (model_versions as { run_id: string }[]).map((v) => v.run_id);
    const { runs } = await this.post('runs/search', {
      experiment_ids: this.experiments,
      filter: `attributes.run_id IN (${ids.map((id) => `'${id}'`).join(', ')})`,
      max_results: ids.length,
    });
    const byId = new Map((runs as { info: { run_id: string } }[]).map((run) => [run.info.run_id, run]));
    return (model_versions as { version: string; current_stage: string; run_id: string }[]).map((v) => ({
      version: v.version,
      stage: v.current_stage,
      metrics: metricsOf(byId.get(v.run_id)),
    }));
  }

  private async get(path: string, query: Record<string, string>) {
    const { body } = await this.pool.request({ method: 'GET', path: `${this.base}${path}?${new URLSearchParams(query)}` });
    return (await body.json()) as any;
  }

  private async post(path: string, payload: unknown) {
    const { body } = await this.pool.request({ method: 'POST', path: `${this.base}${path}`, headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });
    return (await body.json()) as any;
  }
}

const server = await startMlflowServer();
const seeder = enforceInputRules(new MlflowRegistry({ id: 'mlflow', trackingUri: server.url }));
let gateway: Awaited<ReturnType<typeof startGateway>> | undefined;
let python: ReturnType<typeof spawn> | undefined;
try {
  await seeder.createModel({ name: MODEL });
  for (let v = 1; v <= versionCount; v++) {
    await seeder.createVersion({
      name: MODEL,
      source: `s3://bench/model/${v}`,
      metrics: { accuracy: 0.8 + v / 1000, f1_score: 0.7 + v / 1000, precision: 0.75, recall: 0.72, auc: 0.9 },
    });
  }
  await seeder.close?.();
  python = spawn(venvBin('python'), [fileURLToPath(new URL('./mlflow_compare_loop.py', import.meta.url)), server.url, MODEL, String(versionCount)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });

  // The real server: the MLflow registry built from config, with its deadline, breaker and metrics wrappers.
  gateway = await startGateway(
    resolveConfig({ server: { port: 0 }, registries: [{ id: 'mlflow', kind: 'mlflow', trackingUri: server.url }] } as never),
    { log: pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: false })) },
  );
  const client = createClient({ url: gateway.url });
  const gatewayPool = new Pool(new URL(gateway.url).origin, { connections: 8 });
  const graphql = async (query: string, variables: Record<string, unknown>) => {
    const { body } = await gatewayPool.request({ method: 'POST', path: new URL(gateway!.url).pathname, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
    return { body: (await body.json()) as { data?: any; errors?: unknown[] } };
  };
  const direct = new DirectClient(server.url);
  const versions = Array.from({ length: versionCount }, (_, i) => String(i + 1));

  const lines = createInterface({ input: python.stdout! })[Symbol.asyncIterator]();
  const nextLine = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error('the Python side stopped');
    return value as string;
  };
  if ((await nextLine()) !== 'ready') throw new Error('the Python side did not start');

  const oneQuery = `query ($name: String!, $v: String!) { modelVersion(name: $name, version: $v) { version stage metrics { key value } } }`;
  const pageQuery = `query ($name: String!, $first: Int!) { model(name: $name) { versions(first: $first) { nodes { version stage metrics { key value } } } } }`;
  // A side returns its own wall time when it measured it (Python, without the pipe's round trip).
  const sides: Record<string, () => Promise<number | void>> = {
    'compare: Python loop': async () => {
      python!.stdin!.write('run\n');
      return Number(await nextLine());
    },
    'compare: GraphQL compareVersions': async () => {
      const result = await client.request(CompareVersionsDocument, { name: MODEL, versions });
      if (result.compareVersions.rows.length !== versionCount) throw new Error('comparison lost rows');
    },
    'one version: direct REST': async () => {
      const version = await direct.oneVersion(MODEL, ONE);
      if (!version.metrics.accuracy) throw new Error('direct client lost metrics');
    },
    'one version: GraphQL': async () => {
      const { body } = await graphql(oneQuery, { name: MODEL, v: ONE });
      if (!body.data?.modelVersion?.metrics?.length) throw new Error(JSON.stringify(body));
    },
    'page: direct REST': async () => {
      const page = await direct.page(MODEL, versionCount);
      if (page.length !== versionCount || !page.every((v) => v.metrics.accuracy)) throw new Error('direct client lost versions');
    },
    'page: GraphQL': async () => {
      const { body } = await graphql(pageQuery, { name: MODEL, first: versionCount });
      const nodes = body.data?.model?.versions?.nodes ?? [];
      if (nodes.length !== versionCount || !nodes.every((n: { metrics: unknown[] }) => n.metrics.length === 5)) throw new Error(JSON.stringify(body).slice(0, 500));
    },
  };
  const comparisons: [string, string, number][] = [
    ['compare: Python loop', 'compare: GraphQL compareVersions', 1],
    ['one version: direct REST', 'one version: GraphQL', reps],
    ['page: direct REST', 'page: GraphQL', reps],
  ];
  for (let i = 0; i < 3; i++) for (const name of Object.keys(sides)) await sides[name]!(); // warm-up: connections, JIT, MLflow's caches
  const samples = new Map<string, Sample[]>(Object.keys(sides).map((name) => [name, []]));
  const roundMedians = new Map<string, number[]>(Object.keys(sides).map((name) => [name, []]));
  const measure = async (name: string) => {
    const cpu = process.cpuUsage();
    const peerCpu = groupCpuMs(server.pid);
    const started = performance.now();
    const own = await sides[name]!();
    const wall = typeof own === 'number' ? own : performance.now() - started;
    const used = process.cpuUsage(cpu);
    samples.get(name)!.push({ wall, cpu: (used.user + used.system) / 1000, peerCpu: groupCpuMs(server.pid) - peerCpu });
    return wall;
  };
  for (let round = 0; round < rounds; round++) {
    for (const [a, b, times] of comparisons.map((_, i) => comparisons[(i + round) % comparisons.length]!)) {
      const walls: Record<string, number[]> = { [a]: [], [b]: [] };
      for (let rep = 0; rep < times; rep++) {
        for (const name of (rep + round) % 2 ? [b, a] : [a, b]) walls[name]!.push(await measure(name));
      }
      for (const name of [a, b]) roundMedians.get(name)!.push(median(walls[name]!));
    }
    if ((round + 1) % 5 === 0) console.error(`[bench] round ${round + 1}/${rounds}`);
  }
  printTable(samples, roundMedians);
} finally {
  python?.stdin?.end();
  python?.kill();
  await gateway?.stop();
  await server.stop();
}

interface Sample {
  wall: number;
  /** This process's CPU (user + system) while the side ran, ms. */
  cpu: number;
  /** The MLflow server's CPU (its process group) while the side ran, ms; 10 ms ticks. */
  peerCpu: number;
}

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
}

function mean(xs: number[]): number {
  return xs.reduce((sum, x) => sum + x, 0) / xs.length;
}

/** CPU time of every process in a process group (the MLflow server and its uvicorn workers), ms. */
function groupCpuMs(group: number): number {
  let ticks = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      // After the command name: state, ppid, pgrp, ..., utime and stime (fields 14 and 15 of stat(5)).
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === group) ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone between the listing and the read
    }
  }
  return ticks * 10;
}

function printTable(samples: Map<string, Sample[]>, roundMedians: Map<string, number[]>): void {
  const ratio = (slow: string, fast: string) => {
    const a = roundMedians.get(slow)!;
    const b = roundMedians.get(fast)!;
    const perRound = a.map((x, i) => x / b[i]!).sort((x, y) => x - y);
    return { median: median(perRound), low: perRound[0]!, high: perRound.at(-1)! };
  };
  const wall = (name: string) => median(samples.get(name)!.map((s) => s.wall));
  console.log(`MLflow ${versionCount} versions, 5 metrics each; ${rounds} rounds, ${reps} back-to-back pairs per round (compare: 1); wall ms medians of all samples;`);
  console.log(`ratio: median of the rounds' ratios of medians [min–max].`);
  console.log('');
  console.log('| comparison | baseline p50 ms | modelgate p50 ms | ratio | target |');
  console.log('|---|---:|---:|---:|---|');
  const row = (label: string, baseline: string, gateway: string, invert: boolean, target: string, ok: (r: number) => boolean) => {
    const r = invert ? ratio(baseline, gateway) : ratio(gateway, baseline);
    console.log(`| ${label} | ${wall(baseline).toFixed(1)} | ${wall(gateway).toFixed(1)} | ${r.median.toFixed(2)}x [${r.low.toFixed(2)}–${r.high.toFixed(2)}] | ${target} ${ok(r.median) ? 'yes' : 'NO'} |`);
  };
  row(`compareVersions of ${versionCount}: Python loop ÷ modelgate`, 'compare: Python loop', 'compare: GraphQL compareVersions', true, '>= 10x', (r) => r >= 10);
  row('one version: modelgate ÷ direct REST', 'one version: direct REST', 'one version: GraphQL', false, '<= 1.1x', (r) => r <= 1.1);
  row(`page of ${versionCount}: modelgate ÷ direct REST`, 'page: direct REST', 'page: GraphQL', false, '<= 1.2x', (r) => r <= 1.2);
  console.log('');
  console.log('CPU per request, mean ms: this process (the client; on the GraphQL side also the gateway) and the MLflow server.');
  console.log('');
  console.log('| side | wall p50 ms | this process CPU ms | MLflow server CPU ms |');
  console.log('|---|---:|---:|---:|');
  for (const [name, list] of samples) {
    if (name.startsWith('compare: Python')) continue;
    console.log(`| ${name} | ${wall(name).toFixed(1)} | ${mean(list.map((s) => s.cpu)).toFixed(2)} | ${mean(list.map((s) => s.peerCpu)).toFixed(1)} |`);
  }
}

function metricsOf(run: any): Record<string, number> {
  return Object.fromEntries(((run?.data?.metrics ?? []) as { key: string; value: number }[]).map((m) => [m.key, m.value]));
}
