import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../support/build.ts';
import { freePort, waitForHttp } from '../support/peers/free-port.ts';
import { scaled } from '../support/time-scale.ts';

/** The compiled gateway, default start; `exited` is its exit code. */
async function startCompiled() {
  const dir = mkdtempSync(join(tmpdir(), 'modelgate-ws-sigterm-'));
  const port = await freePort();
  const child = spawn(process.execPath, ['dist/src/server/main.js', '--port', String(port), '--data-dir', join(dir, 'data')], {
    env: { ...process.env, MODELGATE_CONFIG: '', NODE_ENV: '' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const cleanup = () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForHttp(`http://127.0.0.1:${port}/healthz`, 60_000, () => (child.exitCode !== null ? `exited ${child.exitCode}: ${stderr}` : null));
  } catch (error) {
    cleanup();
    throw error;
  }
  return { child, port, exited, stderr: () => stderr, cleanup };
}

/** A raw WebSocket upgrade that, once upgraded, never reads a frame nor answers a close: what it was sent, once it closes. */
function silentUpgrade(port: number) {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  let answer = '';
  let upgraded: () => void;
  const switched = new Promise<void>((resolve) => (upgraded = resolve));
  socket.on('data', (chunk) => {
    answer += chunk.toString('latin1');
    if (answer.startsWith('HTTP/1.1 101')) upgraded();
  });
  socket.write(`GET /graphql HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n`);
  return { switched, closed: new Promise<string>((resolve) => socket.on('close', () => resolve(answer))) };
}

/*
 * SIGTERM drains for server.shutdownGraceMs (10 s) plus a margin, then gives up with exit 1 and
 * leaves the stores unclosed; a WebSocket client must not be able to hold it there.
 */
describe('SIGTERM with WebSocket clients (compiled gateway)', () => {
  beforeAll(() => ensureBuilt(), scaled(600_000));

  it('while the WebSocket server still loads: the waiting upgrades end and the gateway exits 0', { timeout: scaled(120_000) }, async () => {
    const gateway = await startCompiled();
    try {
      const upgrades = Array.from({ length: 3 }, () => silentUpgrade(gateway.port));
      // The upgrades are on the wire and the server is loading (a cold process): stop it now.
      await new Promise((resolve) => setTimeout(resolve, 10));
      gateway.child.kill('SIGTERM');
      expect(await gateway.exited, gateway.stderr()).toBe(0);
      for (const answer of await Promise.all(upgrades.map((u) => u.closed))) expect(answer === '' || answer.startsWith('HTTP/1.1 101'), answer).toBe(true);
    } finally {
      gateway.cleanup();
    }
  });

  it('a connected client that never answers the close does not hold the shutdown past its grace: exit 0', { timeout: scaled(120_000) }, async () => {
    const gateway = await startCompiled();
    try {
      const silent = silentUpgrade(gateway.port);
      await silent.switched;
      gateway.child.kill('SIGTERM');
      // Before the fix ws waited 30 s for its close frame to be answered, the stop outlived grace + margin: exit 1.
      expect(await gateway.exited, gateway.stderr()).toBe(0);
      await silent.closed;
    } finally {
      gateway.cleanup();
    }
  });
});
