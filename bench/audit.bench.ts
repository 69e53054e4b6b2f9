/**
 * npm run bench:audit [-- --events 2000 --concurrency 8]
 *
 * Audit append throughput on the SQLite store and the PostgreSQL store (MODELGATE_BENCH_POSTGRES,
 * default the local test server): appends one at a time (latency per append) and with several in
 * flight (throughput under contention), then a full verification of the chain.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { PostgresStore } from '../src/store/postgres-store.ts';
import { SqliteStore, type GatewayStore, type NewAuditEvent } from '../src/store/index.ts';

const { values } = parseArgs({ options: { events: { type: 'string', default: '2000' }, concurrency: { type: 'string', default: '8' } } });
const EVENTS = Number(values.events);
const CONCURRENCY = Number(values.concurrency);
const POSTGRES_URL = process.env.MODELGATE_BENCH_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A promotion's outcome event, the size the gateway writes. */
const event = (i: number): NewAuditEvent => ({
  principal: 'ci-bot',
  action: 'promote',
  registry: 'local',
  model: `churn-${i % 50}`,
  version: String(i),
  before: { stage: 'STAGING' },
  after: { stage: 'PRODUCTION', archived: [String(i - 1)], comment: 'nightly release' },
  result: 'OK',
  detail: null,
});

interface Row {
  store: string;
  mode: string;
  events: number;
  perSecond: number;
  p50: number;
  p99: number;
}

async function measure(label: string, store: GatewayStore): Promise<Row[]> {
  const latencies: number[] = [];
  let started = performance.now();
  for (let i = 0; i < EVENTS; i++) {
    const t = performance.now();
    await store.appendAudit(event(i));
    latencies.push(performance.now() - t);
  }
  const sequential = row(label, 'sequential', EVENTS, performance.now() - started, latencies);

  const concurrent: number[] = [];
  let next = 0;
  started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < EVENTS) {
        const i = next++;
        const t = performance.now();
        await store.appendAudit(event(i));
        concurrent.push(performance.now() - t);
      }
    }),
  );
  const parallel = row(label, `${CONCURRENCY} in flight`, EVENTS, performance.now() - started, concurrent);

  started = performance.now();
  const verification = await store.verifyAudit();
  if (!verification.ok) throw new Error(`${label}: the chain does not verify after the bench`);
  const verifyMs = performance.now() - started;
  return [sequential, parallel, { store: label, mode: 'verify whole chain', events: verification.checked, perSecond: verification.checked / (verifyMs / 1000), p50: NaN, p99: NaN }];
}

function row(store: string, mode: string, events: number, totalMs: number, latencies: number[]): Row {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { store, mode, events, perSecond: events / (totalMs / 1000), p50: at(0.5), p99: at(0.99) };
}

async function sqlite(): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'modelgate-audit-bench-'));
  const store = new SqliteStore(join(dir, 'store.db'));
  try {
    return await measure('SQLite', store);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function postgres(): Promise<Row[]> {
  const schema = `mg_bench_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const store = await PostgresStore.open(`${POSTGRES_URL}${POSTGRES_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`);
  try {
    return await measure('PostgreSQL', store);
  } finally {
    await store.close();
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  }
}

const rows = [...(await sqlite()), ...(await postgres())];
const cells = rows.map((r) => [r.store, r.mode, String(r.events), r.perSecond.toFixed(0), Number.isNaN(r.p50) ? '-' : r.p50.toFixed(3), Number.isNaN(r.p99) ? '-' : r.p99.toFixed(3)]);
const header = ['store', 'mode', 'events', 'events/s', 'p50 ms', 'p99 ms'];
const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
const line = (c: string[]) => c.map((v, i) => (i < 2 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
console.log(line(header));
for (const c of cells) console.log(line(c));
