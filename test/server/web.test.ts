import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureConsoleBuilt } from '../browser/support/console-build.ts';
import { postGraphQL, startTestGateway, type TestGateway } from '../support/gateway.ts';

const HTML = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

describe('the console and GraphiQL served by the gateway', () => {
  let on: TestGateway;
  let off: TestGateway;
  const origin = (gateway: TestGateway) => gateway.url.replace(/\/graphql$/, '');

  beforeAll(async () => {
    await ensureConsoleBuilt();
    [on, off] = await Promise.all([startTestGateway(), startTestGateway({ config: { server: { introspection: false } as never } })]);
  }, 600_000);
  afterAll(async () => {
    await on?.stop();
    await off?.stop();
  });

  it('serves the console at / with a strict CSP (no inline script), and its hashed assets for a year', async () => {
    const page = await fetch(`${origin(on)}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self';");
    expect(csp).not.toContain('unsafe-inline');
    // Style attributes: only the chart's two, by hash.
    expect(csp).toMatch(/style-src 'self' 'unsafe-hashes' 'sha256-[\w+/=]+' 'sha256-[\w+/=]+';/);
    expect(csp).toContain("frame-ancestors 'none'");
    const html = await page.text();
    // Every script is a file of this origin: none inline.
    expect(html.match(/<script\b[^>]*>/g)?.every((tag) => /\bsrc="\/assets\/[\w.-]+\.js"/.test(tag))).toBe(true);
    expect(html).not.toMatch(/<script\b[^>]*>[^<]+<\/script>/);
    const script = /src="(\/assets\/[\w.-]+\.js)"/.exec(html)![1]!;
    const asset = await fetch(`${origin(on)}${script}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await asset.text()).toBe(readFileSync(`dist/web/console${script}`, 'utf8'));
    expect((await fetch(`${origin(on)}/assets/nope.js`)).status).toBe(404);
    expect((await fetch(`${origin(on)}/../package.json`)).status).toBe(404);
    expect((await fetch(`${origin(on)}/%2e%2e/%2e%2e/package.json`)).status).toBe(404);
  });

  it('answers a browser navigating to /graphql (or /graphiql) with GraphiQL built from the package, no CDN', async () => {
    for (const path of ['/graphql', '/graphiql', '/graphiql/']) {
      const page = await fetch(`${origin(on)}${path}`, { headers: HTML });
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const html = await page.text();
      expect(html).toContain('/graphiql/assets/');
      expect(html).not.toMatch(/https?:\/\//);
      expect(page.headers.get('content-security-policy')).toContain("script-src 'self';");
    }
  });

  it('keeps the CSRF protection: a simple GET without the header and without text/html is refused; a POST runs', async () => {
    const simple = await fetch(`${on.url}?query=${encodeURIComponent('{ registries { id } }')}`);
    expect(simple.status).toBe(400);
    expect(await simple.text()).toMatch(/CSRF|preflight/i);
    // A navigation carrying a query is shown in GraphiQL, never run.
    const navigated = await fetch(`${on.url}?query=${encodeURIComponent('mutation { deleteModel(name: "x") }')}`, { headers: HTML });
    expect(await navigated.text()).toContain('<div id="graphiql">');
    expect((await postGraphQL(on.url, '{ viewer { principal } }')).body.data).toEqual({ viewer: { principal: 'anonymous' } });
  });

  it('GraphiQL\'s introspection query passes the depth limit (ofType chains add no depth); nesting through fields is still refused', async () => {
    const full = await postGraphQL(on.url, getIntrospectionQuery({ inputValueDeprecation: true, schemaDescription: true, specifiedByUrl: true, directiveIsRepeatable: true }));
    expect(full.body.errors).toBeUndefined();
    expect(full.body.data.__schema.queryType.name).toBe('Query');
    const nest = (depth: number): string => (depth === 0 ? 'name' : `fields { type { ${nest(depth - 1)} } }`);
    const deep = await postGraphQL(on.url, `{ __schema { types { ${nest(6)} } } }`);
    // Refused all the same (graphql-js's introspection depth rule), with a coded error.
    expect(deep.body.errors?.[0]?.extensions?.code).toBe('INVALID_INPUT');
  });

  it('with introspection off there is no GraphiQL: /graphiql is 404 and /graphql for a browser is the API (CSRF refusal)', async () => {
    const ide = await fetch(`${origin(off)}/graphiql`, { headers: HTML });
    expect(ide.status).toBe(404);
    expect(await ide.text()).toContain('introspection');
    const navigated = await fetch(off.url, { headers: HTML });
    expect(navigated.status).toBe(400);
    expect(await navigated.text()).not.toContain('graphiql');
    // The console itself still serves.
    expect((await fetch(`${origin(off)}/`)).status).toBe(200);
  });

  it('the viewer query names the caller, its grants and what they allow on a model', async () => {
    const { body } = await postGraphQL(on.url, '{ viewer { principal via grants { role registries models actions } permissions(name: "Any") { action allowed reason } } }');
    expect(body.data.viewer.principal).toBe('anonymous');
    expect(body.data.viewer.grants).toEqual([{ role: 'admin', registries: ['*'], models: ['*'], actions: ['read', 'edit', 'promote:staging', 'promote:production', 'approve', 'rollback', 'admin'] }]);
    expect(body.data.viewer.permissions.every((p: { allowed: boolean }) => p.allowed)).toBe(true);
  });

  it('a caller scoped to some models: permissions name what each grant allows, and a model out of sight gets nothing, saying no more', async () => {
    const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
    const scoped = await startTestGateway({
      config: { auth: { apiKeys: [{ name: 'cher', sha256: sha256('key-cher-51a0'), grants: [{ role: 'editor', registries: ['local'], models: ['Churn*'] }] }] } } as never,
    });
    try {
      const ask = async (name: string) => {
        const { body } = await postGraphQL(scoped.url, `{ viewer { principal grants { role models } permissions(name: "${name}") { action allowed reason } } }`, undefined, { authorization: 'Bearer key-cher-51a0' });
        return body.data.viewer as { principal: string; grants: unknown[]; permissions: { action: string; allowed: boolean; reason: string | null }[] };
      };
      const churn = await ask('ChurnX');
      expect(churn.principal).toBe('cher');
      expect(churn.grants).toEqual([{ role: 'editor', models: ['Churn*'] }]);
      const allowed = Object.fromEntries(churn.permissions.map((p) => [p.action, p.allowed]));
      expect(allowed).toEqual({ read: true, edit: true, 'promote:staging': true, 'promote:production': false, approve: false, rollback: false, admin: false });
      expect(churn.permissions.find((p) => p.action === 'approve')!.reason).toBe('cher may not approve on local/ChurnX: no grant gives it');
      const other = await ask('__proto__');
      expect(other.permissions.every((p) => !p.allowed && p.reason === `cher may not ${p.action} on local/__proto__: no grant gives it`)).toBe(true);
      // Without credentials: UNAUTHENTICATED, as for every query.
      expect((await postGraphQL(scoped.url, '{ viewer { principal } }')).status).toBe(401);
    } finally {
      await scoped.stop();
    }
  });
});
