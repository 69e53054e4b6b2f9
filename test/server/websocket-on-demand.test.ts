import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';

/** One upgrade attempt: the HTTP status it was refused with, 101 when it opened, or 0 when the socket was just cut. */
function upgrade(httpUrl: string, options: { path?: string; host?: string; origin?: string } = {}): Promise<number> {
  const url = new URL(options.path ?? '/graphql', httpUrl.replace(/^http/, 'ws'));
  return new Promise((resolve) => {
    const socket = new WebSocket(url, 'graphql-transport-ws', { headers: options.host ? { host: options.host } : {}, ...(options.origin && { origin: options.origin }) });
    socket.on('open', () => {
      socket.terminate();
      resolve(101);
    });
    socket.on('unexpected-response', (_req, res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    socket.on('error', () => resolve(0));
  });
}

/*
 * The WebSocket server loads on the first upgrade (src/server/websocket-on-demand.ts). A request
 * that arrives while it loads waits in a queue: the Host and Origin checks (DNS rebinding) and
 * the path must hold for those as for later ones, and shutting down mid-load must not hang or crash.
 */
describe('the WebSocket server loaded on demand, attacked', () => {
  let test: TestGateway | undefined;
  afterEach(async () => {
    await test?.stop();
    test = undefined;
  });

  it('refuses a rebound Host, a foreign Origin and another path as the very first upgrade, and again once loaded', async () => {
    test = await startTestGateway({});
    const port = new URL(test.url).port;
    const attacks = [
      { host: `attacker.example:${port}`, expected: 421 },
      { origin: 'http://attacker.example', expected: 403 },
      { path: '/subscriptions', expected: 404 },
    ];
    // All as the first upgrades, queued while the server loads; then once more against the loaded server.
    for (let round = 0; round < 2; round++) {
      const statuses = await Promise.all(attacks.map(({ expected: _e, ...attack }) => upgrade(test!.url, attack)));
      expect(statuses).toEqual(attacks.map((a) => a.expected));
    }
    expect(await upgrade(test.url, { origin: test.url })).toBe(101);
  });

  it('serves many concurrent first upgrades, each once, with a bad one among them refused', async () => {
    test = await startTestGateway({});
    const port = new URL(test.url).port;
    const statuses = await Promise.all([
      ...Array.from({ length: 40 }, () => upgrade(test!.url)),
      upgrade(test.url, { host: `rebound.example:${port}` }),
    ]);
    expect(statuses).toEqual([...Array(40).fill(101), 421]);
  });

  it('an upgrade that arrives as the gateway shuts down is cut or refused, and the shutdown finishes', async () => {
    test = await startTestGateway({});
    const attempts = Array.from({ length: 5 }, () => upgrade(test!.url));
    await new Promise((resolve) => setImmediate(resolve));
    const stopping = test.stop();
    test = undefined;
    await stopping;
    // Cut, or answered by plain HTTP once no upgrade listener is left (400): never left hanging.
    for (const status of await Promise.all(attempts)) expect([0, 101, 400, 503]).toContain(status);
  });
});
