import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalRegistry } from '../../adapters/local/index.ts';
import { MlflowRegistry } from '../../adapters/mlflow/index.ts';
import { SageMakerRegistry } from '../../adapters/sagemaker/index.ts';
import { VertexRegistry } from '../../adapters/vertex/index.ts';
import { rpcClient } from '../../adapters/vertex/rpc.ts';
import { ErrorCode, RegistryError, withResilience, type CallContext, type RegistryAdapter } from '../../src/core/index.ts';
import { resolveConfig } from '../../src/server/config.ts';
import { GatewayMetrics } from '../../src/server/metrics.ts';
import { createRegistries } from '../../src/server/registries.ts';
import { expectCode } from '../contract/adapter-contract.ts';
import { standinClientOptions } from '../support/vertex/vertex-client.ts';
import { startVertexStandin } from '../support/vertex/vertex-standin.ts';
import { scaled, until } from '../support/time-scale.ts';

type Behaviour = 'ok' | 'down' | 'hang' | 'refuse';

/**
 * A backend whose getModel and createModel answer as told, counting the calls that reach it and
 * recording whether each call's signal aborted (a hung call settles only when it is cancelled).
 */
function stubBackend() {
  const state = { behaviour: 'ok' as Behaviour, calls: 0, aborted: 0, settled: 0 };
  const base = new LocalRegistry({ id: 'stub', path: ':memory:' });
  const answer = async (context: CallContext | undefined, value: unknown) => {
    state.calls++;
    try {
      if (state.behaviour === 'down') throw new RegistryError(ErrorCode.BACKEND_UNAVAILABLE, 'refused');
      if (state.behaviour === 'refuse') throw new RegistryError(ErrorCode.NOT_FOUND, 'no such model');
      if (state.behaviour === 'hang') {
        // Hangs until the call's signal aborts, as a transport that heeds it does.
        await new Promise<void>((resolve) => context?.signal.addEventListener('abort', () => resolve(), { once: true }));
        state.aborted++;
        throw new RegistryError(ErrorCode.BACKEND_UNAVAILABLE, 'cancelled');
      }
      return value;
    } finally {
      state.settled++;
    }
  };
  const view = (context?: CallContext): RegistryAdapter =>
    new Proxy(base, {
      get(target, property, receiver) {
        if (property === 'getModel') return async () => answer(context, { name: 'm' });
        if (property === 'createModel') return async () => answer(context, { name: 'm' });
        if (property === 'withCall') return (next: CallContext) => view(next);
        return Reflect.get(target, property, receiver);
      },
    });
  return { adapter: view(), state };
}

