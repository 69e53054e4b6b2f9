import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { LocalRegistry } from '../../adapters/local/index.ts';
import { postGraphQL, startTestGateway, type TestGateway } from '../support/gateway.ts';
import { runBash, runCli } from './support/run-cli.ts';
import { ensureBuilt } from '../support/build.ts';
import { scaled } from '../support/time-scale.ts';

// The commands run the compiled dist/: rebuilt first if a source changed since (under the build lock other files share).
beforeAll(() => ensureBuilt(), scaled(600_000));

const ADMIN = 'story-admin-key-1f2e';
const EDITOR = 'story-editor-key-3d4c';
const APPROVER = 'story-approver-key-5b6a';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('modelgate commands for the whole story', () => {
  let test: TestGateway;
  const cli = (args: string[], token = ADMIN) => runCli(args, { MODELGATE_URL: test.url, MODELGATE_TOKEN: token });
  const gql = async (query: string) => (await postGraphQL(test.url, query, undefined, { authorization: `Bearer ${ADMIN}` })).body as { data: Record<string, unknown> };

  beforeAll(async () => {
    test = await startTestGateway({
      config: {
        auth: {
          apiKeys: [
            { name: 'admin', sha256: sha256(ADMIN), grants: [{ role: 'admin' }] },
            { name: 'editor', sha256: sha256(EDITOR), grants: [{ role: 'editor' }] },
            { name: 'approver', sha256: sha256(APPROVER), grants: [{ role: 'approver' }] },
          ],
        },
        policies: [
          { models: '*', stage: 'STAGING', gates: { metrics: { accuracy: { min: 0.85 } } } },
          { models: '*', stage: 'PRODUCTION', gates: { currentStage: 'STAGING', tags: ['validated'], description: true, metrics: { accuracy: { min: 0.9 } } }, approvals: 1 },
        ],
      } as never,
      adapters: (dir) => [new LocalRegistry({ id: 'local', path: join(dir, 'local.db') })],
    });
  }, scaled(120_000));
  afterAll(() => test.stop());

  it('register records source, run, description, tags, metrics, params, signature and a semver bump', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'modelgate-sig-'));
    const signature = join(dir, 'signature.json');
    writeFileSync(signature, JSON.stringify({ inputs: [{ name: 'tenure', type: 'double' }], outputs: [{ name: 'churn', type: 'double' }] }));
    const first = await cli(['register', '--model', 'Churn', '--source', 's3://b/1', '--metric', 'accuracy=0.88']);
    expect(first).toMatchObject({ code: 0, stdout: 'Registered Churn version 1 (1.0.0): models:/Churn/1\n' });
    const second = await cli(['register', '--model', 'Churn', '--source', 's3://b/2', '--run-id', 'run-7', '--description', 'boosted', '--tag', 'team=retention', '--metric', 'accuracy=0.93', '--metric', 'f1_score=0.9', '--param', 'depth=6', '--signature', signature, '--bump', 'minor', '-o', 'json']);
    expect(second.code).toBe(0);
    const v = JSON.parse(second.stdout).registerVersion;
    expect(v).toMatchObject({ version: '2', semver: '1.1.0', source: 's3://b/2', runId: 'run-7', description: 'boosted', tags: [{ key: 'team', value: 'retention' }] });
    expect(v.signature.inputs).toEqual([{ name: 'tenure', type: 'double', optional: false }]);
    const stored = await gql('{ modelVersion(name: "Churn", version: "2") { metrics { key value } params { key value } } }');
    expect(stored.data.modelVersion).toEqual({ metrics: [{ key: 'accuracy', value: 0.93 }, { key: 'f1_score', value: 0.9 }], params: [{ key: 'depth', value: '6' }] });
  });

  it('a bad metric, bump or signature is a usage error and registers nothing', async () => {
    const count = async () => ((await gql('{ model(name: "Churn") { versions { nodes { version } } } }')).data.model as { versions: { nodes: unknown[] } }).versions.nodes.length;
    const before = await count();
    const badMetric = await cli(['register', '--model', 'Churn', '--metric', 'accuracy=high']);
    expect(badMetric).toMatchObject({ code: 2, stdout: '' });
    expect(badMetric.stderr).toContain("A metric needs a number: key=0.91, not 'accuracy=high'");
    expect((await cli(['register', '--model', 'Churn', '--bump', 'huge'])).code).toBe(2);
    const badSignature = await cli(['register', '--model', 'Churn', '--signature', '/nonexistent/sig.json']);
    expect(badSignature.code).toBe(2);
    expect(badSignature.stderr).toMatch(/^modelgate: --signature: cannot read JSON from/);
    expect(await count()).toBe(before);
  });

  it('describe, tag set|delete and alias set|delete change the model or the version', async () => {
    expect(await cli(['describe', '--model', 'Churn', 'Predicts churn'])).toMatchObject({ code: 0, stdout: 'Described Churn.\n' });
    expect(await cli(['describe', '--model', 'Churn', '-v', '1', 'baseline'])).toMatchObject({ code: 0, stdout: 'Described Churn version 1.\n' });
    expect(await cli(['tag', 'set', '--model', 'Churn', '-v', '2', 'validated=yes', 'owner=ana'])).toMatchObject({ code: 0, stdout: 'Tags of Churn version 2: owner=ana, team=retention, validated=yes\n' });
    expect(await cli(['tag', 'delete', '--model', 'Churn', '-v', '2', 'owner'])).toMatchObject({ code: 0, stdout: 'Tags of Churn version 2: team=retention, validated=yes\n' });
    expect(await cli(['tag', 'set', '--model', 'Churn', 'domain=billing'])).toMatchObject({ code: 0, stdout: 'Tags of Churn: domain=billing\n' });
    expect((await cli(['tag', 'set', '--model', 'Churn', 'novalue'])).code).toBe(2);
    expect(await cli(['alias', 'set', '--model', 'Churn', '-v', '2', 'champion'])).toMatchObject({ code: 0, stdout: 'Alias champion of Churn -> version 2.\n' });
    const data = await gql('{ model(name: "Churn") { description tags { key value } aliases { alias version } version(version: "1") { description } } }');
    expect(data.data.model).toEqual({ description: 'Predicts churn', tags: [{ key: 'domain', value: 'billing' }], aliases: [{ alias: 'champion', version: '2' }], version: { description: 'baseline' } });
    expect(await cli(['alias', 'delete', '--model', 'Churn', 'champion'])).toMatchObject({ code: 0 });
    expect((await gql('{ model(name: "Churn") { aliases { alias } } }')).data.model).toEqual({ aliases: [] });
  });

  it('FORBIDDEN exits 4 and GATE_FAILED exits 1; approvals list shows the queue; approve by model, version and stage', async () => {
    expect((await cli(['promote', '--model', 'Churn', '-v', '2', '--stage', 'staging'], EDITOR)).code).toBe(0);
    const forbidden = await cli(['promote', '--model', 'Churn', '-v', '2', '--stage', 'production'], EDITOR);
    expect(forbidden.code).toBe(4);
    expect(forbidden.stderr).toMatch(/^modelgate: FORBIDDEN: /);
    const gates = await cli(['promote', '--model', 'Churn', '-v', '1', '--stage', 'production']);
    expect(gates.code).toBe(1);
    expect(gates.stderr).toMatch(/^modelgate: GATE_FAILED: /);
    expect((await cli(['promote', '--model', 'Churn', '-v', '2', '--stage', 'production'])).code).toBe(3);
    const queue = await cli(['approvals', 'list']);
    expect(queue.code).toBe(0);
    expect(queue.stdout.split('\n')[1]).toMatch(/^\S+\s+Churn\s+2\s+PRODUCTION\s+PENDING\s+0\/1\s+admin\s/);
    const asJson = JSON.parse((await cli(['approvals', 'list', '--json'])).stdout);
    expect(asJson.approvalRequests).toHaveLength(1);
    expect((await cli(['approvals', 'list', '--status', 'approved', '-o', 'json'])).stdout).toContain('"approvalRequests": []');
    expect((await cli(['approvals', 'list', '--status', 'maybe'])).code).toBe(2);
    const noRequest = await cli(['approve', '--model', 'Churn', '-v', '1', '--stage', 'production'], APPROVER);
    expect(noRequest).toMatchObject({ code: 1, stderr: 'modelgate: NOT_FOUND: no pending approval request for Churn version 1 to PRODUCTION\n' });
    const self = await cli(['approve', '--model', 'Churn', '-v', '2', '--stage', 'production']);
    expect(self.code).toBe(4);
    const approved = await cli(['approve', '--model', 'Churn', '-v', '2', '--stage', 'production'], APPROVER);
    expect(approved).toMatchObject({ code: 0 });
    expect(approved.stdout).toContain('Promoted Churn version 2 to PRODUCTION.');
  });

  it('degradation check exits 0 healthy, 5 degraded, 6 rolled back', async () => {
    // A second production version, so a rollback has a target.
    await cli(['register', '--model', 'Churn', '--description', 'd', '--tag', 'validated=yes', '--metric', 'accuracy=0.95']);
    await cli(['promote', '--model', 'Churn', '-v', '3', '--stage', 'staging']);
    await cli(['promote', '--model', 'Churn', '-v', '3', '--stage', 'production']);
    expect((await cli(['approve', '--model', 'Churn', '-v', '3', '--stage', 'production'], APPROVER)).code).toBe(0);
    const healthy = await cli(['degradation', 'check', '--model', 'Churn', '--metric', 'accuracy', '--observed', '0.94', '--tolerance', '0.02']);
    expect(healthy).toMatchObject({ code: 0, stdout: 'Healthy: accuracy observed 0.94, recorded 0.95 for production version 3 (tolerance 0.02).\n' });
    const degraded = await cli(['degradation', 'check', '--model', 'Churn', '--metric', 'accuracy', '--observed', '0.8', '--tolerance', '0.02']);
    expect(degraded.code).toBe(5);
    expect(degraded.stdout).toMatch(/^DEGRADED: /);
    expect((await cli(['degradation', 'check', '--model', 'Churn', '--metric', 'accuracy', '--observed', 'low'])).code).toBe(2);
    const rolled = await cli(['degradation', 'check', '--model', 'Churn', '--metric', 'accuracy', '--observed', '0.8', '--tolerance', '0.02', '--auto-rollback', '-o', 'json'], APPROVER);
    expect(rolled.code).toBe(6);
    expect(JSON.parse(rolled.stdout).checkDegradation.rollback.to.version).toBe('2');
  });

  it('audit list pages with --limit and --after and says when it stops early', async () => {
    const all = JSON.parse((await cli(['audit', 'list', '-o', 'json'])).stdout).auditLog as { seq: number }[];
    expect(all.length).toBeGreaterThan(6);
    const page = await cli(['audit', 'list', '--limit', '3']);
    expect(page.code).toBe(0);
    expect(page.stdout.trim().split('\n')).toHaveLength(4);
    expect(page.stderr).toBe(`modelgate: showing 3 rows; there are more: add --after ${all[2]!.seq} for the next page, or raise --limit\n`);
    const rest = JSON.parse((await cli(['audit', 'list', '--after', String(all[2]!.seq), '--json'])).stdout).auditLog as { seq: number }[];
    expect(rest.map((e) => e.seq)).toEqual(all.slice(3).map((e) => e.seq));
    const exact = await cli(['audit', 'list', '--limit', String(all.length)]);
    expect(exact.stderr).toBe('');
    expect((await cli(['audit', 'list', '--limit', '0'])).code).toBe(2);
  });

  it('models list follows cursors past one page; --limit stops and says where to resume', async () => {
    for (let i = 0; i < 105; i++) await gql(`mutation { createModel(name: "bulk-${String(i).padStart(3, '0')}") { name } }`);
    const all = await cli(['models', 'list', '--prefix', 'bulk-']);
    expect(all.stdout.trim().split('\n')).toHaveLength(106);
    expect(all.stderr).toBe('');
    const some = await cli(['models', 'list', '--prefix', 'bulk-', '--limit', '60', '-o', 'json']);
    const data = JSON.parse(some.stdout).models;
    expect(data.edges).toHaveLength(60);
    expect(data.pageInfo.hasNextPage).toBe(true);
    expect(some.stderr).toContain(`there are more: add --after ${data.pageInfo.endCursor}`);
    const next = JSON.parse((await cli(['models', 'list', '--prefix', 'bulk-', '--after', data.pageInfo.endCursor, '--json'])).stdout).models;
    expect(next.edges[0].node.name).toBe('bulk-060');
    expect(next.edges).toHaveLength(45);
  }, scaled(120_000));

  it('registries, yaml output, and errors as JSON on stderr with the same exit code', async () => {
    expect((await cli(['registries'])).stdout).toMatch(/^id\s+kind\s+health\s+latency ms\nlocal\s+local\s+ok\s+/);
    const yaml = parseYaml((await cli(['versions', 'list', '--model', 'Churn', '-o', 'yaml'])).stdout);
    expect(yaml.model.versions.edges.map((e: { node: { version: string } }) => e.node.version)).toEqual(['3', '2', '1']);
    const plain = await cli(['versions', 'list', '--model', 'Nope']);
    expect(plain).toMatchObject({ code: 1, stdout: '', stderr: "modelgate: NOT_FOUND: no model 'Nope'\n" });
    const json = await cli(['versions', 'list', '--model', 'Nope', '--json']);
    expect(json).toMatchObject({ code: 1, stdout: '' });
    expect(JSON.parse(json.stderr)).toEqual({ code: 'NOT_FOUND', message: "no model 'Nope'", registry: null, details: null });
    const gate = await cli(['promote', '--model', 'Churn', '-v', '1', '--stage', 'production', '--json']);
    expect(gate).toMatchObject({ code: 1, stdout: '' });
    const error = JSON.parse(gate.stderr);
    expect(Object.keys(error)).toEqual(['code', 'message', 'registry', 'details']);
    expect(error.code).toBe('GATE_FAILED');
    expect(error.details.report.checks.length).toBeGreaterThan(0);
    const usage = await cli(['models', 'list', '--limit', 'abc', '--json']);
    expect(usage.code).toBe(2);
    expect(JSON.parse(usage.stderr)).toMatchObject({ code: 'USAGE', message: expect.stringContaining("'abc'") });
  });
});

