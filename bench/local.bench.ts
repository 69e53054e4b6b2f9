/**
 * npm run bench:local [-- --models 10000 --versions 20]
 *
 * Fills a local registry and measures the calls a catalogue page makes, through the adapter
 * and through the GraphQL server. Each scale runs in its own process so peak RSS is its own.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { LocalRegistry } from '../adapters/local/index.ts';
import { RegistrySet, Stage, enforceInputRules, type RegistryAdapter } from '../src/core/index.ts';
import { resolveConfig } from '../src/server/config.ts';
import { startGateway } from '../src/server/gateway.ts';

/** One model with 1,000 versions, so a stage-filtered page of 50 is full. */
const WIDE_MODEL = 'wide-model';

interface ScaleResult {
  models: number;
  versions: number;
  fillSeconds: number;
  rows: { call: string; p50: number; p99: number; target: number }[];
  peakRssMb: number;
}

const { values } = parseArgs({
  options: {
    models: { type: 'string' },
    versions: { type: 'string', default: '20' },
    iterations: { type: 'string', default: '2000' },
  },
});

if (values.models) {
  const result = await runScale(Number(values.models), Number(values.versions), Number(values.iterations));
  console.log(JSON.stringify(result));
} else {
  const results = [1_000, 10_000].map((models) => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--models', String(models), '--versions', values.versions!, '--iterations', values.iterations!], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 16 * 1024 * 1024,
    });
    return JSON.parse(out.trim().split('\n').at(-1)!) as ScaleResult;
  });
  printTable(results);
}

async function runScale(modelCount: number, versionsPerModel: number, iterations: number): Promise<ScaleResult> {
  const dir = mkdtempSync(join(tmpdir(), 'modelgate-bench-'));
  const local = new LocalRegistry({ id: 'local', path: join(dir, 'local.db') });
  const registry = enforceInputRules(local);
  try {
    const fillStarted = performance.now();
    const names = await fill(registry, modelCount, versionsPerModel);
    const fillSeconds = (performance.now() - fillStarted) / 1000;
    const pick = () => names[Math.floor(Math.random() * names.length)]!;

    const rows: ScaleResult['rows'] = [];
    rows.push({
      call: 'adapter: get one version',
      target: 5,
      ...(await measure(iterations, () => registry.getVersions([{ name: pick(), version: String(1 + Math.floor(Math.random() * versionsPerModel)) }]))),
    });
    rows.push({
      call: 'adapter: versions of a 20-version model, by stage',
      target: 5,
      ...(await measure(iterations, () => registry.listVersions(pick(), { stages: [Stage.ARCHIVED, Stage.NONE] }, { first: 50 }))),
    });
    rows.push({
      call: 'adapter: 50 of 1,000 versions of a model, by stage',
      target: 5,
      ...(await measure(iterations, () => registry.listVersions(WIDE_MODEL, { stages: [Stage.ARCHIVED] }, { first: 50 }))),
    });
    const cursors = (await registry.listModels({}, { first: 200 })).cursors;
    rows.push({
      call: 'adapter: page of 50 models',
      target: 5,
      ...(await measure(iterations, () => registry.listModels({}, { first: 50, after: cursors[Math.floor(Math.random() * cursors.length)]! }))),
    });

    const gateway = await startGateway(resolveConfig({ server: { port: 0 } }, { dataDir: dir }), {
      log: pino({ level: 'silent' }),
      registries: new RegistrySet([registry], 'local'),
    });
    const query = `query ($name: String!) { model(name: $name) { name versions(first: 50, stages: [ARCHIVED, NONE]) {
      nodes { id version stage description source createdAt tags { key value } metrics { key value } } } } }`;
    rows.push({
      call: 'GraphQL: page of 50 versions with metrics',
      target: 25,
      ...(await measure(Math.ceil(iterations / 4), async () => {
        const response = await fetch(gateway.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query, variables: { name: pick() } }),
        });
        const body = (await response.json()) as { errors?: unknown };
        if (body.errors) throw new Error(JSON.stringify(body.errors));
      })),
    });
    await gateway.stop();
    return {
      models: modelCount,
      versions: modelCount * versionsPerModel,
      fillSeconds,
      rows,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
    };
  } finally {
    await local.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Models with versions spread over every stage, each version with metrics and a tag; plus one model with 1,000 versions. */
async function fill(registry: RegistryAdapter, modelCount: number, versionsPerModel: number): Promise<string[]> {
  await registry.createModel({ name: WIDE_MODEL });
  for (let v = 1; v <= 1000; v++) {
    const version = await registry.createVersion({ name: WIDE_MODEL, metrics: { accuracy: v / 1000 } });
    if (v % 4 !== 0) await registry.setStage({ name: WIDE_MODEL, version: version.version }, Stage.ARCHIVED);
  }
  const names: string[] = [];
  for (let m = 0; m < modelCount; m++) {
    const name = `model-${String(m).padStart(6, '0')}`;
    names.push(name);
    await registry.createModel({ name, description: `benchmark model ${m}`, tags: { team: `team-${m % 17}` } });
    for (let v = 1; v <= versionsPerModel; v++) {
      await registry.createVersion({
        name,
        source: `s3://bench/${name}/${v}`,
        description: `version ${v}`,
        tags: { framework: 'sklearn' },
        metrics: { accuracy: 0.8 + v / 1000, f1_score: 0.75 + v / 1000 },
      });
    }
    const stage = (version: number) =>
      version === versionsPerModel ? Stage.PRODUCTION : version >= versionsPerModel - 2 ? Stage.STAGING : version <= versionsPerModel / 2 ? Stage.ARCHIVED : null;
    for (let v = 1; v <= versionsPerModel; v++) {
      const target = stage(v);
      if (target) await registry.setStage({ name, version: String(v) }, target);
    }
  }
  return names;
}

async function measure(iterations: number, call: () => Promise<unknown>): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < Math.min(100, iterations); i++) await call(); // warm caches and JIT
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const started = performance.now();
    await call();
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!;
  return { p50: at(0.5), p99: at(0.99) };
}

function printTable(results: ScaleResult[]): void {
  const lines = ['| stored versions | call | p50 ms | p99 ms | target p99 ms | ok |', '|---:|---|---:|---:|---:|:---:|'];
  for (const result of results) {
    for (const row of result.rows) {
      lines.push(
        `| ${result.versions.toLocaleString('en')} | ${row.call} | ${row.p50.toFixed(3)} | ${row.p99.toFixed(3)} | ${row.target} | ${row.p99 < row.target ? 'yes' : 'NO'} |`,
      );
    }
    lines.push(`| ${result.versions.toLocaleString('en')} | peak RSS (MB) | | ${result.peakRssMb.toFixed(0)} | 400 | ${result.peakRssMb < 400 ? 'yes' : 'NO'} |`);
    lines.push(`| ${result.versions.toLocaleString('en')} | fill time (s) | | ${result.fillSeconds.toFixed(1)} | | |`);
  }
  console.log(lines.join('\n'));
}