describe('the circuit breaker', () => {
  it('lets exactly one of 10 concurrent calls through after the cooldown; the others fail fast', async () => {
    const { adapter, state } = stubBackend();
    const registry = withResilience(adapter, { deadlineMs: 300, failureThreshold: 2, cooldownMs: 200 });
    state.behaviour = 'down';
    for (let i = 0; i < 2; i++) await expectCode(registry.getModel('m'), ErrorCode.BACKEND_UNAVAILABLE);
    const open = await expectCode(registry.getModel('m'), ErrorCode.BACKEND_UNAVAILABLE);
    expect(open.message).toContain('circuit open');
    expect(state.calls).toBe(2);

    await sleep(250);
    state.behaviour = 'hang';
    const started = Date.now();
    const settledAt: number[] = [];
    const calls = Array.from({ length: 10 }, (_, i) =>
      registry.getModel('m').then(
        () => 'answered',
        (error: RegistryError) => ((settledAt[i] = Date.now() - started), error),
      ),
    );
    const outcomes = await Promise.all(calls);
    expect(state.calls).toBe(3);
    const fastFailures = outcomes.filter((e) => e instanceof RegistryError && e.message.includes('circuit open'));
    expect(fastFailures).toHaveLength(9);
    for (const error of outcomes) expect((error as RegistryError).code).toBe(ErrorCode.BACKEND_UNAVAILABLE);
    // The nine did not wait for the probe, which took the whole deadline.
    const probeSettled = settledAt[outcomes.findIndex((e) => !(e as RegistryError).message.includes('circuit open'))]!;
    expect(probeSettled).toBeGreaterThanOrEqual(250);
    expect(settledAt.filter((ms) => ms < probeSettled)).toHaveLength(9);

    // The probe failed: open again, then a healthy probe closes the circuit for everyone.
    await expectCode(registry.getModel('m'), ErrorCode.BACKEND_UNAVAILABLE);
    expect(state.calls).toBe(3);
    await sleep(250);
    state.behaviour = 'ok';
    expect(await registry.getModel('m')).toEqual({ name: 'm' });
    const after = await Promise.all(Array.from({ length: 10 }, () => registry.getModel('m')));
    expect(after).toHaveLength(10);
    expect(state.calls).toBe(14);
  });

  it('counts only BACKEND_UNAVAILABLE, and any answer from the backend resets the count', async () => {
    const { adapter, state } = stubBackend();
    const registry = withResilience(adapter, { deadlineMs: 300, failureThreshold: 2, cooldownMs: 60_000 });
    for (let round = 0; round < 3; round++) {
      state.behaviour = 'down';
      await expectCode(registry.getModel('m'), ErrorCode.BACKEND_UNAVAILABLE);
      state.behaviour = 'refuse';
      await expectCode(registry.getModel('m'), ErrorCode.NOT_FOUND);
    }
    expect(state.calls).toBe(6);
    const refusal = new LocalRegistry({ id: 'strict', path: ':memory:' });
    const strict = withResilience(refusal, { deadlineMs: 300, failureThreshold: 1, cooldownMs: 60_000 });
    for (let i = 0; i < 3; i++) await expectCode(strict.setAlias('nope', 'a', '1'), ErrorCode.NOT_FOUND);
  });
});

describe('the deadline', () => {
  it('cancels the call: its signal aborts and the adapter call settles', async () => {
    const { adapter, state } = stubBackend();
    const registry = withResilience(adapter, { deadlineMs: 200, failureThreshold: 5, cooldownMs: 1000 });
    state.behaviour = 'hang';
    const error = await expectCode(registry.getModel('m'), ErrorCode.BACKEND_UNAVAILABLE);
    expect(error.message).toContain('did not answer getModel within 200 ms');
    expect(error.outcome).toBeUndefined();
    // Polled, not slept: on a loaded machine the abort can take more than a few ms to settle the call.
    expect(await until(() => state.settled === 1, 5_000)).toBe(true);
    expect(state).toMatchObject({ calls: 1, aborted: 1, settled: 1 });
  });

  it('answers at the deadline even when the adapter cannot cancel', async () => {
    const base = new LocalRegistry({ id: 'stuck', path: ':memory:' });
    const deaf = new Proxy(base, {
      get: (target, property, receiver) => (property === 'getModel' ? () => new Promise(() => undefined) : Reflect.get(target, property, receiver)),
    });
    const registry = withResilience(deaf, { deadlineMs: 150, failureThreshold: 5, cooldownMs: 1000 });
    const started = Date.now();
    await expectCode(registry.getModel('x'), ErrorCode.BACKEND_UNAVAILABLE);
    // The adapter never answers: any bound proves the deadline, a generous one survives a loaded machine.
    expect(Date.now() - started).toBeLessThan(scaled(10_000));
  });

  it('on an in-process adapter (no withCall): a hung write is UNKNOWN at the deadline, and its failures open the circuit', async () => {
    const base = new LocalRegistry({ id: 'inproc', path: ':memory:' });
    let behaviour: 'hang' | 'down' = 'hang';
    let calls = 0;
    const inProcess: RegistryAdapter = new Proxy(base, {
      get: (target, property, receiver) =>
        property === 'createModel'
          ? () => (calls++, behaviour === 'hang' ? new Promise(() => undefined) : Promise.reject(new RegistryError(ErrorCode.BACKEND_UNAVAILABLE, 'disk gone')))
          : Reflect.get(target, property, receiver),
    });
    expect(inProcess.withCall).toBeUndefined();
    const registry = withResilience(inProcess, { deadlineMs: 150, failureThreshold: 2, cooldownMs: 60_000 });
    const late = await expectCode(registry.createModel({ name: 'm' }), ErrorCode.BACKEND_UNAVAILABLE);
    expect(late.outcome).toBe('UNKNOWN');
    expect(late.message).toContain('did not answer createModel within 150 ms');
    behaviour = 'down';
    await expectCode(registry.createModel({ name: 'm' }), ErrorCode.BACKEND_UNAVAILABLE);
    const open = await expectCode(registry.createModel({ name: 'm' }), ErrorCode.BACKEND_UNAVAILABLE);
    expect(open.message).toContain('circuit open');
    expect(calls).toBe(2);
    // Reads that answer at once still answer through the same wrapper, refusals unchanged.
    const fresh = withResilience(new LocalRegistry({ id: 'ok', path: ':memory:' }), { deadlineMs: 150, failureThreshold: 1, cooldownMs: 60_000 });
    expect(await fresh.getModel('absent')).toBeNull();
    await expectCode(fresh.setAlias('absent', 'a', '1'), ErrorCode.NOT_FOUND);
    expect((await fresh.createModel({ name: 'm' })).name).toBe('m');
  });

  it('says a write past its deadline has an UNKNOWN outcome; a write refused by an open circuit does not', async () => {
    const { adapter, state } = stubBackend();
    const registry = withResilience(adapter, { deadlineMs: 150, failureThreshold: 1, cooldownMs: 60_000 });
    state.behaviour = 'hang';
    const late = await expectCode(registry.createModel({ name: 'm' }), ErrorCode.BACKEND_UNAVAILABLE);
    expect(late.outcome).toBe('UNKNOWN');
    expect(late.message).toContain('may have been applied');
    const refused = await expectCode(registry.createModel({ name: 'm' }), ErrorCode.BACKEND_UNAVAILABLE);
    expect(refused.message).toContain('circuit open');
    expect(refused.outcome).toBeUndefined();
    expect(state.calls).toBe(1);
  });
});

