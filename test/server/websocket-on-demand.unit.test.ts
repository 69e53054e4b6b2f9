import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';

// The WebSocket module loads, but attaching it fails (a bad option, a bug): the on-demand loader must not leak a rejection.
const attachWebSocket = vi.fn(() => {
  throw new Error('attaching failed');
});
vi.mock('../../src/server/websocket.ts', () => ({ attachWebSocket }));
const { attachWebSocketOnDemand } = await import('../../src/server/websocket-on-demand.ts');

/** A raw upgrade request; resolves with what the server answered before it closed. */
function upgrade(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk));
    socket.on('error', () => undefined);
    // An upgrade left hanging (the bug this guards) ends with no answer rather than stalling the run.
    socket.setTimeout(10_000, () => socket.destroy());
    socket.on('close', () => resolve(answer));
    socket.write(`GET /graphql HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  });
}

describe('the on-demand WebSocket loader when attaching fails', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? (server.closeAllConnections(), server.close(() => resolve())) : resolve())));

  it('answers the waiting upgrades 503, leaves no unhandled rejection, and tries again on the next upgrade', async () => {
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    try {
      server = createServer();
      await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      const websocket = attachWebSocketOnDemand({ httpServer: server, log: pino({ level: 'silent' }) } as never);
      expect(await upgrade(port)).toContain('503 Service Unavailable');
      expect(await upgrade(port)).toContain('503 Service Unavailable');
      expect(attachWebSocket).toHaveBeenCalledTimes(2);
      await new Promise((resolve) => setImmediate(resolve));
      expect(rejections).toEqual([]);
      await websocket.close();
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });
});
