import { createServer } from 'node:net';
import { scaled } from '../time-scale.ts';

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Polls `url` until it answers 2xx, the process dies, or time runs out (`timeoutMs` times MODELGATE_TEST_TIME_SCALE). */
export async function waitForHttp(url: string, timeoutMs: number, isAlive: () => string | null): Promise<void> {
  const deadline = Date.now() + scaled(timeoutMs);
  let last = '';
  while (Date.now() < deadline) {
    const died = isAlive();
    if (died) throw new Error(died);
    try {
      const response = await fetch(url);
      if (response.ok) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not come up within ${scaled(timeoutMs)} ms (last: ${last})`);
}
