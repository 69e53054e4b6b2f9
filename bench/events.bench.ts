/**
 * npm run bench:events [-- --subscribers 1000 --rounds 20 --deliveries 300]
 *
 * 1. Fan-out: one gateway process (embedded store) with N graphql-ws subscribers; each round one
 *    mutation, and the time from the event's commit (its `at`) to its arrival at every
 *    subscriber. Prints p50/p99 over all arrivals, and the gateway's RSS per subscriber
 *    (its VmRSS with N subscribers minus before, over N).
 *    --profile DIR writes the gateway's CPU profile into DIR. --baseline TREE (another checkout,
 *    e.g. /work/main) runs the same fan-out against that tree's gateway, alternating with this one
 *    --repeat times, so the two are compared side by side at the same load.
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

const { values } = parseArgs({ options: { subscribers: { type: 'string', default: '1000' }, rounds: { type: 'string', default: '20' }, deliveries: { type: 'string', default: '300' }, profile: { type: 'string' }, baseline: { type: 'string' }, repeat: { type: 'string', default: '1' } } });
const SUBSCRIBERS = Number(values.subscribers);
const ROUNDS = Number(values.rounds);
const DELIVERIES = Number(values.deliveries);

const rssKb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
/** CPU milliseconds a process has used (user + system), from /proc. */
const cpuMs = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ 100)
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

async function startGateway(dir: string, extra: string[], tree = process.cwd()) {
  const port = await freePort();
  const config = join(dir, 'modelgate.yaml');
  writeFileSync(config, ['log: { level: error }', `dataDir: ${dir}`, ...extra].join('\n'));
    // --profile DIR writes the gateway's CPU profile there (open it in Chrome DevTools).
  const profile = values.profile ? ['--cpu-prof', '--cpu-prof-dir', values.profile] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', 'src/server/main.ts', '--config', config, '--port', String(port)], { stdio: ['ignore', 'inherit', 'inherit'], cwd: tree, env: { ...process.env, MODELGATE_CONFIG: '' } });
  const url = `http://127.0.0.1:${port}/graphql`;
  for (let i = 0; i < 600; i++) {
    if (await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false)) break;
    await sleep(100);
  }
  const gql = (query: string) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) }).then((r) => r.json());
  return { url, pid: child.pid!, gql, stop: () => new Promise<void>((r) => (child.once('exit', () => r()), child.kill('SIGTERM'))) };
}

interface FanOut {
  p50: number;
  p99: number;
  max: number;
  kbPerSubscriber: number;
  gatewayUs: number;
  /** The writer's own wait: the mutation's HTTP round trip, median over rounds (a fan-out that holds the event loop delays it). */
  mutationMs: number;
}

async function fanOut(tree: string): Promise<FanOut> {
  const dir = mkdtempSync(join(tmpdir(), 'modelgate-bench-events-'));
  const gateway = await startGateway(dir, [], tree);
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
  const gatewayCpu = cpuMs(gateway.pid);
  const clientsCpu = process.cpuUsage();
  const mutationMs: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const sent = performance.now();
    await gateway.gql('mutation { registerVersion(name: "Fanout") { version } }');
    mutationMs.push(performance.now() - sent);
    while (arrivals[round]!.length < SUBSCRIBERS) await sleep(5);
    await sleep(50);
  }
  const all = arrivals.flat().sort((a, b) => a - b);
  // CPU per delivered event, gateway and clients apart: on 2 cores the clients' share is not the gateway's cost.
  const perDelivery = (ms: number) => ((ms * 1000) / all.length).toFixed(0);
  const clientsUsed = process.cpuUsage(clientsCpu);
  const gatewayUs = perDelivery(cpuMs(gateway.pid) - gatewayCpu);
  console.log(`CPU per delivery (rounds incl. the mutations and 50 ms idle each): gateway ${gatewayUs} µs, bench clients ${perDelivery((clientsUsed.user + clientsUsed.system) / 1000)} µs`);
  console.log(`fan-out (${tree}): ${SUBSCRIBERS} subscribers x ${ROUNDS} events = ${all.length} arrivals; commit-to-arrival p50 ${quantile(all, 0.5)} ms, p99 ${quantile(all, 0.99)} ms, max ${all.at(-1)} ms; the mutation's own round trip ${median(mutationMs).toFixed(1)} ms (median); load ${loadavg()[0]!.toFixed(2)}`);
  console.log(`gateway RSS: ${(before / 1024).toFixed(1)} MB before, ${(during / 1024).toFixed(1)} MB with subscribers: ${((during - before) / SUBSCRIBERS).toFixed(1)} kB per subscriber`);
  await Promise.all(clients.map((c) => c.dispose()));
  await gateway.stop();
  rmSync(dir, { recursive: true, force: true });
  return { p50: quantile(all, 0.5), p99: quantile(all, 0.99), max: all.at(-1)!, kbPerSubscriber: (during - before) / SUBSCRIBERS, gatewayUs: Number(gatewayUs), mutationMs: median(mutationMs) };
}

async function compareFanOut(): Promise<void> {
  const trees = values.baseline ? [process.cwd(), values.baseline] : [process.cwd()];
  const runs = new Map<string, FanOut[]>(trees.map((t) => [t, []]));
  for (let i = 0; i < Number(values.repeat); i++) {
    // Alternate which tree goes first, so neither always meets the warmer (or busier) machine.
    for (const tree of i % 2 ? [...trees].reverse() : trees) runs.get(tree)!.push(await fanOut(tree));
  }
  console.log('| tree | p50 ms | p99 ms (median of runs) | p99 per run | gateway CPU µs per delivery | mutation round trip ms | kB per subscriber |');
  console.log('|---|---:|---:|---|---:|---:|---:|');
  for (const [tree, r] of runs) {
    console.log(`| ${tree} | ${median(r.map((x) => x.p50))} | ${median(r.map((x) => x.p99))} | ${r.map((x) => x.p99).join(', ')} | ${median(r.map((x) => x.gatewayUs))} | ${median(r.map((x) => x.mutationMs)).toFixed(1)} | ${median(r.map((x) => x.kbPerSubscriber)).toFixed(1)} |`);
  }
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
await compareFanOut();
if (DELIVERIES > 0) await outbox();
console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