describe('modelgate without a gateway: version, help, old flags, completion', () => {
  const cli = (args: string[]) => runCli(args, { MODELGATE_URL: 'http://127.0.0.1:9/graphql' });

  it('--version prints the package version; a model version given as --version is refused', async () => {
    const { version } = JSON.parse((await import('node:fs')).readFileSync('package.json', 'utf8')) as { version: string };
    expect(await cli(['--version'])).toMatchObject({ code: 0, stdout: `${version}\n` });
    const old = await cli(['promote', '--model', 'Churn', '--version', '2', '--stage', 'production']);
    expect(old).toMatchObject({ code: 2, stdout: '' });
    expect(old.stderr).toContain('--model-version (or -v)');
    const short = await cli(['-v']);
    expect(short).toMatchObject({ code: 2, stderr: "modelgate: -v is a command's --model-version; modelgate's own version is --version (-V)\n" });
    const nothing = await cli(['approve']);
    expect(nothing).toMatchObject({ code: 2, stderr: 'modelgate: give a request ID, or --model, --model-version and --stage of the open request\n' });
  });

  it('each command has its own help', async () => {
    const promote = await cli(['promote', '--help']);
    expect(promote.code).toBe(0);
    expect(promote.stdout).toMatch(/^Usage: modelgate promote \[options\]/);
    expect(promote.stdout).toContain('-v, --model-version <version>');
    const tagSet = await cli(['tag', 'set', '--help']);
    expect(tagSet.stdout).toMatch(/^Usage: modelgate tag set \[options\] <key=value\.\.\.>/);
    const top = await cli(['--help']);
    for (const command of ['register', 'describe', 'tag', 'alias', 'degradation', 'approvals', 'audit', 'registries', 'completion']) expect(top.stdout).toMatch(new RegExp(`\\n  ${command}\\b`));
    expect(top.stdout).toContain('6  degraded and rolled back');
    expect((await cli([])).code).toBe(2);
  });

  it('stages and numbers are checked before anything is sent', async () => {
    const stage = await cli(['validate', '--model', 'M', '-v', '1', '--stage', 'prod']);
    expect(stage.code).toBe(2);
    expect(stage.stderr).toContain("must be one of NONE, STAGING, PRODUCTION, ARCHIVED (any case), not 'prod'");
    const last = await cli(['compare', '--model', 'M', '--last', '2.5']);
    expect(last.code).toBe(2);
  });

  it('completion scripts for bash, zsh and fish are valid and list the commands', async () => {
    const bash = await cli(['completion', 'bash']);
    expect(bash.code).toBe(0);
    const sourced = await runBash(`${bash.stdout}\nCOMP_WORDS=(modelgate deg); COMP_CWORD=1; _modelgate; echo "\${COMPREPLY[*]}"\nCOMP_WORDS=(modelgate promote --model-v); COMP_CWORD=2; _modelgate; echo "\${COMPREPLY[*]}"`, {});
    expect(sourced).toMatchObject({ code: 0, stdout: 'degradation\n--model-version\n' });
    expect((await cli(['completion', 'zsh'])).stdout).toMatch(/^#compdef modelgate\n/);
    const fish = await cli(['completion', 'fish']);
    expect(fish.stdout).toContain("complete -c modelgate -n '__fish_seen_subcommand_from degradation' -a check");
    expect((await cli(['completion', 'tcsh'])).code).toBe(2);
  });
});
