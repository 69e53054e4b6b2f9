import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalRegistry } from '../../adapters/local/index.ts';
import type { RegistryAdapter } from '../../src/core/index.ts';
import { postGraphQL, startTestGateway, type TestGateway } from '../support/gateway.ts';

/** A request with any Host header (fetch cannot set Host), sent to the gateway's real address. */
function raw(url: string, options: { host: string; method?: string; headers?: Record<string, string>; body?: string }) {
  const target = new URL(url);
  return new Promise<{ status: number; body: any }>((resolve, reject) => {
    const req = request(
      { hostname: target.hostname, port: target.port, path: target.pathname, method: options.method ?? 'POST', headers: { ...options.headers, host: options.host } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const json = (query: string) => JSON.stringify({ query });
const modelNamed = async (url: string, name: string) => (await postGraphQL(url, `{ model(name: "${name}") { name } }`)).body.data.model;

const unhealthy = (inner: RegistryAdapter): RegistryAdapter =>
  new Proxy(inner, {
    get: (target, property, receiver) =>
      property === 'health' ? async () => ({ ok: false, latencyMs: 1, message: 'disk on fire' }) : Reflect.get(target, property, receiver),
  });

describe('HTTP surface', () => {
  let test: TestGateway;
  let base: string;

  beforeAll(async () => {
    test = await startTestGateway({
      config: { server: { corsOrigins: ['http://localhost:3000'], bodyLimitBytes: 4096 } as never },
      adapters: (dir) => [
        new LocalRegistry({ id: 'local', path: join(dir, 'local.db') }),
        unhealthy(new LocalRegistry({ id: 'flaky', path: join(dir, 'flaky.db') })),
      ],
    });
    base = test.url.replace(/\/graphql$/, '');
  });
  afterAll(() => test.stop());

  it('answers /healthz while the process is up', async () => {
    const response = await fetch(`${base}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('answers /readyz with 503 and the failing registry when one is down', async () => {
    const response = await fetch(`${base}/readyz`);
    expect(response.status).toBe(503);
    const body = (await response.json()) as { registries: { id: string; ok: boolean; message?: string }[] };
    expect(body.registries).toEqual([
      expect.objectContaining({ id: 'local', ok: true }),
      expect.objectContaining({ id: 'flaky', ok: false, message: 'disk on fire' }),
    ]);
  });

  it('lets an allowed browser origin call, with a preflight', async () => {
    const preflight = await fetch(test.url, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('content-type');
    const call = await postGraphQL(test.url, '{ registries { id } }', undefined, { origin: 'http://localhost:3000' });
    expect(call.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
  });

  it('gives other origins no CORS permission', async () => {
    const preflight = await fetch(test.url, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(403);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses a body over the limit with 413 and INVALID_INPUT', async () => {
    const { status, body } = await postGraphQL(test.url, `{ registries { id } } # ${'x'.repeat(5000)}`);
    expect(status).toBe(413);
    expect(body.errors?.[0]?.extensions?.code).toBe('INVALID_INPUT');
  });

  it('refuses a body that is not JSON with 400 and INVALID_INPUT', async () => {
    const response = await fetch(test.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
    expect(response.status).toBe(400);
    expect(((await response.json()) as any).errors[0].extensions.code).toBe('INVALID_INPUT');
  });

  it('blocks a simple cross-site GET (CSRF prevention) and serves a proper one', async () => {
    const blocked = await fetch(`${test.url}?query=${encodeURIComponent('{ registries { id } }')}`);
    expect(blocked.status).toBe(400);
    const allowed = await fetch(`${test.url}?query=${encodeURIComponent('{ registries { id } }')}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(allowed.status).toBe(200);
  });

  it('answers unknown paths with 404', async () => {
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });

  describe('Host and Origin (no auth: loopback only)', () => {
    const port = () => new URL(test.url).port;

    it('refuses a DNS-rebound page: Host attacker.example with a matching Origin creates nothing', async () => {
      const host = `attacker.example:${port()}`;
      const response = await raw(test.url, {
        host,
        headers: { 'content-type': 'application/json', origin: `http://${host}` },
        body: json('mutation { createModel(name: "Rebound") { name } }'),
      });
      expect(response.status).toBe(421);
      expect(response.body.errors[0].extensions).toEqual({ code: 'FORBIDDEN', reason: 'HOST_NOT_ALLOWED' });
      expect(await modelNamed(test.url, 'Rebound')).toBeNull();
    });

    it('answers localhost, 127.0.0.1 and [::1] on the bound port only', async () => {
      for (const name of ['localhost', '127.0.0.1', '[::1]', 'LOCALHOST']) {
        const response = await raw(test.url, { host: `${name}:${port()}`, headers: { 'content-type': 'application/json' }, body: json('{ registries { id } }') });
        expect(response.status, name).toBe(200);
      }
      for (const host of [`localhost:${Number(port()) + 1}`, 'localhost', `127.0.0.2:${port()}`, `localhost.attacker.example:${port()}`]) {
        const response = await raw(test.url, { host, headers: { 'content-type': 'application/json' }, body: json('{ registries { id } }') });
        expect(response.status, host).toBe(421);
      }
    });

    it('keeps /healthz open to any Host (probes), but not /metrics', async () => {
      expect((await raw(test.url.replace('/graphql', '/healthz'), { host: 'pod.internal:8080', method: 'GET' })).status).toBe(200);
      expect((await raw(test.url.replace('/graphql', '/metrics'), { host: 'attacker.example', method: 'GET' })).status).toBe(421);
    });

    it('refuses a cross-site form post and any form-encoded body; neither creates a model', async () => {
      const host = `127.0.0.1:${port()}`;
      const form = await raw(test.url, {
        host,
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
        body: `query=${encodeURIComponent('mutation { createModel(name: "Formed") { name } }')}`,
      });
      expect(form.status).toBe(403);
      expect(form.body.errors[0].extensions).toEqual({ code: 'FORBIDDEN', reason: 'ORIGIN_NOT_ALLOWED' });
      for (const type of ['text/plain', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded']) {
        // Even from an allowed origin, and with the header that passes Apollo's CSRF check.
        const response = await raw(test.url, {
          host,
          headers: { 'content-type': type, origin: 'http://localhost:3000', 'apollo-require-preflight': 'true' },
          body: json('mutation { createModel(name: "Formed") { name } }'),
        });
        expect(response.status, type).toBe(415);
        expect(response.body.errors[0].extensions.code).toBe('INVALID_INPUT');
      }
      expect(await modelNamed(test.url, 'Formed')).toBeNull();
    });

    it('runs a browser mutation only from an allowed Origin or the gateway itself', async () => {
      const refused = await postGraphQL(test.url, 'mutation { createModel(name: "Crossed") { name } }', undefined, { origin: 'https://evil.example' });
      expect(refused.status).toBe(403);
      expect(await modelNamed(test.url, 'Crossed')).toBeNull();
      const opaque = await postGraphQL(test.url, 'mutation { createModel(name: "Crossed") { name } }', undefined, { origin: 'null' });
      expect(opaque.status).toBe(403);
      const allowed = await postGraphQL(test.url, 'mutation { createModel(name: "Allowed") { name } }', undefined, { origin: 'http://localhost:3000' });
      expect(allowed.body.data.createModel.name).toBe('Allowed');
      const same = await postGraphQL(test.url, 'mutation { createModel(name: "SameOrigin") { name } }', undefined, { origin: new URL(test.url).origin });
      expect(same.body.data.createModel.name).toBe('SameOrigin');
    });
  });

  describe('Host with auth (server.allowedHosts)', () => {
    const KEY = 'mg-test-host-key';
    const auth = { apiKeys: [{ name: 'ops', sha256: createHash('sha256').update(KEY).digest('hex'), grants: [{ role: 'viewer' }] }] };
    const call = (url: string, host: string) =>
      raw(url, { host, headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` }, body: json('{ registries { id } }') });

    it('answers any Host by default and only the listed ones when configured', async () => {
      const open = await startTestGateway({ config: { auth } as never });
      const listed = await startTestGateway({ config: { auth, server: { allowedHosts: ['modelgate.internal', 'edge.example:8443'] } } as never });
      try {
        expect((await call(open.url, 'anything.example')).status).toBe(200);
        expect((await call(listed.url, 'modelgate.internal')).status).toBe(200);
        expect((await call(listed.url, 'MODELGATE.internal:4000')).status).toBe(200);
        expect((await call(listed.url, 'edge.example:8443')).status).toBe(200);
        const refused = await call(listed.url, 'edge.example:9999');
        expect(refused.status).toBe(421);
        expect(refused.body.errors[0].extensions).toEqual({ code: 'FORBIDDEN', reason: 'HOST_NOT_ALLOWED' });
        expect((await call(listed.url, 'attacker.example')).status).toBe(421);
      } finally {
        await open.stop();
        await listed.stop();
      }
    });
  });

  describe('the log', () => {
    const broken = (inner: RegistryAdapter): RegistryAdapter =>
      new Proxy(inner, {
        get: (target, property, receiver) =>
          property === 'getModel'
            ? async () => {
                throw new Error('disk on fire');
              }
            : Reflect.get(target, property, receiver),
      });

    it('logs client mistakes at info with the request id and no stack; only INTERNAL at error', async () => {
      const logged = await startTestGateway({ adapters: (dir) => [broken(new LocalRegistry({ id: 'local', path: join(dir, 'local.db') }))] });
      try {
        const mistakes: [string, Record<string, unknown> | undefined][] = [
          ['{ registries { id ', undefined],
          ['{ nosuchfield }', undefined],
          ['query($n: Int!) { models(first: $n) { nodes { name } } }', { n: 'many' }],
          ['{ models(first: 100000) { nodes { name } } }', undefined],
        ];
        for (const [index, [query, variables]] of mistakes.entries()) {
          const response = await postGraphQL(logged.url, query, variables, { 'x-request-id': `mistake-${index}` });
          expect(response.body.errors?.[0].extensions.code).toBe('INVALID_INPUT');
        }
        const internal = await postGraphQL(logged.url, '{ model(name: "m") { name } }', undefined, { 'x-request-id': 'fault-1' });
        expect(internal.body.errors?.[0].extensions.code).toBe('INTERNAL');
        const entries = logged.logs.map((line) => JSON.parse(line) as { level: number; requestId?: string; msg: string; err?: { stack?: string }; code?: string });
        for (let index = 0; index < mistakes.length; index++) {
          const mine = entries.filter((e) => e.requestId === `mistake-${index}` && e.msg !== 'request');
          expect(mine.length, `mistake ${index}`).toBeGreaterThan(0);
          expect(mine.every((e) => e.level === 30 && e.err === undefined && !JSON.stringify(e).includes('    at ')), `mistake ${index}`).toBe(true);
        }
        const fault = entries.filter((e) => e.requestId === 'fault-1' && e.level === 50);
        expect(fault).toHaveLength(1);
        expect(fault[0]!.err?.stack).toContain('disk on fire');
      } finally {
        await logged.stop();
      }
    });
  });
});
