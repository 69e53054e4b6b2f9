import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  headers: IncomingMessage['headers'];
  body: string;
  /** What the receiver answered (0: it never answered). */
  answered: number;
}

/** A webhook receiver on 127.0.0.1 whose answer to each request is decided by `answer` (null: hang). */
export async function startReceiver(answer: (request: Received, index: number) => number | null, port = 0) {
  const received: Received[] = [];
  const hanging: ServerResponse[] = [];
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const entry: Received = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), answered: 0 };
    received.push(entry);
    const status = answer(entry, received.length - 1);
    if (status === null) {
      hanging.push(res);
      return;
    }
    entry.answered = status;
    res.statusCode = status;
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}/hook`,
    port: address.port,
    received,
    /** Requests answered 2xx, as parsed events. */
    delivered: () => received.filter((r) => r.answered >= 200 && r.answered < 300).map((r) => JSON.parse(r.body) as { seq: number; type: string; model: string; version: string | null }),
    async stop() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export async function eventually<T>(read: () => Promise<T> | T, done: (value: T) => boolean, ms = 30_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() - started > ms) throw new Error(`not reached in ${ms} ms; last: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
