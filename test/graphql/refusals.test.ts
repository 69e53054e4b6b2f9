import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKey } from '../support/api-keys.ts';
import { LocalRegistry } from '../../adapters/local/index.ts';
import { postGraphQL, startTestGateway, type TestGateway } from '../support/gateway.ts';

const KEYS = { viewer: 'refusal-viewer-1', editor: 'refusal-editor-2', approver: 'refusal-approver-3', admin: 'refusal-admin-4' };

/** Every refusal is an audit event: who, what, on which target, the code and the reason. */
describe('refused mutations are audited', () => {
  let test: TestGateway;
  const as = (role: keyof typeof KEYS, query: string) => postGraphQL(test.url, query, undefined, { authorization: `Bearer ${KEYS[role]}` });
  const head = async () => (await as('admin', '{ verifyAudit { headSeq } }')).body.data.verifyAudit.headSeq as number;
  const since = async (seq: number) =>
    (await as('admin', `{ auditLog(after: ${seq}, first: 50) { principal action model version result detail } }`)).body.data.auditLog as {
      principal: string;
      action: string;
      model: string | null;
      version: string | null;
      result: string;
      detail: string | null;
    }[];

  beforeAll(async () => {
    test = await startTestGateway({
      config: {
        auth: {
          apiKeys: [
            apiKey('vera', KEYS.viewer, 'viewer'),
            apiKey('ed', KEYS.editor, 'editor'),
            apiKey('april', KEYS.approver, 'approver'),
            apiKey('ada', KEYS.admin, 'admin'),
          ],
        },
        policies: [{ models: '*', stage: 'PRODUCTION', approvals: 1 }],
      } as never,
      adapters: (dir) => [new LocalRegistry({ id: 'local', path: join(dir, 'local.db') })],
    });
    await as('admin', 'mutation { registerVersion(name: "Churn", source: "s3://m") { version } }');
  });
  afterAll(() => test.stop());

  it('records FORBIDDEN, self-approval, a second vote, a missing target and bad input, each once, changing nothing', async () => {
    const start = await head();
    expect((await as('viewer', 'mutation { setTags(name: "Churn", tags: [{ key: "k", value: "v" }]) { model { name } } }')).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const opened = await as('approver', 'mutation { promote(name: "Churn", version: "1", targetStage: PRODUCTION) { approvalRequest { id } } }');
    const id = opened.body.data.promote.approvalRequest.id as string;
    expect((await as('approver', `mutation { approve(id: "${id}") { request { status } } }`)).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await as('admin', `mutation { approve(id: "${id}") { request { status } } }`)).body.data.approve.request.status).toBe('APPROVED');
    expect((await as('admin', `mutation { approve(id: "${id}") { request { status } } }`)).body.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    expect((await as('admin', 'mutation { approve(id: "no-such-request") { request { status } } }')).body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect((await as('editor', 'mutation { updateVersion(name: "Churn", version: "99", description: "d") { version } }')).body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect((await as('admin', 'mutation { rollback(name: "Churn", reason: "  ") { rule } }')).body.errors?.[0]?.extensions?.code).toBe('INVALID_INPUT');

    const events = (await since(start)).filter((e) => e.result !== 'INTENT' && e.action !== 'reconcile');
    expect(events.map((e) => [e.principal, e.action, e.result])).toEqual([
      ['vera', 'setTags', 'FORBIDDEN'],
      ['april', 'promote', 'PENDING_APPROVAL'],
      ['april', 'approve', 'FORBIDDEN'],
      ['ada', 'approve', 'OK'],
      ['ada', 'approve', 'CONFLICT'],
      ['ada', 'approve', 'NOT_FOUND'],
      ['ed', 'updateVersion', 'NOT_FOUND'],
      ['ada', 'rollback', 'INVALID_INPUT'],
    ]);
    expect(events.every((e) => e.result === 'OK' || e.result === 'PENDING_APPROVAL' || e.detail)).toBe(true);
    expect((await as('admin', '{ verifyAudit { ok } }')).body.data.verifyAudit.ok).toBe(true);
  });
});