/** A TCP server on 127.0.0.1 that accepts connections and never answers, recording what it sees. */
async function hungPeer() {
  const sockets = new Set<Socket>();
  const seen = { requests: [] as string[], closed: 0 };
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', (chunk) => {
      for (const line of String(chunk).split('\r\n')) if (/^(GET|POST|PATCH|DELETE) /.test(line)) seen.requests.push(line);
    });
    socket.on('close', () => (seen.closed++, sockets.delete(socket)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  return { url, seen, stop };
}


describe('against a real hung MLflow peer', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  async function hungMlflow(resilience: { deadlineMs: number; failureThreshold: number; cooldownMs: number }) {
    const peer = await hungPeer();
    // MLflow's own timeout is far longer than the deadline: only cancellation can close the socket in time.
    const mlflow = new MlflowRegistry({ id: 'hung', trackingUri: peer.url, readAttempts: 1, timeoutMs: 60_000 });
    cleanups.push(peer.stop, () => mlflow.close());
    return { peer, registry: withResilience(mlflow, resilience) };
  }

  it('closes the connection at the deadline: the request is cancelled on the wire', async () => {
    const { peer, registry } = await hungMlflow({ deadlineMs: 1_000, failureThreshold: 5, cooldownMs: 1000 });
    const error = await expectCode(registry.getModel('m'), ErrorCode.BACKEND_UNAVAILABLE);
    expect(error.registry).toBe('hung');
    expect(peer.seen.requests).toHaveLength(1);
    // Well before MLflow's own 60 s timeout; undici may open a spare connection, but sends nothing more.
    expect(await until(() => peer.seen.closed >= 1, 10_000)).toBe(true);
    await sleep(200);
    expect(peer.seen.requests).toHaveLength(1);
  });

  it('cancels a write on the wire and says its outcome is UNKNOWN', async () => {
    const { peer, registry } = await hungMlflow({ deadlineMs: 1_000, failureThreshold: 5, cooldownMs: 1000 });
    const error = await expectCode(registry.createModel({ name: 'm' }), ErrorCode.BACKEND_UNAVAILABLE);
    expect(error.outcome).toBe('UNKNOWN');
    expect(peer.seen.requests).toEqual([expect.stringContaining('POST /api/2.0/mlflow/registered-models/')]);
    expect(await until(() => peer.seen.closed >= 1, 10_000)).toBe(true);
  });

  it('as the gateway wires it (config, metrics, resilience): the deadline from the config closes the connection', async () => {
    const peer = await hungPeer();
    const metrics = new GatewayMetrics();
    const config = resolveConfig(
      { registries: [{ id: 'hung', kind: 'mlflow', trackingUri: peer.url, readAttempts: 1, timeoutMs: 60_000, resilience: { deadlineMs: 500 } }] },
      { dataDir: '/nonexistent' },
    );
    const registries = await createRegistries(config, {}, metrics);
    cleanups.push(peer.stop, () => registries.get('hung').close?.() ?? Promise.resolve());
    const error = await expectCode(registries.get('hung').createModel({ name: 'm' }), ErrorCode.BACKEND_UNAVAILABLE);
    expect(error).toMatchObject({ registry: 'hung', outcome: 'UNKNOWN' });
    expect(error.message).toContain('within 500 ms');
    expect(await until(() => peer.seen.closed >= 1, 10_000)).toBe(true);
    expect(await metrics.registry.metrics()).toMatch(/modelgate_registry_calls_total\{registry="hung",method="createModel",result="BACKEND_UNAVAILABLE"\} 1/);
  });

  it('after the cooldown, 10 concurrent calls send exactly one request to the hung peer', async () => {
    const { peer, registry } = await hungMlflow({ deadlineMs: 1_000, failureThreshold: 1, cooldownMs: 300 });
    await expectCode(registry.getModel('m'), ErrorCode.BACKEND_UNAVAILABLE);
    expect(peer.seen.requests).toHaveLength(1);
    await sleep(350);
    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => registry.getModel(`m${i}`)));
    expect(outcomes.every((o) => o.status === 'rejected' && (o.reason as RegistryError).code === ErrorCode.BACKEND_UNAVAILABLE)).toBe(true);
    await sleep(100);
    expect(peer.seen.requests).toEqual([expect.stringContaining('GET '), expect.stringContaining('GET /api/2.0/mlflow/registered-models/get?name=m0 ')]);
    expect(await until(() => peer.seen.closed >= 2, 10_000)).toBe(true);
  });
});

