import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKey } from '../support/api-keys.ts';
import { LocalRegistry } from '../../adapters/local/index.ts';
import { resolveConfig } from '../../src/server/config.ts';
import { startGateway } from '../../src/server/gateway.ts';
import { postGraphQL, startTestGateway, type TestGateway } from '../support/gateway.ts';

const KEYS = {
  viewer: 'key-viewer-7f3a1c',
  editor: 'key-editor-99b2e0',
  approver: 'key-approver-c41d88',
  admin: 'key-admin-0a6e5f',
  churnEditor: 'key-churn-editor-5d2b71',
};
/** Opens approval requests for the matrix, so no role under test approves its own. */
const REQUESTER = 'key-requester-e8f301';

/** Every mutation, and which roles may run it (scoped editor: only on Churn* models). */
const MUTATIONS: { name: string; query: string; allowed: (keyof typeof KEYS)[] }[] = [
  { name: 'createModel', query: 'mutation { createModel(name: "Other-$n") { name } }', allowed: ['editor', 'admin'] },
  { name: 'createModel (Churn)', query: 'mutation { createModel(name: "Churn-$n") { name } }', allowed: ['editor', 'admin', 'churnEditor'] },
  { name: 'registerVersion', query: 'mutation { registerVersion(name: "Churn", source: "s3://m") { version } }', allowed: ['editor', 'admin', 'churnEditor'] },
  { name: 'updateModel', query: 'mutation { updateModel(name: "Churn", description: "d") { name } }', allowed: ['editor', 'admin', 'churnEditor'] },
  { name: 'updateVersion', query: 'mutation { updateVersion(name: "Churn", version: "1", description: "d") { version } }', allowed: ['editor', 'admin', 'churnEditor'] },
  { name: 'setTags', query: 'mutation { setTags(name: "Churn", version: "1", tags: [{ key: "k", value: "v" }]) { model { name } } }', allowed: ['editor', 'admin', 'churnEditor'] },
  { name: 'deleteTags', query: 'mutation { deleteTags(name: "Churn", version: "1", keys: ["k"]) { model { name } } }', allowed: ['editor', 'admin', 'churnEditor'] },
  { name: 'setAlias', query: 'mutation { setAlias(name: "Churn", alias: "champion", version: "1") { version } }', allowed: ['editor', 'admin', 'churnEditor'] },
  { name: 'deleteAlias', query: 'mutation { deleteAlias(name: "Churn", alias: "champion") { name } }', allowed: ['editor', 'admin', 'churnEditor'] },
  { name: 'promote to STAGING', query: 'mutation { promote(name: "Churn", version: "1", targetStage: STAGING) { status } }', allowed: ['editor', 'admin', 'churnEditor'] },
  { name: 'promote to PRODUCTION', query: 'mutation { promote(name: "Churn", version: "1", targetStage: PRODUCTION) { status } }', allowed: ['approver', 'admin'] },
  { name: 'rollback', query: 'mutation { rollback(name: "Churn", reason: "r") { rule } }', allowed: ['approver', 'admin'] },
  { name: 'checkDegradation (auto)', query: 'mutation { checkDegradation(name: "Churn", metric: "m", observed: 1, autoRollback: true) { degraded } }', allowed: ['approver', 'admin'] },
  { name: 'transitionStage', query: 'mutation { transitionStage(name: "Churn", version: "1", stage: STAGING) { version { stage } } }', allowed: ['admin'] },
  { name: 'renameModel', query: 'mutation { renameModel(name: "Churn-x", newName: "Churn-y") { name } }', allowed: ['admin'] },
  { name: 'deleteVersion', query: 'mutation { deleteVersion(name: "Churn", version: "99") { version } }', allowed: ['admin'] },
  { name: 'deleteModel', query: 'mutation { deleteModel(name: "Churn-gone") }', allowed: ['admin'] },
  { name: 'approve', query: 'mutation { approve(id: "$approval") { request { status } } }', allowed: ['approver', 'admin'] },
  { name: 'reject', query: 'mutation { reject(id: "$approval", reason: "no") { status } }', allowed: ['approver', 'admin'] },
];

