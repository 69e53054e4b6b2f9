import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/server/config.ts';
import { startGateway } from '../../src/server/gateway.ts';

describe('a gateway that cannot listen', () => {
  let taken: Server;
  let port: number;
  const dataDir = mkdtempSync(join(tmpdir(), 'modelgate-start-'));
  beforeAll(async () => {
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    port = (taken.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => taken.close(resolve));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('fails with the port error and leaves the data directory free for the next start', async () => {
    const log = pino({ level: 'silent' });
    await expect(startGateway(resolveConfig({ server: { port, host: '127.0.0.1' } }, { dataDir }), { log })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    // The same directory on a free port: the failed start released its claim and closed its stores.
    const gateway = await startGateway(resolveConfig({ server: { port: 0, host: '127.0.0.1' } }, { dataDir }), { log });
    const response = await fetch(gateway.url.replace('/graphql', '/healthz'));
    expect(response.status).toBe(200);
    await gateway.stop();
  });
});
