/**
 * npm run bench:local [-- --rounds 5 --iterations 2000]
 *
 * Two embedded registries in one real gateway (built from config, so deadlines, breakers and
 * metrics wrap every call): 1,000 models × 20 versions (20k) and 10,000 × 20 (200k), each
 * with one model of 1,000 versions. Calls are measured in interleaved rounds, alternating the
 * scale, so "flat from 20k to 200k" compares like with like. Targets: p99 < 5 ms through the
 * adapter, < 25 ms for a GraphQL page of 50 versions (a full page), peak RSS < 400 MB for the
 * whole process, both scales loaded.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { Stage, encodeCursor, type RegistryAdapter } from '../src/core/index.ts';
import { resolveConfig } from '../src/server/config.ts';
import { startGateway } from '../src/server/gateway.ts';

/** One model with 1,000 versions, so a page of 50 is full and a stage-filtered page of 50 is too. */
const WIDE_MODEL = 'wide-model';
const SCALES = [
  { id: 'small', models: 1_000 },
  { id: 'large', models: 10_000 },
];

const { values } = parseArgs({
  options: {
    versions: { type: 'string', default: '20' },
    iterations: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '5' },
  },
});
const versionsPerModel = Number(values.versions);
const iterations = Number(values.iterations);
const rounds = Number(values.rounds);

const dir = mkdtempSync(join(tmpdir(), 'modelgate-bench-'));
const config = resolveConfig(
  { server: { port: 0 }, registries: SCALES.map((s) => ({ id: s.id, kind: 'local' as const, path: join(dir, `${s.id}.db`) })) },
  { dataDir: dir },
);
const gateway = await startGateway(config, { log: pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: false })) });
try {
  const fills = new Map<string, { names: string[]; seconds: number; wideCursors: string[] }>();
  for (const scale of SCALES) {
    const registry = gateway.registries.get(scale.id);
    const started = performance.now();
    const names = await fill(registry, scale.models, versionsPerModel);
    const wideCursors = (await registry.listVersions(WIDE_MODEL, {}, { first: 1000 })).cursors.slice(0, 950);
    fills.set(scale.id, { names, seconds: (performance.now() - started) / 1000, wideCursors });
    console.error(`[bench] filled ${scale.id}: ${scale.models * versionsPerModel} versions`);
  }

  const pageQuery = `query ($registry: String, $after: String) { model(registry: $registry, name: "${WIDE_MODEL}") { name
    versions(first: 50, after: $after) { nodes { id version stage description source createdAt tags { key value } metrics { key value } } } } }`;
  const calls: { call: string; target: number; run: (scale: string) => Promise<unknown> }[] = [
    {
      call: 'adapter: get one version',
      target: 5,
      run: (scale) => gateway.registries.get(scale).getVersions([{ name: pick(scale), version: String(1 + Math.floor(Math.random() * versionsPerModel)) }]),
    },
    {
      call: `adapter: versions of a ${versionsPerModel}-version model, by stage`,
      target: 5,
      run: (scale) => gateway.registries.get(scale).listVersions(pick(scale), { stages: [Stage.ARCHIVED, Stage.NONE] }, { first: 50 }),
    },
    {
      call: 'adapter: 50 of 1,000 versions of a model, by stage',
      target: 5,
      run: (scale) => gateway.registries.get(scale).listVersions(WIDE_MODEL, { stages: [Stage.ARCHIVED] }, { first: 50 }),
    },
    {
      call: 'adapter: page of 50 models',
      target: 5,
      run: (scale) => gateway.registries.get(scale).listModels({}, { first: 50, after: encodeCursor({ name: pick(scale) }) }),
    },
    {
      call: 'GraphQL: page of 50 versions with tags and metrics',
      target: 25,
      run: async (scale) => {
        const cursors = fills.get(scale)!.wideCursors;
        const response = await fetch(gateway.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: pageQuery, variables: { registry: scale, after: cursors[Math.floor(Math.random() * cursors.length)] } }),
        });
        const body = (await response.json()) as { data?: { model: { versions: { nodes: unknown[] } } }; errors?: unknown };
        if (body.errors) throw new Error(JSON.stringify(body.errors));
        // The page row must be a full page, or it measures less than it says.
        if (body.data!.model.versions.nodes.length !== 50) throw new Error(`page returned ${body.data!.model.versions.nodes.length} versions`);
      },
    },
  ];

  const samples = new Map<string, number[]>();
  for (const scale of SCALES) for (const { run } of calls) for (let i = 0; i < 100; i++) await run(scale.id); // warm caches and JIT
  for (let round = 0; round < rounds; round++) {
    for (const scale of round % 2 ? [...SCALES].reverse() : SCALES) {
      for (const { call, run } of calls) {
        const key = `${scale.id}|${call}`;
        const list = samples.get(key) ?? [];
        const count = Math.ceil((call.startsWith('GraphQL') ? iterations / 4 : iterations) / rounds);
        for (let i = 0; i < count; i++) {
          const started = performance.now();
          await run(scale.id);
          list.push(performance.now() - started);
        }
        samples.set(key, list);
      }
    }
    console.error(`[bench] round ${round + 1}/${rounds}`);
  }
  printTable(calls, samples, fills);

  function pick(scale: string): string {
    const names = fills.get(scale)!.names;
    return names[Math.floor(Math.random() * names.length)]!;
  }
} finally {
  await gateway.stop();
  rmSync(dir, { recursive: true, force: true });
}

/** Models with versions spread over every stage, each version with metrics and a tag; plus one model with 1,000 versions. */
async function fill(registry: RegistryAdapter, modelCount: number, versionsPerModel: number): Promise<string[]> {
  await registry.createModel({ name: WIDE_MODEL });
  for (let v = 1; v <= 1000; v++) {
    const version = await registry.createVersion({ name: WIDE_MODEL, tags: { framework: 'sklearn' }, metrics: { accuracy: v / 1000 } });
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

function printTable(
  calls: { call: string; target: number }[],
  samples: Map<string, number[]>,
  fills: Map<string, { seconds: number }>,
): void {
  const quantile = (xs: number[], q: number) => {
    const sorted = [...xs].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  };
  console.log(`Interleaved rounds: ${rounds}; both scales served by one gateway process with every wrapper on.`);
  console.log('');
  console.log('| call | 20k p50 ms | 20k p99 ms | 200k p50 ms | 200k p99 ms | 200k ÷ 20k p99 | target p99 ms | ok |');
  console.log('|---|---:|---:|---:|---:|---:|---:|:---:|');
  for (const { call, target } of calls) {
    const small = samples.get(`small|${call}`)!;
    const large = samples.get(`large|${call}`)!;
    const ok = quantile(small, 0.99) < target && quantile(large, 0.99) < target;
    console.log(
      `| ${call} | ${quantile(small, 0.5).toFixed(3)} | ${quantile(small, 0.99).toFixed(3)} | ${quantile(large, 0.5).toFixed(3)} | ${quantile(large, 0.99).toFixed(3)} | ` +
        `${(quantile(large, 0.99) / quantile(small, 0.99)).toFixed(2)} | ${target} | ${ok ? 'yes' : 'NO'} |`,
    );
  }
  const rss = process.resourceUsage().maxRSS / 1024;
  console.log(`| peak RSS, whole process (MB) | | | | ${rss.toFixed(0)} | | 400 | ${rss < 400 ? 'yes' : 'NO'} |`);
  console.log(`| fill time (s) | | ${fills.get('small')!.seconds.toFixed(1)} | | ${fills.get('large')!.seconds.toFixed(1)} | | | |`);
}
