import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalRegistry } from '../../adapters/local/index.ts';
import { postGraphQL, startTestGateway, type TestGateway } from '../support/gateway.ts';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const KEYS = { admin: 'key-copy-admin-5e1d', churn: 'key-copy-churn-editor-90b2', viewer: 'key-copy-viewer-3a77' };
const COPY = `mutation ($from: VersionRefInput!, $to: ModelRefInput!, $dryRun: Boolean, $strict: Boolean) {
  copyVersion(from: $from, to: $to, dryRun: $dryRun, strict: $strict) {
    status version { registry name version semver tags { key value } metrics { key value } }
    planned { name source tags { key value } } transformed { field key to reason } dropped { field key reason } } }`;
const MIGRATE = 'mutation ($from: ModelSourceInput!, $to: ModelRefInput!) { migrateModel(from: $from, to: $to) { id status total } }';

describe('copyVersion and migrateModel over GraphQL', () => {
  let test: TestGateway;
  const as = (key: keyof typeof KEYS, query: string, variables?: Record<string, unknown>) => postGraphQL(test.url, query, variables, { authorization: `Bearer ${KEYS[key]}` });

  beforeAll(async () => {
    test = await startTestGateway({
      config: {
        auth: {
          apiKeys: [
            { name: 'ada', sha256: sha256(KEYS.admin), grants: [{ role: 'admin' }] },
            { name: 'cher', sha256: sha256(KEYS.churn), grants: [{ role: 'editor', models: ['churn*'] }] },
            { name: 'vera', sha256: sha256(KEYS.viewer), grants: [{ role: 'viewer' }] },
          ],
        },
      } as never,
      adapters: (dir) => [new LocalRegistry({ id: 'laptop', path: join(dir, 'laptop.db') }), new LocalRegistry({ id: 'team', path: join(dir, 'team.db') })],
    });
    for (const name of ['churn', 'fraud']) {
      const { body } = await as('admin', 'mutation ($n: String!) { registerVersion(registry: "laptop", name: $n, source: "s3://a/1", tags: [{key: "team", value: "growth"}], metrics: [{key: "auc", value: 0.8}]) { version } }', { n: name });
      expect(body.errors).toBeUndefined();
    }
  }, 120_000);
  afterAll(() => test?.stop());

  it('copies with everything a client reads: the copy, its origin tag, its metrics, the plan', async () => {
    const { body } = await as('admin', COPY, { from: { registry: 'laptop', name: 'churn', version: '1' }, to: { registry: 'team' } });
    expect(body.errors).toBeUndefined();
    expect(body.data.copyVersion).toMatchObject({
      status: 'CREATED',
      version: { registry: 'team', name: 'churn', version: '1', semver: '1.0.0', metrics: [{ key: 'auc', value: 0.8 }] },
      planned: { name: 'churn', source: 's3://a/1' },
      transformed: [],
      dropped: [],
    });
    expect(body.data.copyVersion.version.tags).toContainEqual({ key: 'modelgate.copied_from', value: 'laptop:models:/churn/1' });
  });

  it('refuses bad input with a code and changes nothing: a lone surrogate in the target name, an unknown registry', async () => {
    const surrogate = await as('admin', COPY, { from: { registry: 'laptop', name: 'churn', version: '1' }, to: { registry: 'team', name: 'x\uD800' } });
    expect(surrogate.status).toBeLessThan(500);
    expect(surrogate.body.errors![0].extensions.code).toBe('INVALID_INPUT');
    const unknown = await as('admin', COPY, { from: { registry: 'nowhere', name: 'churn', version: '1' }, to: { registry: 'team' } });
    expect(unknown.body.errors![0].extensions.code).toBe('NOT_FOUND');
    expect(JSON.stringify(unknown.body)).not.toContain('    at ');
    const { body } = await as('admin', '{ models(registry: "team") { nodes { name } } }');
    expect(body.data.models.nodes).toEqual([{ name: 'churn' }]);
  });

  it('a caller scoped to churn* cannot copy fraud (NOT_FOUND, as if absent) nor follow a migration of it; a viewer cannot copy at all', async () => {
    const fraud = await as('churn', COPY, { from: { registry: 'laptop', name: 'fraud', version: '1' }, to: { registry: 'team', name: 'churn-fraud' } });
    expect(fraud.body.errors![0].extensions.code).toBe('NOT_FOUND');
    const viewer = await as('viewer', COPY, { from: { registry: 'laptop', name: 'churn', version: '1' }, to: { registry: 'team', name: 'churn-2' } });
    expect(viewer.body.errors![0].extensions.code).toBe('FORBIDDEN');
    const started = await as('admin', MIGRATE, { from: { registry: 'laptop', name: 'fraud' }, to: { registry: 'team' } });
    const id = started.body.data.migrateModel.id;
    const seen = await as('churn', 'query ($id: String!) { migration(id: $id) { id } }', { id });
    expect(seen.body).toEqual({ data: { migration: null } });
    const admin = await as('admin', 'query ($id: String!) { migration(id: $id) { id total } }', { id });
    expect(admin.body.data.migration).toMatchObject({ id, total: 1 });
  });

  it('every copy and refusal is in the audit log', async () => {
    const { body } = await as('admin', '{ auditLog(registry: "team", first: 200) { action result model } }');
    const copies = body.data.auditLog.filter((e: { action: string }) => e.action === 'copyVersion' || e.action === 'migrateModel');
    expect(copies).toContainEqual({ action: 'copyVersion', result: 'OK', model: 'churn' });
    expect(copies).toContainEqual({ action: 'copyVersion', result: 'FORBIDDEN', model: 'churn-2' });
    expect(copies).toContainEqual({ action: 'migrateModel', result: 'OK', model: 'fraud' });
  });
});
