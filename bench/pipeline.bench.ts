/**
 * npm run bench:pipeline [-- --rounds 40 --batch 50] [--against DIR]
 *
 * What the command pipeline (intent + outcome events, idempotency, reconciliation records)
 * costs a promotion on the embedded default, measured side by side in one run against the
 * same promotion done the way it was before the pipeline: gates, the move, tags, history and
 * one audit event under the model lock. Rounds interleave the two so machine noise hits both.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LocalRegistry } from '../adapters/local/index.ts';
import { RegistrySet, Stage, enforceInputRules, type RegistryAdapter } from '../src/core/index.ts';
import { SqliteStore, type GatewayStore } from '../src/store/index.ts';
import { lockKey } from '../src/workflows/command.ts';
import { evaluateGates } from '../src/workflows/gates.ts';
import { tagValue } from '../src/workflows/lifecycle.ts';
import { policyFor } from '../src/workflows/policy.ts';
import { createWorkflows } from '../src/workflows/services.ts';
import { transitionStage } from '../src/workflows/transition.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '40' }, batch: { type: 'string', default: '50' }, against: { type: 'string' } } });
const rounds = Number(values.rounds);
const batch = Number(values.batch);
const MODELS = 20;

const dir = mkdtempSync(join(tmpdir(), 'modelgate-pipeline-bench-'));
const registry = enforceInputRules(new LocalRegistry({ id: 'local', path: join(dir, 'local.db') }));
const store = new SqliteStore(join(dir, 'store.db'));
const { lifecycle } = createWorkflows(new RegistrySet([registry], 'local'), store, []);
const caller = { principal: 'bench', authorize: () => undefined };
for (let m = 0; m < MODELS; m++) {
  await registry.createModel({ name: `bench-${m}` });
  await registry.createVersion({ name: `bench-${m}` });
  await registry.createVersion({ name: `bench-${m}` });
}

/** The promotion as it ran before the pipeline: no intent, one audit event, history on its own. */
async function promoteWithoutPipeline(registry: RegistryAdapter, store: GatewayStore, name: string, version: string): Promise<void> {
  await store.withLock(lockKey(registry.id, name), async () => {
    const [found] = await registry.getVersions([{ name, version }]);
    const report = await evaluateGates(registry, found!, policyFor([], registry.id, name, Stage.PRODUCTION));
    const moved = await transitionStage(registry, found!, Stage.PRODUCTION, { archiveExisting: true });
    await registry.setTags(found!, { promoted_at: tagValue(registry, new Date().toISOString()), promoted_by: 'bench' }, []);
    await store.recordProduction({ registry: registry.id, model: name, version, by: 'bench' });
    await store.appendAudit({ principal: 'bench', action: 'promote', registry: registry.id, model: name, version, before: { stage: found!.stage }, after: { stage: Stage.PRODUCTION, archived: moved.archived.map((v) => v.version), passed: report.passed }, result: 'OK', detail: null });
    await registry.getVersions([found!]);
  });
}

const arms = {
  before: (name: string, version: string) => promoteWithoutPipeline(registry, store, name, version),
  pipeline: (name: string, version: string) => lifecycle.promote(caller, { name, version, targetStage: Stage.PRODUCTION }).then(() => undefined),
};
const samples: Record<keyof typeof arms, number[]> = { before: [], pipeline: [] };
let call = 0;
for (let round = 0; round < rounds + 2; round++) {
  for (const arm of round % 2 ? (['pipeline', 'before'] as const) : (['before', 'pipeline'] as const)) {
    for (let i = 0; i < batch; i++, call++) {
      const name = `bench-${call % MODELS}`;
      const version = String(1 + (Math.floor(call / MODELS) % 2));
      const started = performance.now();
      await arms[arm](name, version);
      // The first two rounds warm up (JIT, page cache) and are not counted.
      if (round >= 2) samples[arm].push(performance.now() - started);
    }
  }
}
await store.close();
rmSync(dir, { recursive: true, force: true });

