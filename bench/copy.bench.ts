/**
 * npm run bench:copy [-- --versions 40 --rounds 5]
 *
 * Versions copied per second from a real MLflow server into the embedded registry, through the
 * command pipeline (lock, intent, audit) with an SQLite store. Every round runs each side once,
 * in a rotating order (interleaved, so drift on a shared machine hits both), into a fresh model:
 *   one by one: copyVersion per version (the source version and its run read per copy);
 *   migration:  migrateModel, which reads the source in batches (versions, then their runs in one
 *               runs/search) and copies in order.
 * Prints the median versions/s of each side, their ratio, and the load average.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LocalRegistry } from '../adapters/local/index.ts';
import { MlflowRegistry } from '../adapters/mlflow/index.ts';
import { RegistrySet, enforceInputRules } from '../src/core/index.ts';
import { SqliteStore } from '../src/store/index.ts';
import { createWorkflows } from '../src/workflows/services.ts';
import { startMlflowServer } from '../test/support/peers/mlflow-server.ts';

const { values } = parseArgs({ options: { versions: { type: 'string', default: '40' }, rounds: { type: 'string', default: '5' } } });
const versionCount = Number(values.versions);
const rounds = Number(values.rounds);
const MODEL = 'BenchCopyModel';
const caller = { principal: 'bench', authorize: () => undefined };

const mlflowServer = await startMlflowServer();
const dir = mkdtempSync(join(tmpdir(), 'modelgate-copy-bench-'));
const mlflow = new MlflowRegistry({ id: 'mlflow', trackingUri: mlflowServer.url });
const local = new LocalRegistry({ id: 'embedded', path: join(dir, 'embedded.db') });
const registries = new RegistrySet([mlflow, local].map(enforceInputRules), 'mlflow');
const store = new SqliteStore(join(dir, 'store.db'));
const workflows = createWorkflows(registries, store, []);

try {
  await registries.get('mlflow').createModel({ name: MODEL });
  for (let i = 1; i <= versionCount; i++) {
    await registries.get('mlflow').createVersion({
      name: MODEL,
      source: `s3://bench/${i}`,
      description: `version ${i}`,
      tags: { team: 'bench', index: String(i) },
      metrics: { accuracy: 0.8 + i / 1000, f1: 0.7, auc: 0.9, loss: 0.2, latency_ms: 12 },
      params: { lr: '0.01', depth: String(i % 9) },
    });
  }

  const sides = {
    'one by one': async (target: string) => {
      for (let i = 1; i <= versionCount; i++) {
        await workflows.copies.copyVersion(caller, { from: { registry: 'mlflow', name: MODEL, version: String(i) }, to: { registry: 'embedded', name: target } });
      }
    },
    migration: async (target: string) => {
      const job = await workflows.migrations.start(caller, { from: { registry: 'mlflow', name: MODEL }, to: { registry: 'embedded', name: target } });
      await workflows.migrations.settled(job.id);
      const done = await workflows.migrations.get(job.id);
      if (done?.status !== 'DONE' || done.items.some((item) => item.status !== 'CREATED')) throw new Error(`migration ended ${done?.status}`);
    },
  };
  const names = Object.keys(sides) as (keyof typeof sides)[];
  const rates: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 ? [...names].reverse() : names;
    for (const side of order) {
      const target = `${side.replace(/ /g, '-')}-${round}`;
      const started = performance.now();
      await sides[side](target);
      const seconds = (performance.now() - started) / 1000;
      const copied = (await local.listVersions(target, {}, { first: 200 })).items.length;
      if (copied !== versionCount) throw new Error(`${side}: ${copied} copies, expected ${versionCount}`);
      rates[side]!.push(versionCount / seconds);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(`MLflow → embedded, ${versionCount} versions (5 metrics, 2 params, 2 tags each), ${rounds} interleaved rounds; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  for (const side of names) console.log(`  ${side.padEnd(11)} ${median(rates[side]!).toFixed(1)} versions/s (median; rounds: ${rates[side]!.map((r) => r.toFixed(1)).join(', ')})`);
  console.log(`  migration / one by one: ${(median(rates.migration!) / median(rates['one by one']!)).toFixed(2)}x`);
} finally {
  await workflows.migrations.stop();
  await registries.close();
  await store.close();
  await mlflowServer.stop();
  rmSync(dir, { recursive: true, force: true });
}
