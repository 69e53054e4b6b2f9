/**
 * npm run bench:events [-- --subscribers 1000 --rounds 20 --deliveries 300]
 *
 * 1. Fan-out: one gateway process (embedded store) with N graphql-ws subscribers; each round one
 *    mutation, and the time from the event's commit (its `at`) to its arrival at every
 *    subscriber. Prints p50/p99 over all arrivals, and the gateway's RSS per subscriber
 *    (its VmRSS with N subscribers minus before, over N).
 * 2. Webhook outbox throughput: M events to a local receiver that always answers 200.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const { values } = parseArgs({ options: { subscribers: { type: 'string', default: '1000' }, rounds: { type: 'string', default: '20' }, deliveries: { type: 'string', default: '300' } } });
const SUBSCRIBERS = Number(values.subscribers);
const ROUNDS = Number(values.rounds);
const DELIVERIES = Number(values.deliveries);

const rssKb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

async function startGateway(dir: string, extra: string[]) {
  const port = await freePort();
  const config = join(dir, 'modelgate.yaml');
  writeFileSync(config, ['log: { level: error }', `dataDir: ${dir}`, ...extra].join('\n'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/main.ts', '--config', config, '--port', String(port)], { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, MODELGATE_CONFIG: '' } });
  const url = `http://127.0.0.1:${port}/graphql`;
  for (let i = 0; i < 600; i++) {
    if (await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false)) break;
    await sleep(100);
  }
  const gql = (query: string) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) }).then((r) => r.json());
  return { url, pid: child.pid!, gql, stop: () => new Promise<void>((r) => (child.once('exit', () => r()), child.kill('SIGTERM'))) };
}

async function fanOut(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'modelgate-bench-events-'));
  const gateway = await startGateway(dir, []);
  await gateway.gql('mutation { registerVersion(name: "Warmup") { version } }');
  await sleep(500);
  const before = rssKb(gateway.pid);
  const arrivals: number[][] = Array.from({ length: ROUNDS }, () => []);
  // A client whose connection drops (a loaded machine) reconnects and subscribes again.
  const clients = Array.from({ length: SUBSCRIBERS }, () => createClient({ url: gateway.url.replace('http', 'ws'), webSocketImpl: WebSocket, retryAttempts: 20 }));
  const connected = new Set<number>();
  clients.forEach((client, i) => client.on('connected', () => connected.add(i)));
  for (const client of clients) {
    client.subscribe<{ registryEvents: { at: string; version: string } }>(
      { query: 'subscription { registryEvents(types: [VERSION_REGISTERED], name: "Fanout") { version at } }' },
      {
        next: ({ data }) => {
          const event = data!.registryEvents;
          arrivals[Number(event.version) - 1]?.push(Date.now() - Date.parse(event.at));
        },
        error: () => undefined,
        complete: () => undefined,
      },
    );
  }
  while (connected.size < SUBSCRIBERS) await sleep(50);
  await sleep(1_000); // every subscribe message handled
  const during = rssKb(gateway.pid);
  for (let round = 0; round < ROUNDS; round++) {
    await gateway.gql('mutation { registerVersion(name: "Fanout") { version } }');
    while (arrivals[round]!.length < SUBSCRIBERS) await sleep(5);
    await sleep(50);
  }
  const all = arrivals.flat().sort((a, b) => a - b);
  console.log(`fan-out: ${SUBSCRIBERS} subscribers x ${ROUNDS} events = ${all.length} arrivals; commit-to-arrival p50 ${quantile(all, 0.5)} ms, p99 ${quantile(all, 0.99)} ms, max ${all.at(-1)} ms`);
  console.log(`gateway RSS: ${(before / 1024).toFixed(1)} MB before, ${(during / 1024).toFixed(1)} MB with subscribers: ${((during - before) / SUBSCRIBERS).toFixed(1)} kB per subscriber`);
  await Promise.all(clients.map((c) => c.dispose()));
  await gateway.stop();
  rmSync(dir, { recursive: true, force: true });
}

async function outbox(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'modelgate-bench-outbox-'));
  let received = 0;
  const receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received++;
      res.end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  const port = (receiver.address() as AddressInfo).port;
  process.env.MODELGATE_BENCH_SECRET = 'bench-secret';
  const gateway = await startGateway(dir, [`webhooks:`, `  - { id: bench, url: "http://127.0.0.1:${port}/hook", secretEnv: MODELGATE_BENCH_SECRET }`]);
  await sleep(1_000);
  // Ten models, so ten deliveries can be in flight at once (one at a time per model keeps order).
  const started = Date.now();
  for (let i = 0; i < DELIVERIES; i++) await gateway.gql(`mutation { registerVersion(name: "Hook${i % 10}") { version } }`);
  const written = Date.now();
  while (received < DELIVERIES) await sleep(10);
  const done = Date.now();
  console.log(`webhook outbox: ${DELIVERIES} events written in ${written - started} ms; all delivered ${done - started} ms after the first write: ${((DELIVERIES * 1000) / (done - started)).toFixed(0)} deliveries/s (writes included)`);
  await gateway.stop();
  receiver.close();
  rmSync(dir, { recursive: true, force: true });
}

console.log(`load average: ${loadavg().map((l) => l.toFixed(2)).join(' ')} (${process.platform}, node ${process.version})`);
await fanOut();
await outbox();
console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