describe('each transport gives up on a write honestly', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  it('MLflow: its own timeout on a write is UNKNOWN, on a read it is not', async () => {
    const peer = await hungPeer();
    const mlflow = new MlflowRegistry({ id: 'hung', trackingUri: peer.url, readAttempts: 1, timeoutMs: 300 });
    cleanups.push(peer.stop, () => mlflow.close());
    const write = await expectCode(mlflow.createModel({ name: 'm' }), ErrorCode.BACKEND_UNAVAILABLE);
    expect(write.outcome).toBe('UNKNOWN');
    const read = await expectCode(mlflow.getModel('m'), ErrorCode.BACKEND_UNAVAILABLE);
    expect(read.outcome).toBeUndefined();
  });

  it('SageMaker: the deadline aborts the request on the wire; the SDK request timeout on a write is UNKNOWN', async () => {
    const seen: string[] = [];
    let closed = 0;
    // Answers reads as "no such group" and never answers a write.
    const server = createHttpServer((req, res) => {
      const target = String(req.headers['x-amz-target'] ?? '');
      seen.push(target);
      req.socket.once('close', () => closed++);
      req.resume();
      if (target.endsWith('.CreateModelPackageGroup') || target.endsWith('.ListModelPackageGroups')) return;
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ __type: 'ValidationException', message: 'Model Package Group does not exist' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const make = (timeoutMs: number) =>
      new SageMakerRegistry({ id: 'sm', region: 'us-east-1', endpoint, maxAttempts: 1, timeoutMs, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    const patient = make(60_000);
    const impatient = make(300);
    cleanups.push(async () => {
      await patient.close();
      await impatient.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    // Two SDK calls must fit before the deadline: on a loaded machine 1 s saw only the first, so it scales.
    const registry = withResilience(patient, { deadlineMs: scaled(3_000), failureThreshold: 5, cooldownMs: 1000 });
    const late = await expectCode(registry.createModel({ name: 'm' }), ErrorCode.BACKEND_UNAVAILABLE);
    expect(late.outcome).toBe('UNKNOWN');
    expect(seen).toEqual(['SageMaker.DescribeModelPackageGroup', 'SageMaker.CreateModelPackageGroup']);
    expect(await until(() => closed >= 1, 10_000)).toBe(true);

    const own = await expectCode(impatient.createModel({ name: 'n' }), ErrorCode.BACKEND_UNAVAILABLE);
    expect(own.outcome).toBe('UNKNOWN');
    const read = await expectCode(impatient.listModels({}, { first: 1 }), ErrorCode.BACKEND_UNAVAILABLE);
    expect(read.outcome).toBeUndefined();
  });

  it('Vertex: the gRPC deadline is capped at what is left, the RPC is cancelled at the deadline, a write timeout is UNKNOWN', async () => {
    const seen: { method: string; timeout?: number; cancelled: boolean }[] = [];
    const gax = (method: string, code: number) => (_request: unknown, options: { timeout?: number }) => {
      const entry = { method, timeout: options.timeout, cancelled: false };
      seen.push(entry);
      let fail: (error: unknown) => void = () => undefined;
      const pending = new Promise((_, reject) => (fail = reject)) as Promise<unknown> & { cancel: () => void };
      pending.cancel = () => ((entry.cancelled = true), fail(Object.assign(new Error('1 CANCELLED: Cancelled on client'), { code: 1 })));
      if (code) setTimeout(() => fail(Object.assign(new Error('4 DEADLINE_EXCEEDED'), { code })), 20);
      return pending;
    };
    const controller = new AbortController();
    const fake = { getModel: gax('getModel', 0), updateModel: gax('updateModel', 0) } as never;
    const client = rpcClient(fake, 'vx', { signal: controller.signal, deadline: Date.now() + 500 }) as unknown as Record<string, (r: unknown, o: unknown) => Promise<unknown>>;
    const pending = client.getModel!({}, { timeout: 30_000 });
    setTimeout(() => controller.abort(), 50);
    const cancelled = await expectCode(pending, ErrorCode.BACKEND_UNAVAILABLE);
    expect(seen[0]).toMatchObject({ method: 'getModel', cancelled: true });
    expect(seen[0]!.timeout).toBeLessThanOrEqual(500);
    expect(cancelled.outcome).toBeUndefined();
    await expectCode(client.updateModel!({}, { timeout: 30_000 }), ErrorCode.BACKEND_UNAVAILABLE);
    expect(seen).toHaveLength(1); // past the deadline nothing more is sent

    const own = rpcClient({ updateModel: gax('updateModel', 4), getModel: gax('getModel', 4) } as never, 'vx') as unknown as Record<string, (r: unknown, o: unknown) => Promise<unknown>>;
    expect((await expectCode(own.updateModel!({}, { timeout: 10 }), ErrorCode.BACKEND_UNAVAILABLE)).outcome).toBe('UNKNOWN');
    expect((await expectCode(own.getModel!({}, { timeout: 10 }), ErrorCode.BACKEND_UNAVAILABLE)).outcome).toBeUndefined();
  });

  it('Vertex: a hung stand-in answers at the deadline through the real gRPC client', async () => {
    const standin = await startVertexStandin();
    const vertex = new VertexRegistry({ id: 'vx', project: 'test-project', location: 'us-central1', clientOptions: standinClientOptions(standin), timeoutMs: 60_000 });
    cleanups.push(async () => {
      await vertex.close();
      await standin.stop();
    });
    const registry = withResilience(vertex, { deadlineMs: 500, failureThreshold: 5, cooldownMs: 1000 });
    standin.faults.hangMs = 3_000;
    const started = Date.now();
    const error = await expectCode(registry.getModel('m'), ErrorCode.BACKEND_UNAVAILABLE);
    expect(Date.now() - started).toBeLessThan(scaled(2_000));
    expect(error.message).toContain('within 500 ms');
    expect(standin.calls.get('ListModels')).toBe(1);
    // Loading Google's client and protos took over 60 s on a loaded machine.
  }, scaled(240_000));
});