describe('API keys and roles', () => {
  let test: TestGateway;
  let approval = '';
  const as = (role: keyof typeof KEYS, query: string) => postGraphQL(test.url, query, undefined, { authorization: `Bearer ${KEYS[role]}` });
  /** One request is open per version and stage: clear the queue so the next promotion opens a request of its own. */
  const clearQueue = async () => {
    const requester = { authorization: `Bearer ${REQUESTER}` };
    const { body } = await postGraphQL(test.url, '{ approvalRequests(name: "Churn") { id } }', undefined, requester);
    for (const { id } of body.data.approvalRequests as { id: string }[]) await postGraphQL(test.url, `mutation { reject(id: "${id}", reason: "next cell") { status } }`, undefined, requester);
  };

  beforeAll(async () => {
    test = await startTestGateway({
      config: {
        auth: {
          apiKeys: [
            apiKey('vera', KEYS.viewer, 'viewer'),
            apiKey('ed', KEYS.editor, 'editor'),
            apiKey('april', KEYS.approver, 'approver'),
            apiKey('ada', KEYS.admin, 'admin'),
            apiKey('cher', KEYS.churnEditor, 'editor', ['Churn*']),
            apiKey('rey', REQUESTER, 'admin'),
          ],
        },
        policies: [{ models: 'Churn', stage: 'PRODUCTION', approvals: 1 }],
      } as never,
      adapters: (dir) => [new LocalRegistry({ id: 'local', path: join(dir, 'local.db') })],
    });
    await as('admin', 'mutation { registerVersion(name: "Churn", source: "s3://m") { version } }');
    await as('admin', 'mutation { createModel(name: "Churn-x") { name } }');
  });
  afterAll(() => test.stop());

  it('refuses a missing or unknown key with 401 UNAUTHENTICATED, naming no secret', async () => {
    const missing = await postGraphQL(test.url, '{ registries { id } }');
    expect(missing.status).toBe(401);
    expect(missing.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const wrong = await postGraphQL(test.url, '{ registries { id } }', undefined, { authorization: 'Bearer key-wrong-000000' });
    expect(wrong.status).toBe(401);
    expect(JSON.stringify(wrong.body)).not.toContain('key-wrong-000000');
  });

  it('lets every role read', async () => {
    for (const role of Object.keys(KEYS) as (keyof typeof KEYS)[]) {
      const { body } = await as(role, '{ model(name: "Churn") { name } registries { id } }');
      expect([role, body.errors]).toEqual([role, undefined]);
    }
  });

  it.each(MUTATIONS)('$name: allowed exactly for its roles', async ({ query, allowed }) => {
    for (const role of Object.keys(KEYS) as (keyof typeof KEYS)[]) {
      if (query.includes('$approval')) {
        await clearQueue();
        const opened = await postGraphQL(test.url, 'mutation { promote(name: "Churn", version: "1", targetStage: PRODUCTION) { approvalRequest { id } } }', undefined, {
          authorization: `Bearer ${REQUESTER}`,
        });
        approval = opened.body.data?.promote?.approvalRequest?.id ?? approval;
      }
      const { body } = await as(role, query.replace('$n', role).replace('$approval', approval));
      const code = body.errors?.[0]?.extensions?.code ?? 'OK';
      expect([role, code === 'FORBIDDEN' ? 'FORBIDDEN' : 'ALLOWED']).toEqual([role, allowed.includes(role) ? 'ALLOWED' : 'FORBIDDEN']);
    }
  });

  it('scopes grants to model globs, in lists too', async () => {
    await as('admin', 'mutation { createModel(name: "Fraud") { name } }');
    const { body } = await as('churnEditor', '{ models(first: 50) { nodes { name } } }');
    const names: string[] = body.data.models.nodes.map((m: { name: string }) => m.name);
    expect(names.length).toBeGreaterThan(0);
    expect(names.every((n) => n.startsWith('Churn'))).toBe(true);
    // Out of scope looks like absent: null, as for a model that does not exist.
    const hidden = await as('churnEditor', '{ model(name: "Fraud") { name } }');
    expect(hidden.body).toEqual({ data: { model: null } });
  });

  it('records the authenticated principal in the audit log, and keeps keys out of logs', async () => {
    const { body } = await as('admin', '{ auditLog(name: "Churn", first: 200) { principal action result } }');
    const principals = new Set(body.data.auditLog.map((e: { principal: string }) => e.principal));
    expect(principals).toContain('ada');
    expect(principals).toContain('ed');
    const logs = test.logs.join('\n');
    for (const key of [...Object.values(KEYS), REQUESTER]) expect(logs).not.toContain(key);
  });

  it('needs a second approver: the requester cannot approve their own request', async () => {
    await clearQueue();
    const opened = await as('approver', 'mutation { promote(name: "Churn", version: "1", targetStage: PRODUCTION) { approvalRequest { id requestedBy } } }');
    const id = opened.body.data.promote.approvalRequest.id;
    expect(opened.body.data.promote.approvalRequest.requestedBy).toBe('april');
    const self = await as('approver', `mutation { approve(id: "${id}") { request { status } } }`);
    expect(self.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const other = await as('admin', `mutation { approve(id: "${id}") { request { status decidedBy } } }`);
    expect(other.body.data.approve.request).toEqual({ status: 'APPROVED', decidedBy: 'ada' });
  });
});

describe('OIDC tokens verified against a JWKS', () => {
  let jwks: Server;
  let jwksUrl: string;
  let test: TestGateway;
  type SigningKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  let privateKey: SigningKey;
  let otherKey: SigningKey;

  const token = (claims: Record<string, unknown>, options: { key?: SigningKey; audience?: string; issuer?: string; expires?: string } = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
      .setSubject(String(claims.sub ?? 'dana@example.com'))
      .setIssuer(options.issuer ?? 'https://issuer.test')
      .setAudience(options.audience ?? 'modelgate')
      .setIssuedAt()
      .setExpirationTime(options.expires ?? '5m')
      .sign(options.key ?? privateKey);

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    privateKey = pair.privateKey;
    otherKey = (await generateKeyPair('RS256')).privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
    jwks = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`;
    test = await startTestGateway({
      config: { auth: { jwt: { jwksUrl, issuer: 'https://issuer.test', audience: 'modelgate', rolesClaim: 'roles' } } } as never,
      adapters: (dir) => [new LocalRegistry({ id: 'local', path: join(dir, 'local.db') })],
    });
  });
  afterAll(async () => {
    await test.stop();
    await new Promise((r) => jwks.close(r));
  });

  const call = async (bearer: string, query: string) => postGraphQL(test.url, query, undefined, { authorization: `Bearer ${bearer}` });

  it('accepts a valid token and takes grants from the roles claim', async () => {
    const editor = await token({ roles: ['editor:local:Churn*'] });
    const created = await call(editor, 'mutation { createModel(name: "Churn-jwt") { name } }');
    expect(created.body.data?.createModel.name).toBe('Churn-jwt');
    const elsewhere = await call(editor, 'mutation { createModel(name: "Fraud-jwt") { name } }');
    expect(elsewhere.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const audit = await call(await token({ roles: 'admin' }), '{ auditLog(name: "Churn-jwt") { principal } }');
    expect(audit.body.data.auditLog[0].principal).toBe('dana@example.com');
  });

  it.each([
    ['expired', () => token({ roles: ['admin'] }, { expires: '-10m' })],
    ['for another audience', () => token({ roles: ['admin'] }, { audience: 'someone-else' })],
    ['from another issuer', () => token({ roles: ['admin'] }, { issuer: 'https://evil.test' })],
    ['signed by an unknown key', () => token({ roles: ['admin'] }, { key: otherKey })],
  ])('refuses a token %s with 401', async (_label, make) => {
    const bad = await make();
    const { status, body } = await call(bad, '{ registries { id } }');
    expect(status).toBe(401);
    expect(body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(test.logs.join('\n')).not.toContain(bad);
  });

  it('refuses an unsigned token', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify({ sub: 'x', roles: ['admin'], iss: 'https://issuer.test', aud: 'modelgate' })).toString('base64url');
    const { status } = await call(`${header}.${payload}.sig`, '{ registries { id } }');
    expect(status).toBe(401);
  });
});

describe('safe defaults', () => {
  it('refuses to bind a non-loopback address without authentication, saying why', async () => {
    const config = resolveConfig({ server: { host: '0.0.0.0', port: 0 } });
    await expect(startGateway(config)).rejects.toThrow(/without authentication/);
  });

  it('serves loopback without authentication, every caller an administrator, and says so', async () => {
    const test = await startTestGateway();
    try {
      const { body } = await postGraphQL(test.url, 'mutation { createModel(name: "open") { name } }');
      expect(body.data.createModel.name).toBe('open');
      expect(test.logs.some((line) => line.includes('no authentication configured'))).toBe(true);
    } finally {
      await test.stop();
    }
  });
});
