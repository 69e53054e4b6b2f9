import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalRegistry } from '../../adapters/local/index.ts';
import { Stage } from '../../src/core/index.ts';
import { freePort } from '../support/peers/free-port.ts';
import { startPeerProcess, type PeerProcess } from '../support/peers/peer-process.ts';
import { isolatedPostgres } from '../support/postgres.ts';

/** A real gateway process: `tsx src/server/main.ts --config FILE`, stopped after. */
async function startGatewayProcess(config: string): Promise<{ url: string } & PeerProcess> {
  const port = await freePort();
  const peer = await startPeerProcess(
    'gateway',
    process.execPath,
    ['--import', 'tsx', 'src/server/main.ts', '--config', config, '--port', String(port)],
    `http://127.0.0.1:${port}/healthz`,
    { env: { ...process.env, MODELGATE_CONFIG: '' } },
  );
  return { url: `http://127.0.0.1:${port}/graphql`, stop: peer.stop };
}

describe('two gateway processes on one PostgreSQL store', () => {
  let dir: string;
  let database: Awaited<ReturnType<typeof isolatedPostgres>>;
  let gateways: Awaited<ReturnType<typeof startGatewayProcess>>[] = [];
  const VERSIONS = 40;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'modelgate-two-'));
    database = await isolatedPostgres();
    const registryPath = join(dir, 'shared.db');
    const seed = new LocalRegistry({ id: 'local', path: registryPath });
    await seed.createModel({ name: 'Contested' });
    for (let i = 0; i < VERSIONS; i++) await seed.createVersion({ name: 'Contested', metrics: { accuracy: 0.95 } });
    await seed.close();
    const config = join(dir, 'modelgate.yaml');
    writeFileSync(
      config,
      [
        'log: { level: warn }',
        `dataDir: ${dir}`,
        'registries:',
        `  - { id: local, kind: local, path: ${registryPath} }`,
        `store: { url: "${database.url}" }`,
        'policies:',
        '  - { models: "*", stage: PRODUCTION, gates: { metrics: { accuracy: { min: 0.9 } } } }',
      ].join('\n'),
    );
    gateways = await Promise.all([startGatewayProcess(config), startGatewayProcess(config)]);
  }, 120_000);

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
  }, 120_000);
});
