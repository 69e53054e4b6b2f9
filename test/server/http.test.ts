import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalRegistry } from '../../adapters/local/index.ts';
import type { RegistryAdapter } from '../../src/core/index.ts';
import { postGraphQL, startTestGateway, type TestGateway } from '../support/gateway.ts';

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
});
