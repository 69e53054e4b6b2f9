/**
 * npm run bench:mlflow-phases [-- --requests 300]
 *
 * Where one version's read (stage and metrics) spends its time against a real MLflow server,
 * phase by phase, for the best direct REST client (model-versions/get, runs/get) and for the
 * real gateway in this process (from config, every wrapper on). Phases are cut where undici and
 * node:http publish diagnostics-channel events: the client sending, the gateway receiving, each
 * MLflow request sent, its headers and its end, the gateway's response finished. Printed per
 * phase: the median wall ms and the median CPU ms of this process (client and gateway) over
 * `--requests` reads per side, taken in alternating order. What the gateway adds is the phases
 * the direct client does not have, and the longer gaps between its MLflow requests.
 */
import diagnostics from 'node:diagnostics_channel';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { Pool } from 'undici';
import { MlflowRegistry } from '../adapters/mlflow/index.ts';
import { enforceInputRules } from '../src/core/index.ts';
import { resolveConfig } from '../src/server/config.ts';
import { startGateway } from '../src/server/gateway.ts';
import { startMlflowServer } from '../test/support/peers/mlflow-server.ts';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '300' } } });
const requests = Number(values.requests);
const MODEL = 'BenchPhasesModel';
const api = '/api/2.0/mlflow/';

type Mark = { what: string; wall: number; cpu: number };
const marks: Mark[] = [];
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
const mark = (what: string) => marks.push({ what, wall: performance.now(), cpu: cpuMs() });

const server = await startMlflowServer();
const gateway = await startGateway(
  resolveConfig({ server: { port: 0 }, registries: [{ id: 'mlflow', kind: 'mlflow', trackingUri: server.url }] } as never, { dataDir: mkdtempSync(join(tmpdir(), 'modelgate-phases-bench-')) }),
  { log: pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: false })) },
);
try {
  const seeder = enforceInputRules(new MlflowRegistry({ id: 'mlflow', trackingUri: server.url }));
  await seeder.createModel({ name: MODEL });
  for (let v = 1; v <= 3; v++) await seeder.createVersion({ name: MODEL, source: `s3://bench/${v}`, metrics: { accuracy: 0.8, f1_score: 0.7, precision: 0.75, recall: 0.72, auc: 0.9 } });
  await seeder.close?.();

  const mlflowHost = new URL(server.url).host;
  const peer = (request: { origin?: unknown }) => (String(request.origin).includes(mlflowHost) ? 'mlflow' : 'gateway');
  diagnostics.subscribe('undici:client:sendHeaders', (message) => mark(`${peer((message as { request: { origin?: unknown } }).request)} request sent`));
  diagnostics.subscribe('undici:request:headers', (message) => mark(`${peer((message as { request: { origin?: unknown } }).request)} headers in`));
  diagnostics.subscribe('undici:request:trailers', (message) => mark(`${peer((message as { request: { origin?: unknown } }).request)} body in`));
  diagnostics.subscribe('http.server.request.start', () => mark('gateway got request'));
  diagnostics.subscribe('http.server.response.finish', () => mark('gateway response finished'));

  const mlflow = new Pool(new URL(server.url).origin, { connections: 8 });
  const get = async (path: string, query: Record<string, string>) => (await (await mlflow.request({ method: 'GET', path: `${api}${path}?${new URLSearchParams(query)}` })).body.json()) as any;
  const gatewayPool = new Pool(new URL(gateway.url).origin, { connections: 8 });
  const body = JSON.stringify({ query: `query ($name: String!) { modelVersion(name: $name, version: "2") { version stage metrics { key value } } }`, variables: { name: MODEL } });
  const sides: Record<string, () => Promise<void>> = {
    'direct REST': async () => {
      const { model_version } = await get('model-versions/get', { name: MODEL, version: '2' });
      const { run } = await get('runs/get', { run_id: model_version.run_id });
      if (!run.data.metrics.length) throw new Error('no metrics');
    },
    modelgate: async () => {
      const answer = (await (await gatewayPool.request({ method: 'POST', path: new URL(gateway.url).pathname, headers: { 'content-type': 'application/json' }, body })).body.json()) as any;
      if (!answer.data?.modelVersion?.metrics?.length) throw new Error(JSON.stringify(answer));
    },
  };
  for (let i = 0; i < 30; i++) for (const side of Object.values(sides)) await side(); // warm-up
  const phases = new Map<string, Map<string, { wall: number[]; cpu: number[] }>>();
  for (let i = 0; i < requests; i++) {
    for (const name of i % 2 ? ['modelgate', 'direct REST'] : ['direct REST', 'modelgate']) {
      marks.length = 0;
      mark('start');
      await sides[name]!();
      mark('answer read');
      const rows = phases.get(name) ?? new Map();
      phases.set(name, rows);
      // The same transition can happen twice (two MLflow requests): number them.
      const seen = new Map<string, number>();
      for (let m = 1; m < marks.length; m++) {
        const base = `${marks[m - 1]!.what} → ${marks[m]!.what}`;
        const n = (seen.get(base) ?? 0) + 1;
        seen.set(base, n);
        const key = n > 1 ? `${base} (${n})` : base;
        const row = rows.get(key) ?? { wall: [], cpu: [] };
        rows.set(key, row);
        row.wall.push(marks[m]!.wall - marks[m - 1]!.wall);
        row.cpu.push(marks[m]!.cpu - marks[m - 1]!.cpu);
      }
      const total = rows.get('total') ?? { wall: [], cpu: [] };
      rows.set('total', total);
      total.wall.push(marks.at(-1)!.wall - marks[0]!.wall);
      total.cpu.push(marks.at(-1)!.cpu - marks[0]!.cpu);
    }
  }
  console.log(`One version (stage, metrics) against a real MLflow server; ${requests} reads per side, alternating; medians, ms.`);
  for (const [name, rows] of phases) {
    console.log('');
    console.log(`| ${name}: phase | wall ms | CPU ms (this process) |`);
    console.log('|---|---:|---:|');
    for (const [key, row] of rows) if (row.wall.length >= requests / 2) console.log(`| ${key} | ${median(row.wall).toFixed(3)} | ${median(row.cpu).toFixed(3)} |`);
  }
} finally {
  await gateway.stop();
  await server.stop();
}

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
}
