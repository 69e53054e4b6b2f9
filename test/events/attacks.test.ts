import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import type { TestGateway } from '../support/gateway.ts';
import { caller, startKeyedGateway } from './keyed-gateway.ts';
// After the gateway's support module, which loads reflect-metadata first.
import { PING_INTERVAL_MS, SLOW_CONSUMER_CLOSE } from '../../src/server/websocket.ts';
import { scaled } from '../support/time-scale.ts';
import { subscribe, subscriptionError, wsClient } from './support.ts';

const ADMIN = 'attack-admin-0123456789';
const SCOPED = 'attack-scoped-0123456789';

/** A raw graphql-transport-ws socket: what a hostile client can send that a well-behaved library never would. */
async function rawSocket(url: string) {
  const socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws');
  const messages: { type: string; id?: string; payload?: unknown }[] = [];
  let closed: { code: number; reason: string } | null = null;
  socket.on('message', (data) => messages.push(JSON.parse(String(data))));
  socket.on('close', (code, reason) => (closed = { code, reason: String(reason) }));
  socket.on('error', () => undefined);
  await new Promise((resolve, reject) => (socket.once('open', resolve), socket.once('error', reject)));
  return {
    socket,
    messages,
    send: (message: unknown) => socket.send(JSON.stringify(message)),
    closed: async (ms = 10_000) => {
      const started = Date.now();
      while (!closed && Date.now() - started < ms) await new Promise((r) => setTimeout(r, 20));
      return closed;
    },
    until: async (match: (m: { type: string; id?: string; payload?: unknown }) => boolean, ms = 10_000) => {
      const started = Date.now();
      for (;;) {
        const found = messages.find(match);
        if (found) return found;
        if (Date.now() - started > ms) throw new Error(`no such message in ${ms} ms: ${JSON.stringify(messages)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}

describe('registryEvents against a hostile ordinary user', () => {
  let test: TestGateway;
  const { register } = caller(() => test, ADMIN);

  beforeAll(async () => {
    test = await startKeyedGateway({ admin: ADMIN, scoped: SCOPED });
  });
  afterAll(() => test?.stop());

  it('refuses connection_init with a non-string or an empty credential, and a subscribe before connection_init', async () => {
    for (const payload of [{ authorization: { toString: 'Bearer x' } }, { authorization: '' }, { authorization: ['Bearer', ADMIN] }, null]) {
      const raw = await rawSocket(test.url);
      raw.send({ type: 'connection_init', payload });
      expect((await raw.closed())?.code).toBe(4403);
    }
    const early = await rawSocket(test.url);
    early.send({ type: 'subscribe', id: '1', payload: { query: 'subscription { registryEvents { seq } }' } });
    expect((await early.closed())?.code).toBe(4401);
  });

  it('a scoped subscriber on a busy registry sees only its models, including models named like prototype keys', async () => {
    const scoped = subscribe(wsClient(test.url, { key: SCOPED }));
    const protoNamed = await subscriptionError(wsClient(test.url, { key: SCOPED }), { name: '__proto__' });
    expect(protoNamed.extensions).toMatchObject({ code: 'NOT_FOUND' });
    await new Promise((r) => setTimeout(r, 500));
    for (let i = 0; i < 40; i++) await register(['Busy', '__proto__', 'constructor', 'TeamAX'][i % 4]!);
    const seen = await scoped.until(10);
    await new Promise((r) => setTimeout(r, 300));
    expect(scoped.events).toHaveLength(10);
    expect(seen.every((e) => e.model === 'TeamAX')).toBe(true);
    expect(seen.map((e) => e.version)).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
    // The administrator following the model named __proto__ gets exactly its events.
    const proto = subscribe(wsClient(test.url, { key: ADMIN }), { name: '__proto__', after: 0 });
    expect((await proto.until(10)).every((e) => e.model === '__proto__')).toBe(true);
    scoped.stop();
    proto.stop();
  });

  it('refuses after that is not a seq: negative, past the head, beyond Int, not a number, as a literal', async () => {
    const client = wsClient(test.url, { key: SCOPED });
    for (const after of [-1, 2 ** 31, 1.5, 'x', '1', true, { $gt: 0 }]) {
      const error = await subscriptionError(client, { after });
      expect(error.extensions?.code, JSON.stringify(after)).toBe('INVALID_INPUT');
    }
    // Lone surrogates and prototype keys as literals in the document, not only as variables.
    expect((await subscriptionError(client, {}, 'subscription { registryEvents(name: "TeamA\\uD800") { seq } }')).extensions).toMatchObject({ code: 'INVALID_INPUT' });
    expect((await subscriptionError(client, {}, 'subscription { registryEvents(types: [__proto__]) { seq } }')).extensions).toMatchObject({ code: 'INVALID_INPUT' });
    expect((await subscriptionError(client, { types: ['constructor'] })).extensions).toMatchObject({ code: 'INVALID_INPUT' });
    for (const literal of ['"x"', '-1', '99999999999', '1e3']) {
      const error = await subscriptionError(client, {}, `subscription { registryEvents(after: ${literal}) { seq } }`);
      expect(error.extensions?.code, literal).toBe('INVALID_INPUT');
    }
  });

  it('refuses documents over the limits: fragments spread many times or nested, too many tokens', async () => {
    const client = wsClient(test.url, { key: SCOPED });
    // Each fragment spreads the one before twice: 2^40 fields if expanded naively.
    const nested = Array.from({ length: 40 }, (_, i) => `fragment F${i + 1} on RegistryEvent { ...F${i} ...F${i} }`).join('\n');
    const doubling = `subscription { registryEvents { ...F40 } }\nfragment F0 on RegistryEvent { seq }\n${nested}`;
    // Counted as written (2^40 fields) by a measure linear in the document: refused, nothing run.
    expect((await subscriptionError(client, {}, doubling)).extensions).toMatchObject({ code: 'INVALID_INPUT', reason: 'QUERY_TOO_COSTLY' });
    // Past the token limit (10,000 by default); below it, repeated spreads merge into one field and cost nothing more.
    const spreads = `subscription { registryEvents { ${'...F '.repeat(6_000)} } } fragment F on RegistryEvent { seq }`;
    expect((await subscriptionError(client, {}, spreads)).extensions).toMatchObject({ code: 'INVALID_INPUT' });
    const cycle = 'subscription { registryEvents { ...A } } fragment A on RegistryEvent { ...B } fragment B on RegistryEvent { ...A }';
    expect((await subscriptionError(client, {}, cycle)).extensions).toMatchObject({ code: 'INVALID_INPUT' });
    const two = 'subscription { registryEvents { seq } other: registryEvents { seq } }';
    expect((await subscriptionError(client, {}, two)).extensions).toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('caps subscriptions per socket and refuses a reused id', async () => {
    const raw = await rawSocket(test.url);
    raw.send({ type: 'connection_init', payload: { authorization: `Bearer ${SCOPED}` } });
    await raw.until((m) => m.type === 'connection_ack');
    for (let i = 1; i <= 101; i++) raw.send({ type: 'subscribe', id: String(i), payload: { query: 'subscription { registryEvents { seq } }' } });
    const refused = (await raw.until((m) => m.type === 'error' && m.id === '101')) as { payload: { extensions: { code: string; reason: string } }[] };
    expect(refused.payload[0]!.extensions).toMatchObject({ code: 'INVALID_INPUT', reason: 'TOO_MANY_SUBSCRIPTIONS' });
    expect(raw.messages.filter((m) => m.type === 'error')).toHaveLength(1);
    // The hundred accepted ones still stream.
    await register('TeamACapped');
    await raw.until((m) => m.type === 'next' && m.id === '100');
    raw.send({ type: 'subscribe', id: '5', payload: { query: 'subscription { registryEvents { seq } }' } });
    expect((await raw.closed())?.code).toBe(4409);
  });

  it('closes a consumer that stops reading with a clear code once it misses a ping', async () => {
    const raw = await rawSocket(test.url);
    raw.send({ type: 'connection_init', payload: { authorization: `Bearer ${SCOPED}` } });
    await raw.until((m) => m.type === 'connection_ack');
    raw.send({ type: 'subscribe', id: 'slow', payload: { query: 'subscription { registryEvents { seq model } }' } });
    await new Promise((r) => setTimeout(r, 300));
    // The client stops reading its TCP socket: pings, events and everything else pile up unread.
    const tcp = (raw.socket as unknown as { _socket: Socket })._socket;
    tcp.pause();
    for (let i = 0; i < 5; i++) await register('TeamASlow');
    await new Promise((r) => setTimeout(r, 2 * PING_INTERVAL_MS + 2_000));
    tcp.resume();
    const closed = await raw.closed();
    expect(closed?.code).toBe(SLOW_CONSUMER_CLOSE);
    expect(closed?.reason).toMatch(/Too slow.*after/);
    // What it did receive is in order; the rest it resumes with after.
    const seqs = raw.messages.filter((m) => m.type === 'next').map((m) => (m.payload as { data: { registryEvents: { seq: number } } }).data.registryEvents.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  }, scaled(60_000));
});
