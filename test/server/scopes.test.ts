import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalRegistry } from '../../adapters/local/index.ts';
import { postGraphQL, startTestGateway, type TestGateway } from '../support/gateway.ts';
import { scaled } from '../support/time-scale.ts';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const KEYS = {
  admin: 'key-scope-admin-61c0',
  /** An editor on the 10 `*-churn` models only. */
  churnEditor: 'key-scope-churn-editor-2f9a',
  /** An approver on the 10 `*-churn` models only. */
  churnApprover: 'key-scope-churn-approver-8d13',
  /** A viewer of everything: may read, may not edit. */
  viewer: 'key-scope-viewer-44e7',
};

/** 60 models by name; every sixth is in the scoped callers' scope, so in-scope models are spread through every page. */
const NAMES = Array.from({ length: 60 }, (_, i) => `m-${String(i).padStart(2, '0')}-${i % 6 === 0 ? 'churn' : 'other'}`);
const IN_SCOPE = NAMES.filter((n) => n.endsWith('-churn'));

describe('scoped callers', () => {
  let test: TestGateway;
  const as = (key: keyof typeof KEYS, query: string, variables?: Record<string, unknown>) =>
    postGraphQL(test.url, query, variables, { authorization: `Bearer ${KEYS[key]}` });
  const requests = new Map<string, string>();

  beforeAll(async () => {
    const grant = (role: string, models: string[]) => [{ role, registries: ['*'], models }];
    test = await startTestGateway({
      config: {
        auth: {
          apiKeys: [
            { name: 'ada', sha256: sha256(KEYS.admin), grants: grant('admin', ['*']) },
            { name: 'cher', sha256: sha256(KEYS.churnEditor), grants: grant('editor', ['*-churn']) },
            { name: 'chad', sha256: sha256(KEYS.churnApprover), grants: grant('approver', ['*-churn']) },
            { name: 'vera', sha256: sha256(KEYS.viewer), grants: grant('viewer', ['*']) },
          ],
        },
        policies: [{ models: '*', stage: 'PRODUCTION', approvals: 1 }],
      } as never,
      adapters: (dir) => [new LocalRegistry({ id: 'local', path: join(dir, 'local.db') })],
    });
    for (const name of NAMES) {
      await as('admin', 'mutation ($n: String!) { registerVersion(name: $n, source: "s3://m") { version } }', { n: name });
      const { body } = await as('admin', 'mutation ($n: String!) { promote(name: $n, version: "1", targetStage: PRODUCTION) { approvalRequest { id } } }', { n: name });
      requests.set(name, body.data.promote.approvalRequest.id);
    }
  }, scaled(120_000));
  afterAll(() => test.stop());

  describe('get full pages, and cursors that reach every in-scope item', () => {
    it('models(first: 1) walks all 10 in-scope models among 60, one per page', async () => {
      const seen: string[] = [];
      let after: string | null = null;
      for (let guard = 0; guard < 20; guard++) {
        const { body } = await as('churnEditor', 'query ($after: String) { models(first: 1, after: $after) { nodes { name } pageInfo { hasNextPage endCursor } } }', { after });
        const { nodes, pageInfo } = body.data.models;
        expect(nodes).toHaveLength(1);
        expect(pageInfo.endCursor).not.toBeNull();
        seen.push(nodes[0].name);
        if (!pageInfo.hasNextPage) break;
        after = pageInfo.endCursor;
      }
      expect(seen).toEqual(IN_SCOPE);
    });

    it('models(first: 4) gives pages of 4, 4 and 2, the last saying there is no next page', async () => {
      const sizes: number[] = [];
      let after: string | null = null;
      let more = true;
      while (more) {
        const { body } = await as('churnEditor', 'query ($after: String) { models(first: 4, after: $after) { nodes { name } pageInfo { hasNextPage endCursor } } }', { after });
        sizes.push(body.data.models.nodes.length);
        ({ hasNextPage: more, endCursor: after } = body.data.models.pageInfo);
      }
      expect(sizes).toEqual([4, 4, 2]);
    });

    it('auditLog(first: 1) walks every in-scope event and nothing else', async () => {
      const admin = await as('admin', '{ auditLog(first: 200) { seq model } }');
      const expected = admin.body.data.auditLog.filter((e: { model: string | null }) => e.model?.endsWith('-churn')).map((e: { seq: number }) => e.seq);
      // Each in-scope change is an intent and an outcome event; more than one page's worth either way.
      expect(expected.length).toBeGreaterThan(10);
      const seen: number[] = [];
      let after = 0;
      for (let guard = 0; guard < 40; guard++) {
        const { body } = await as('churnEditor', 'query ($after: Int) { auditLog(first: 1, after: $after) { seq model } }', { after });
        if (body.data.auditLog.length === 0) break;
        expect(body.data.auditLog).toHaveLength(1);
        seen.push(body.data.auditLog[0].seq);
        after = body.data.auditLog[0].seq;
      }
      expect(seen).toEqual(expected);
      const five = await as('churnEditor', '{ auditLog(first: 5, after: 6) { seq } }');
      expect(five.body.data.auditLog).toHaveLength(5);
    });

    it('approvalRequests(first: 1) walks all 10 in-scope requests, newest first', async () => {
      const seen: string[] = [];
      let after: string | null = null;
      for (let guard = 0; guard < 20; guard++) {
        const { body } = await as('churnApprover', 'query ($after: ID) { approvalRequests(first: 1, after: $after) { id model } }', { after });
        if (body.data.approvalRequests.length === 0) break;
        expect(body.data.approvalRequests).toHaveLength(1);
        seen.push(body.data.approvalRequests[0].model);
        after = body.data.approvalRequests[0].id;
      }
      expect(seen).toEqual([...IN_SCOPE].reverse());
    });

    it('refuses an approval cursor from outside the scope as it refuses a made-up one', async () => {
      const outside = await as('churnApprover', 'query ($after: ID) { approvalRequests(first: 1, after: $after) { id } }', { after: requests.get('m-01-other') });
      const unknown = await as('churnApprover', 'query ($after: ID) { approvalRequests(first: 1, after: $after) { id } }', { after: 'no-such-request' });
      expect(outside.body.errors?.[0]).toEqual(unknown.body.errors?.[0]);
      expect(unknown.body.errors?.[0]?.extensions?.code).toBe('INVALID_INPUT');
    });
  });

  describe('see out-of-scope models exactly as missing ones', () => {
    const hidden = 'm-01-other';
    // In scope but missing (a name of its own per case, as refusals on it are audited): what an out-of-scope model must look like.
    const ghostFor = (label: string) => `ghost-${label}-churn`;
    /** An answer with the model's name swapped for a placeholder, to compare a hidden model with a missing one. */
    const shape = (body: unknown, name: string) => JSON.parse(JSON.stringify(body).replaceAll(name, 'NAME')) as unknown;

    it.each([
      ['model', 'query ($n: String!) { model(name: $n) { name } }'],
      ['modelVersion', 'query ($n: String!) { modelVersion(name: $n, version: "1") { version } }'],
      ['resolveVersion', 'query ($u: String!) { resolveVersion(uri: $u) { version } }'],
      ['compareVersions', 'query ($n: String!) { compareVersions(name: $n) { metrics } }'],
      ['bestVersion', 'query ($n: String!) { bestVersion(name: $n, metric: "accuracy") { value } }'],
      ['checkDegradation', 'mutation ($n: String!) { checkDegradation(name: $n, metric: "accuracy", observed: 0.5) { degraded } }'],
      ['evaluateGates', 'query ($n: String!) { evaluateGates(name: $n, version: "1", targetStage: STAGING) { passed } }'],
      ['compareRegistries', 'query ($n: String!) { compareRegistries(name: $n) { registry found versionCount } }'],
      ['auditLog', 'query ($n: String!) { auditLog(name: $n) { seq } }'],
      ['approvalRequests', 'query ($n: String!) { approvalRequests(name: $n) { id } }'],
      ['setTags', 'mutation ($n: String!) { setTags(name: $n, version: "1", tags: [{ key: "k", value: "v" }]) { model { name } } }'],
      ['updateVersion', 'mutation ($n: String!) { updateVersion(name: $n, version: "1", description: "d") { version } }'],
      ['promote', 'mutation ($n: String!) { promote(name: $n, version: "1", targetStage: STAGING) { status } }'],
      ['deleteAlias', 'mutation ($n: String!) { deleteAlias(name: $n, alias: "a") { name } }'],
    ])('%s', async (label, query) => {
      const ghost = ghostFor(label);
      const variables = (name: string) => (query.includes('$u') ? { u: `models:/${name}/1` } : { n: name });
      const outOfScope = await as('churnEditor', query, variables(hidden));
      const missing = await as('churnEditor', query, variables(ghost));
      expect(missing.body.errors?.[0]?.extensions?.code ?? 'NO ERROR').not.toBe('FORBIDDEN');
      expect(shape(outOfScope.body, hidden)).toEqual(shape(missing.body, ghost));
      // The model is really there: an administrator sees it.
      expect((await as('admin', '{ model(name: "m-01-other") { name } }')).body.data.model).toEqual({ name: hidden });
    });

    it('approve and reject of an out-of-scope request answer as for an unknown id, and approvalRequest is null', async () => {
      const id = requests.get(hidden)!;
      for (const mutation of ['approve(id: $id) { request { status } }', 'reject(id: $id, reason: "no") { status }']) {
        const outOfScope = await as('churnApprover', `mutation ($id: ID!) { ${mutation} }`, { id });
        const unknown = await as('churnApprover', `mutation ($id: ID!) { ${mutation} }`, { id: 'no-such-request' });
        expect(outOfScope.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
        expect(shape(outOfScope.body, id)).toEqual(shape(unknown.body, 'no-such-request'));
        expect(JSON.stringify(outOfScope.body)).not.toContain(hidden);
      }
      expect((await as('churnApprover', 'query ($id: ID!) { approvalRequest(id: $id) { id } }', { id })).body.data.approvalRequest).toBeNull();
      expect((await as('admin', 'query ($id: ID!) { approvalRequest(id: $id) { status } }', { id })).body.data.approvalRequest).toEqual({ status: 'PENDING' });
    });

    it('still answers FORBIDDEN to a caller who can read the model but lacks the action', async () => {
      const { body } = await as('viewer', 'mutation { setTags(name: "m-01-other", version: "1", tags: [{ key: "k", value: "v" }]) { model { name } } }');
      expect(body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const approve = await as('churnEditor', 'mutation ($id: ID!) { approve(id: $id) { request { status } } }', { id: requests.get('m-00-churn') });
      expect(approve.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    });

    it('refuses to create an out-of-scope model with FORBIDDEN whether or not it exists', async () => {
      const existing = await as('churnEditor', 'mutation { createModel(name: "m-01-other") { name } }');
      const fresh = await as('churnEditor', 'mutation { createModel(name: "brand-new") { name } }');
      expect(existing.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(shape(existing.body, 'm-01-other')).toEqual(shape(fresh.body, 'brand-new'));
    });
  });
});
