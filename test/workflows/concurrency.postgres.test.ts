import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalRegistry } from '../../adapters/local/index.ts';
import { Stage } from '../../src/core/index.ts';
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.ts';
import { isolatedPostgres } from '../support/postgres.ts';
import { scaled } from '../support/time-scale.ts';

describe('two gateway processes on one PostgreSQL store', () => {
  let dir: string;
  let database: Awaited<ReturnType<typeof isolatedPostgres>>;
  let gateways: GatewayProcess[] = [];
  const VERSIONS = 40;
  const MODELS = 50;
  const post = (i: number, query: string, variables: Record<string, unknown>) =>
    fetch(gateways[i % 2]!.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) }).then(
      (r) => r.json() as Promise<{ data?: any; errors?: { message: string }[] }>,
    );

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'modelgate-two-'));
    database = await isolatedPostgres();
    const registryPath = join(dir, 'shared.db');
    const seed = new LocalRegistry({ id: 'local', path: registryPath });
    await seed.createModel({ name: 'Contested' });
    for (let i = 0; i < VERSIONS; i++) await seed.createVersion({ name: 'Contested', metrics: { accuracy: 0.95 } });
    for (let m = 0; m < MODELS; m++) {
      await seed.createModel({ name: `Team${m}` });
      await seed.createVersion({ name: `Team${m}`, metrics: { accuracy: 0.95 } });
    }
    await seed.close();
    const config = join(dir, 'modelgate.yaml');
    writeFileSync(
      config,
      [
        'log: { level: warn }',
        `dataDir: ${dir}`,
        'registries:',
        `  - { id: local, kind: local, path: ${registryPath} }`,
        // A small pool: 50 concurrent locked promotions must not starve the work under the locks.
        `store: { url: "${database.url}", poolSize: 5 }`,
        'policies:',
        '  - { models: "*", stage: PRODUCTION, gates: { metrics: { accuracy: { min: 0.9 } } } }',
      ].join('\n'),
    );
    gateways = await Promise.all([startGatewayProcess(config), startGatewayProcess(config)]);
  }, scaled(120_000));

  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.stop()));
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serialises 40 concurrent promotions: every call answers, one version ends in PRODUCTION, the audit chain holds', async () => {
    const calls = Array.from({ length: VERSIONS }, (_, i) =>
      fetch(gateways[i % 2]!.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: 'mutation ($v: String!) { promote(name: "Contested", version: $v, targetStage: PRODUCTION) { status version { version stage } archived { version } } }',
          variables: { v: String(i + 1) },
        }),
      }).then((r) => r.json() as Promise<{ data?: { promote: { status: string; archived: { version: string }[] } }; errors?: unknown[] }>),
    );
    const answers = await Promise.all(calls);
    expect(answers.filter((a) => a.errors)).toEqual([]);
    expect(answers.every((a) => a.data?.promote.status === 'PROMOTED')).toBe(true);
    // Strictly one after another: the first archives nothing, each later one exactly its predecessor.
    const archivedCounts = answers.map((a) => a.data!.promote.archived.length).sort();
    expect(archivedCounts).toEqual([0, ...Array.from({ length: VERSIONS - 1 }, () => 1)]);
    const archivedVersions = answers.flatMap((a) => a.data!.promote.archived.map((v) => v.version));
    expect(new Set(archivedVersions).size).toBe(VERSIONS - 1);

    const registry = new LocalRegistry({ id: 'local', path: join(dir, 'shared.db') });
    const production = await registry.listVersions('Contested', { stages: [Stage.PRODUCTION] }, { first: 50 });
    const archived = await registry.listVersions('Contested', { stages: [Stage.ARCHIVED] }, { first: 50 });
    await registry.close();
    expect(production.items).toHaveLength(1);
    expect(archived.items).toHaveLength(VERSIONS - 1);

    const verify = await fetch(gateways[0]!.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ verifyAudit { ok checked brokenAt } auditLog(name: "Contested", first: 200) { action result } }' }),
    }).then((r) => r.json() as Promise<{ data: { verifyAudit: { ok: boolean; checked: number }; auditLog: { action: string; result: string }[] } }>);
    expect(verify.data.verifyAudit.ok).toBe(true);
    expect(verify.data.auditLog.filter((e) => e.action === 'promote' && e.result === 'OK')).toHaveLength(VERSIONS);
  }, scaled(120_000));

  it('completes 50 concurrent promotions of 50 different models with a pool of 5 per process, each audited', async () => {
    const promote = 'mutation ($n: String!) { promote(name: $n, version: "1", targetStage: PRODUCTION) { status } }';
    const answers = await Promise.all(Array.from({ length: MODELS }, (_, m) => post(m, promote, { n: `Team${m}` })));
    expect(answers.filter((a) => a.errors)).toEqual([]);
    expect(answers.every((a) => a.data.promote.status === 'PROMOTED')).toBe(true);
    const audit = await post(0, '{ auditLog(first: 200, after: 0) { action result model } }', {});
    const promoted = new Set(audit.data.auditLog.filter((e: { action: string; result: string }) => e.action === 'promote' && e.result === 'OK').map((e: { model: string }) => e.model));
    for (let m = 0; m < MODELS; m++) expect(promoted.has(`Team${m}`)).toBe(true);
  }, scaled(60_000));

  it('gives 20 concurrent registrations across both processes distinct version numbers and semvers', async () => {
    const register = 'mutation { registerVersion(name: "Shared", source: "s3://m/shared") { version semver } }';
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => post(i, register, {})));
    expect(answers.filter((a) => a.errors)).toEqual([]);
    const versions = answers.map((a) => a.data.registerVersion as { version: string; semver: string });
    expect(new Set(versions.map((v) => v.version)).size).toBe(20);
    expect(new Set(versions.map((v) => v.semver)).size).toBe(20);
  }, scaled(60_000));
});
