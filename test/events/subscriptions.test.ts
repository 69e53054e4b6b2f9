import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { postGraphQL, startTestGateway, type TestGateway } from '../support/gateway.ts';
import { caller, startKeyedGateway } from './keyed-gateway.ts';
import { subscribe, subscriptionError, wsClient, type StreamedEvent } from './support.ts';

const ADMIN = 'admin-key-0123456789';
const SCOPED = 'scoped-key-0123456789';

describe('registryEvents over graphql-ws (embedded store)', () => {
  let test: TestGateway;
  const { request: mutate, register } = caller(() => test, ADMIN);

  beforeAll(async () => {
    test = await startKeyedGateway({ admin: ADMIN, scoped: SCOPED });
  });
  afterAll(() => test?.stop());

  it('streams typed events, never one outside the grants, and resumes exactly after a seq', async () => {
    const admin = wsClient(test.url, { key: ADMIN });
    const scoped = wsClient(test.url, { key: SCOPED });
    const everything = subscribe(admin);
    const mine = subscribe(scoped);
    const onlyStages = subscribe(admin, { types: ['STAGE_CHANGED'] });
    // Subscriptions start at the live head once acknowledged; give the sockets time to be subscribed.
    await new Promise((r) => setTimeout(r, 500));

    await register('TeamAChurn');
    await register('Secret');
    await mutate('mutation { setAlias(name: "TeamAChurn", alias: "champion", version: "1") { version } }');
    await mutate('mutation { transitionStage(name: "TeamAChurn", version: "1", stage: STAGING) { version { stage } } }');
    await mutate('mutation { transitionStage(name: "Secret", version: "1", stage: STAGING) { version { stage } } }');
    await mutate('mutation { setTags(name: "TeamAChurn", version: "1", tags: [{ key: "owner", value: "a" }]) { version { version } } }');
    // A refused call is audited but is no event.
    await postGraphQL(test.url, 'mutation { transitionStage(name: "TeamAChurn", version: "9", stage: STAGING) { version { stage } } }', {}, { authorization: `Bearer ${ADMIN}` });

    const all = await everything.until(6);
    expect(all.map((e) => [e.type, e.model, e.version])).toEqual([
      ['VERSION_REGISTERED', 'TeamAChurn', '1'],
      ['VERSION_REGISTERED', 'Secret', '1'],
      ['ALIAS_CHANGED', 'TeamAChurn', '1'],
      ['STAGE_CHANGED', 'TeamAChurn', '1'],
      ['STAGE_CHANGED', 'Secret', '1'],
      ['TAGS_CHANGED', 'TeamAChurn', '1'],
    ]);
    expect(all.every((e, i) => i === 0 || e.seq > all[i - 1]!.seq)).toBe(true);
    expect(all[3]).toMatchObject({ registry: 'local', principal: 'ops', before: null, after: { stage: 'STAGING', archived: [] } });
    expect(all[2]!.after).toEqual({ alias: 'champion' });

    const seen = await mine.until(4);
    expect(seen.map((e) => e.model)).toEqual(['TeamAChurn', 'TeamAChurn', 'TeamAChurn', 'TeamAChurn']);
    expect((await onlyStages.until(2)).map((e) => e.model)).toEqual(['TeamAChurn', 'Secret']);
    // Nothing else arrives: the refused call and the out-of-scope events stay out.
    await new Promise((r) => setTimeout(r, 300));
    expect(everything.events).toHaveLength(6);
    expect(mine.events).toHaveLength(4);

    // A client that saw up to the alias change reconnects with after = its seq and gets exactly the rest.
    const resumed = subscribe(wsClient(test.url, { key: ADMIN }), { after: all[2]!.seq });
    expect((await resumed.until(3)).map((e) => e.seq)).toEqual(all.slice(3).map((e) => e.seq));
    await register('TeamAChurn');
    const live = await resumed.until(4);
    expect(live[3]).toMatchObject({ type: 'VERSION_REGISTERED', model: 'TeamAChurn', version: '2' });
    // The scoped caller resuming from 0 replays only what it may see.
    const replay = subscribe(wsClient(test.url, { key: SCOPED }), { after: 0 });
    const replayed = await replay.until(5);
    expect(replayed.every((e: StreamedEvent) => e.model === 'TeamAChurn')).toBe(true);
    for (const s of [everything, mine, onlyStages, resumed, replay]) s.stop();
  });

  it('subscribers alike share an execution yet each gets exactly its own events (grants, variables, after)', async () => {
    const adminSocket = wsClient(test.url, { key: ADMIN });
    const scopedSocket = wsClient(test.url, { key: SCOPED });
    // The same document and variables under two principals, twice each; and per-model variables on one socket.
    const adminAll = [subscribe(adminSocket), subscribe(adminSocket)];
    const scopedAll = [subscribe(scopedSocket), subscribe(scopedSocket)];
    const adminSecret = subscribe(adminSocket, { name: 'GroupSecret' });
    const adminMine = subscribe(adminSocket, { name: 'TeamAGroup' });
    await new Promise((r) => setTimeout(r, 500));
    const start = (await mutate('{ auditLog(first: 200) { seq } }')).auditLog.at(-1)?.seq ?? 0;
    // Resumed from the log: its events are executed in the same groups as the live ones.
    const scopedResumed = subscribe(wsClient(test.url, { key: SCOPED }), { after: start });
    for (let i = 0; i < 3; i++) {
      await register('TeamAGroup');
      await register('GroupSecret');
    }
    const models = (s: { events: StreamedEvent[] }) => s.events.map((e) => `${e.model}/${e.version}`);
    for (const s of adminAll) expect(models({ events: await s.until(6) })).toEqual(['TeamAGroup/1', 'GroupSecret/1', 'TeamAGroup/2', 'GroupSecret/2', 'TeamAGroup/3', 'GroupSecret/3']);
    for (const s of [...scopedAll, scopedResumed]) expect(models({ events: await s.until(3) })).toEqual(['TeamAGroup/1', 'TeamAGroup/2', 'TeamAGroup/3']);
    expect(models({ events: await adminSecret.until(3) })).toEqual(['GroupSecret/1', 'GroupSecret/2', 'GroupSecret/3']);
    expect(models({ events: await adminMine.until(3) })).toEqual(['TeamAGroup/1', 'TeamAGroup/2', 'TeamAGroup/3']);
    await new Promise((r) => setTimeout(r, 300));
    for (const s of [...scopedAll, scopedResumed, adminSecret, adminMine]) expect(s.events).toHaveLength(3);
    for (const s of [...adminAll, ...scopedAll, scopedResumed, adminSecret, adminMine]) s.stop();
  });

  it('authenticates at connection_init with the same API keys', async () => {
    for (const key of ['not-a-key', undefined]) {
      let code = 0;
      const client = wsClient(test.url, { key, onClose: (c) => (code = c) });
      const stream = subscribe(client);
      await expect(stream.until(1, 5_000)).rejects.toThrow();
      expect(code).toBe(4403);
    }
  });

  it('refuses bad subscriptions with coded errors and runs nothing', async () => {
    const client = wsClient(test.url, { key: ADMIN });
    expect((await subscriptionError(client, { after: 1_000_000 })).extensions).toMatchObject({ code: 'INVALID_INPUT', details: { argument: 'after' } });
    expect((await subscriptionError(client, { after: -1 })).extensions).toMatchObject({ code: 'INVALID_INPUT' });
    expect((await subscriptionError(client, { registry: 'nowhere' })).extensions).toMatchObject({ code: 'NOT_FOUND' });
    expect((await subscriptionError(client, { name: 'x\uD800' })).extensions).toMatchObject({ code: 'INVALID_INPUT', details: { argument: '$name' } });
    const scoped = wsClient(test.url, { key: SCOPED });
    expect((await subscriptionError(scoped, { name: 'Secret' })).extensions).toMatchObject({ code: 'NOT_FOUND' });
    const aliases = Array.from({ length: 60 }, (_, i) => `a${i}: seq`).join(' ');
    expect((await subscriptionError(client, {}, `subscription { registryEvents { ${aliases} } }`)).extensions).toMatchObject({ code: 'INVALID_INPUT', reason: 'TOO_MANY_ALIASES' });
    expect((await subscriptionError(client, {}, '{ registries { id } }')).extensions).toMatchObject({ code: 'INVALID_INPUT', reason: 'NOT_A_SUBSCRIPTION' });
    expect((await subscriptionError(client, {}, 'subscription { registryEvents { nope } }')).extensions).toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('refuses a WebSocket upgrade from a foreign Origin or Host', async () => {
    const status = (headers: Record<string, string>) =>
      new Promise<number>((resolve) => {
        const socket = new WebSocket(test.url.replace(/^http/, 'ws'), 'graphql-transport-ws', { headers });
        socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        socket.on('open', () => {
          socket.close();
          resolve(101);
        });
        socket.on('error', () => undefined);
      });
    expect(await status({ origin: 'http://evil.example' })).toBe(403);
    expect(await status({ host: 'evil.example' })).toBe(421);
    expect(await status({})).toBe(101);
  });
});

describe('graceful shutdown with subscribers', () => {
  it('tells every subscriber the server is going away (1001) and stops', async () => {
    const gateway = await startTestGateway();
    let code = 0;
    const stream = subscribe(wsClient(gateway.url, { onClose: (c) => (code = c) }));
    await new Promise((r) => setTimeout(r, 500));
    await postGraphQL(gateway.url, 'mutation { registerVersion(name: "Bye") { version } }');
    await stream.until(1);
    await gateway.stop();
    const started = Date.now();
    while (code === 0 && Date.now() - started < 10_000) await new Promise((r) => setTimeout(r, 20));
    expect(code).toBe(1001);
  });
});
