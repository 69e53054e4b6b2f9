/**
 * npm run bench:mlflow [-- --versions 50 --rounds 20]
 *
 * One real MLflow server, one model of N versions each with a run of 5 metrics. Side by side:
 *   A: the seed's compare loop in Python (get_model_version then get_run per version, sequential);
 *   B: one GraphQL compareVersions query through modelgate.
 */
import { execFile } from 'node:child_process';
import { parseArgs, promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { MlflowRegistry } from '../adapters/mlflow/index.ts';
import { CompareVersionsDocument, createClient } from '../src/client/index.ts';
import { RegistrySet, enforceInputRules } from '../src/core/index.ts';
import { resolveConfig } from '../src/server/config.ts';
import { startGateway } from '../src/server/gateway.ts';
import { startMlflowServer } from '../test/support/peers/mlflow-server.ts';
import { venvBin } from '../test/support/peers/python-env.ts';

const { values } = parseArgs({ options: { versions: { type: 'string', default: '50' }, rounds: { type: 'string', default: '20' } } });
const versionCount = Number(values.versions);
const rounds = Number(values.rounds);
const MODEL = 'BenchCompareModel';

const server = await startMlflowServer();
const requests: string[] = [];
const adapter = new MlflowRegistry({ id: 'mlflow', trackingUri: server.url, onRequest: (method, path) => requests.push(`${method} ${path}`) });
const registry = enforceInputRules(adapter);
try {
  await registry.createModel({ name: MODEL });
  for (let v = 1; v <= versionCount; v++) {
    await registry.createVersion({
      name: MODEL,
      source: `s3://bench/model/${v}`,
      metrics: { accuracy: 0.8 + v / 1000, f1_score: 0.7 + v / 1000, precision: 0.75, recall: 0.72, auc: 0.9 },
    });
  }

  console.error(`[bench] registered ${versionCount} versions; running side A (Python)`);
  const script = fileURLToPath(new URL('./mlflow_compare_loop.py', import.meta.url));
  // Async on purpose: the MLflow server logs through pipes this process must keep draining.
  const { stdout } = await promisify(execFile)(venvBin('python'), [script, server.url, MODEL, String(versionCount), String(rounds)], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  const pythonTimes = JSON.parse(stdout.trim().split('\n').at(-1)!) as number[];

  console.error('[bench] running side B (GraphQL)');
  const gateway = await startGateway(resolveConfig({ server: { port: 0 } }), {
    log: pino({ level: 'silent' }),
    registries: new RegistrySet([registry], 'mlflow'),
  });
  const client = createClient({ url: gateway.url });
  const versions = Array.from({ length: versionCount }, (_, i) => String(i + 1));
  const query = () => client.request(CompareVersionsDocument, { name: MODEL, versions });
  await query(); // warm-up, as side A gets
  const gatewayTimes: number[] = [];
  let perQuery: string[] = [];
  for (let i = 0; i < rounds; i++) {
    requests.length = 0;
    const started = performance.now();
    const result = await query();
    gatewayTimes.push(performance.now() - started);
    if (result.compareVersions.rows.length !== versionCount) throw new Error('comparison lost rows');
    perQuery = [...requests];
  }
  await gateway.stop();

  const runGets = perQuery.filter((r) => r.startsWith('GET runs/get'));
  const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const a = p50(pythonTimes);
  const b = p50(gatewayTimes);
  console.log(`| measure (${versionCount} versions, 5 metrics each, ${rounds} rounds) | value | target |`);
  console.log('|---|---:|---|');
  console.log(`| A: Python compare loop, wall p50 | ${a.toFixed(1)} ms | |`);
  console.log(`| B: GraphQL compareVersions, wall p50 | ${b.toFixed(1)} ms | |`);
  console.log(`| A / B | ${(a / b).toFixed(1)}x | >= 5x |`);
  console.log(`| HTTP requests modelgate sent to MLflow per query | ${perQuery.length} | <= ${versionCount + 2} |`);
  console.log(`| runs fetched twice by runs/get in one query (runs/search batches distinct ids) | ${runGets.length - new Set(runGets).size} | 0 |`);
  console.log(`| request mix | ${summarize(perQuery)} | |`);
} finally {
  await adapter.close();
  await server.stop();
}

function summarize(list: string[]): string {
  const counts = new Map<string, number>();
  for (const entry of list) {
    const key = entry.split('?')[0]!;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([key, n]) => `${n}× ${key}`).join(', ');
}