const stats = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { p50: at(0.5), p99: at(0.99), mean: xs.reduce((a, b) => a + b, 0) / xs.length };
};
const before = stats(samples.before);
const pipeline = stats(samples.pipeline);
const row = (label: string, s: ReturnType<typeof stats>) => `| ${label} | ${s.p50.toFixed(3)} | ${s.p99.toFixed(3)} | ${s.mean.toFixed(3)} |`;
console.log(`\nPromotion on the embedded registry and store, ${samples.pipeline.length} calls per arm, interleaved\n`);
console.log('| promotion | p50 ms | p99 ms | mean ms |');
console.log('|---|---:|---:|---:|');
console.log(row('before the pipeline (1 audit event)', before));
console.log(row('command pipeline (intent + outcome)', pipeline));
console.log(`| ratio pipeline / before | ${(pipeline.p50 / before.p50).toFixed(2)}x | ${(pipeline.p99 / before.p99).toFixed(2)}x | ${(pipeline.mean / before.mean).toFixed(2)}x |`);
console.log('\ntarget: mean ratio <= 1.30x');

if (values.against) await compareGateways(values.against, rounds, batch);

/**
 * `--against DIR`: the same promotion over HTTP, this checkout's gateway against the one in DIR
 * (another checkout, e.g. `git worktree add /tmp/before <rev>` with node_modules linked), both
 * on the embedded default, requests interleaved in batches.
 */
async function compareGateways(otherDir: string, rounds: number, batch: number): Promise<void> {
  const { spawn } = await import('node:child_process');
  const { freePort, waitForHttp } = await import('../test/support/peers/free-port.ts');
  const start = async (cwd: string) => {
    const port = await freePort();
    const data = mkdtempSync(join(tmpdir(), 'modelgate-pipeline-gw-'));
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/main.ts', '--port', String(port), '--data-dir', data], {
      cwd,
      env: { ...process.env, MODELGATE_CONFIG: '', LOG_LEVEL: 'silent' },
      stdio: 'ignore',
    });
    await waitForHttp(`http://127.0.0.1:${port}/healthz`, 120_000, () => null);
    return { url: `http://127.0.0.1:${port}/graphql`, stop: () => child.kill('SIGTERM'), data };
  };
  const post = (url: string, query: string) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) }).then((r) => r.json());
  const gateways = { before: await start(otherDir), now: await start(process.cwd()) };
  for (const gateway of Object.values(gateways)) {
    for (let m = 0; m < MODELS; m++) {
      for (let v = 0; v < 2; v++) await post(gateway.url, `mutation { registerVersion(name: "bench-${m}", source: "s3://b/${m}") { version } }`);
    }
  }
  const http: Record<'before' | 'now', number[]> = { before: [], now: [] };
  let n = 0;
  for (let round = 0; round < rounds + 2; round++) {
    for (const arm of round % 2 ? (['now', 'before'] as const) : (['before', 'now'] as const)) {
      for (let i = 0; i < batch; i++, n++) {
        const query = `mutation { promote(name: "bench-${n % MODELS}", version: "${1 + (Math.floor(n / MODELS) % 2)}", targetStage: PRODUCTION) { status } }`;
        const started = performance.now();
        await post(gateways[arm].url, query);
        if (round >= 2) http[arm].push(performance.now() - started);
      }
    }
  }
  for (const gateway of Object.values(gateways)) {
    gateway.stop();
    rmSync(gateway.data, { recursive: true, force: true });
  }
  const a = stats(http.before);
  const b = stats(http.now);
  console.log(`\npromote over HTTP on the embedded default, ${http.now.length} calls per gateway, interleaved\n`);
  console.log('| gateway | p50 ms | p99 ms | mean ms |');
  console.log('|---|---:|---:|---:|');
  console.log(row(`before (${otherDir})`, a));
  console.log(row('this checkout', b));
  console.log(`| ratio this / before | ${(b.p50 / a.p50).toFixed(2)}x | ${(b.p99 / a.p99).toFixed(2)}x | ${(b.mean / a.mean).toFixed(2)}x |`);
}
