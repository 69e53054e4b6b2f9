import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalRegistry } from '../../adapters/local/index.ts';
import { postGraphQL, startTestGateway, type TestGateway } from '../support/gateway.ts';
import { modelgateOnPath, runCli } from './support/run-cli.ts';
import { runWorkflow } from './support/workflow.ts';
import { ensureBuilt } from '../support/build.ts';
import { scaled } from '../support/time-scale.ts';

// The commands run the compiled dist/: rebuilt first if a source changed since (under the build lock other files share).
beforeAll(() => ensureBuilt(), scaled(600_000));

const WORKFLOW = 'examples/github-actions/model-promotion.yaml';
const ADMIN = 'wf-admin-key-0a1b';
const EDITOR = 'wf-editor-key-9c8d';
const APPROVER = 'wf-approver-key-7e6f';
const REVIEWER = 'wf-reviewer-key-5a4b';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('the GitHub Actions example, its shell steps run against a gateway', () => {
  let test: TestGateway;
  let path: string;
  const secrets = () => ({ MODELGATE_URL: test.url, MODELGATE_EDITOR_TOKEN: EDITOR, MODELGATE_APPROVER_TOKEN: APPROVER });
  // The CLI comes from the package; here the package is this checkout, put on PATH the way `npm install --global` would.
  const workflow = (inputs: Record<string, unknown>, secretsOverride: Record<string, string> = {}) =>
    runWorkflow(WORKFLOW, { inputs, secrets: { ...secrets(), ...secretsOverride } }, { 'Install the modelgate CLI': 'modelgate --version' }, { PATH: `${path}:${process.env.PATH}` });

  beforeAll(async () => {
    path = modelgateOnPath();
    test = await startTestGateway({
      config: {
        auth: {
          apiKeys: [
            { name: 'admin', sha256: sha256(ADMIN), grants: [{ role: 'admin' }] },
            { name: 'ci-editor', sha256: sha256(EDITOR), grants: [{ role: 'editor' }] },
            { name: 'ci-approver', sha256: sha256(APPROVER), grants: [{ role: 'approver' }] },
            { name: 'reviewer', sha256: sha256(REVIEWER), grants: [{ role: 'approver' }] },
          ],
        },
        policies: [
          { models: '*', stage: 'STAGING', gates: { metrics: { accuracy: { min: 0.85 } } } },
          { models: '*', stage: 'PRODUCTION', gates: { currentStage: 'STAGING', metrics: { accuracy: { min: 0.9 } } }, approvals: 1 },
        ],
      } as never,
      adapters: (dir) => [new LocalRegistry({ id: 'local', path: join(dir, 'local.db') })],
    });
    for (const accuracy of [0.88, 0.92]) {
      await postGraphQL(test.url, 'mutation ($a: Float!) { registerVersion(name: "Churn", source: "s3://m", metrics: [{ key: "accuracy", value: $a }]) { version } }', { a: accuracy }, { authorization: `Bearer ${ADMIN}` });
    }
  }, scaled(120_000));
  afterAll(() => test.stop());

  it('installs the CLI once per job and only uses documented commands', async () => {
    const { readFileSync } = await import('node:fs');
    const text = readFileSync(WORKFLOW, 'utf8');
    expect(text).not.toContain('npm ci');
    expect(text).not.toContain('actions/checkout');
    expect(text).toMatch(/npm install --global "\$MODELGATE_CLI"/);
    expect(text).toMatch(/MODELGATE_CLI: modelgate@\d+\.\d+\.\d+/);
  });

  it('staging: the editor token validates and promotes; nothing is deployed', async () => {
    const run = await workflow({ model: 'Churn', version: '2', stage: 'staging' });
    expect(run.failed).toBeNull();
    expect(run.jobs).toEqual({ promote: 'success', deploy: 'skipped' });
    expect(run.steps.map((s) => s.output).join('')).toContain('Promoted version 2 to STAGING.');
  }, scaled(120_000));

  it('production: the approver token opens a request; after another approver, deploy_only deploys the registry-qualified URI', async () => {
    const opened = await workflow({ model: 'Churn', version: '2', stage: 'production' });
    expect(opened.failed).toBeNull();
    expect(opened.jobs).toEqual({ promote: 'success', deploy: 'skipped' });
    expect(opened.steps.at(-1)!.output).toContain('::notice::an approval request is open');
    const approved = await runCli(['approve', '--model', 'Churn', '-v', '2', '--stage', 'production'], { MODELGATE_URL: test.url, MODELGATE_TOKEN: REVIEWER });
    expect(approved).toMatchObject({ code: 0 });
    const deployed = await workflow({ model: 'Churn', version: '2', stage: 'production', deploy_only: true });
    expect(deployed.failed).toBeNull();
    expect(deployed.jobs).toEqual({ promote: 'success', deploy: 'success' });
    expect(deployed.steps.at(-1)!.output).toContain('Deploying local:models:/Churn/2');
  }, scaled(180_000));

  it('tells failed gates from a token without permission', async () => {
    const gates = await workflow({ model: 'Churn', version: '1', stage: 'production' });
    expect(gates.failed).toMatchObject({ step: 'Validate', code: 1 });
    expect(gates.failed!.output).toContain('::error::gates failed for Churn version 1');
    expect(gates.jobs.deploy).toBe('skipped');
    // One token for everything (the editor's): production promotion is FORBIDDEN, reported as such.
    await runCli(['promote', '--model', 'Churn', '-v', '1', '--stage', 'staging'], { MODELGATE_URL: test.url, MODELGATE_TOKEN: ADMIN });
    await postGraphQL(test.url, 'mutation { registerVersion(name: "Churn", source: "s3://m", metrics: [{ key: "accuracy", value: 0.95 }]) { version } }', undefined, { authorization: `Bearer ${ADMIN}` });
    await runCli(['promote', '--model', 'Churn', '-v', '3', '--stage', 'staging'], { MODELGATE_URL: test.url, MODELGATE_TOKEN: ADMIN });
    const forbidden = await workflow({ model: 'Churn', version: '3', stage: 'production' }, { MODELGATE_APPROVER_TOKEN: EDITOR });
    expect(forbidden.failed).toMatchObject({ step: expect.stringMatching(/^Promote/), code: 4 });
    expect(forbidden.failed!.output).toContain('::error::the token is not permitted to promote to production');
    expect(forbidden.failed!.output).not.toContain('gates failed');
  }, scaled(180_000));
});
