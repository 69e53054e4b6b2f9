import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfigFile, resolveConfig } from '../../src/server/config.ts';
import { createRegistries } from '../../src/server/registries.ts';
import { toPolicies } from '../../src/server/policies.ts';

const problem = (raw: unknown): string => {
  try {
    resolveConfig(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('config was accepted');
};

describe('configuration', () => {
  it('defaults to one local registry under ./data on 127.0.0.1:4000', () => {
    const config = resolveConfig({});
    expect(config.server).toMatchObject({ host: '127.0.0.1', port: 4000, corsOrigins: [] });
    expect(config.dataDir).toBe(resolve('data'));
    expect(config.registries).toEqual([{ id: 'local', kind: 'local', path: resolve('data', 'local.db'), metricSources: ['run', 'tags'], metricTagPrefix: 'metric_' }]);
    expect(config.defaultRegistry).toBe('local');
  });

  it('applies host, port and data directory overrides over the file', () => {
    const config = resolveConfig({ server: { port: 5000 }, dataDir: '/srv/a' }, { port: 6000, host: '0.0.0.0', dataDir: '/srv/b' });
    expect(config.server.port).toBe(6000);
    expect(config.server.host).toBe('0.0.0.0');
    expect(config.registries[0]).toMatchObject({ kind: 'local', path: '/srv/b/local.db' });
  });

  it('names the key and the problem for each mistake', () => {
    expect(problem({ server: { port: 'eighty' } })).toMatch(/server\.port: .*number/);
    expect(problem({ server: { prot: 80 } })).toMatch(/server: .*prot/);
    expect(problem({ registries: [{ id: 'Bad Id', kind: 'local' }] })).toMatch(/registries\.0\.id: must be lowercase/);
    expect(problem({ registries: [{ id: 'x', kind: 'oracle' }] })).toMatch(/registries\.0\.kind/);
    expect(problem({ registries: [{ id: 'a', kind: 'local' }, { id: 'a', kind: 'local' }] })).toMatch(/registries\.1\.id: duplicate registry id 'a'/);
    expect(problem({ registries: [{ id: 'a', kind: 'local' }], defaultRegistry: 'b' })).toMatch(/defaultRegistry: no registry has id 'b'/);
    expect(problem({ server: { corsOrigins: ['http://ok.example/path'] } })).toMatch(/server\.corsOrigins\.0/);
  });

  it('reads metric sources per registry and card gates in policies, refusing what cannot work', () => {
    const config = resolveConfig({
      registries: [{ id: 'a', kind: 'local', metricSources: ['tags', 'run'], metricTagPrefix: 'm.' }],
      policies: [{ stage: 'STAGING', gates: { card: { dataVersion: true, dependencies: { sklearn: '>=1.2 <2' } } } }],
    });
    expect(config.registries[0]).toMatchObject({ metricSources: ['tags', 'run'], metricTagPrefix: 'm.' });
    expect(toPolicies(config.policies)[0]!.gates).toEqual([
      { kind: 'card', field: 'dataVersion' },
      { kind: 'dependency', name: 'sklearn', range: '>=1.2 <2' },
    ]);
    expect(toPolicies(resolveConfig({ policies: [{ stage: 'STAGING', gates: { card: { dependencies: ['pandas'] } } }] }).policies)[0]!.gates).toEqual([
      { kind: 'dependency', name: 'pandas', range: undefined },
    ]);
    expect(problem({ registries: [{ id: 'a', kind: 'local', metricSources: ['run', 'run'] }] })).toMatch(/registries\.0\.metricSources: lists a source twice/);
    expect(problem({ registries: [{ id: 'a', kind: 'local', metricSources: ['evaluations'] }] })).toMatch(/registries\.0\.metricSources\.0/);
    expect(problem({ registries: [{ id: 'a', kind: 'local', metricSources: [] }] })).toMatch(/registries\.0\.metricSources/);
    expect(problem({ policies: [{ stage: 'STAGING', gates: { card: { dependencies: { sklearn: 'newest please' } } } }] })).toMatch(/policies\.0\.gates\.card\.dependencies\.sklearn: must be an npm semver range/);
    expect(problem({ policies: [{ stage: 'STAGING', gates: { card: { colour: true } } }] })).toMatch(/policies\.0\.gates\.card: .*colour/);
  });

  it('reads MLflow registries with defaults, and names a missing credential variable', async () => {
    const config = resolveConfig({
      registries: [{ id: 'ml', kind: 'mlflow', trackingUri: 'http://mlflow.internal:5000', auth: { type: 'bearer' } }],
    });
    expect(config.registries[0]).toMatchObject({
      kind: 'mlflow',
      stageMode: 'stages',
      timeoutMs: 10_000,
      auth: { type: 'bearer', tokenEnv: 'MLFLOW_TRACKING_TOKEN' },
    });
    await expect(createRegistries(config, {})).rejects.toThrow(/registries\.ml\.auth\.tokenEnv: environment variable MLFLOW_TRACKING_TOKEN is not set/);
    expect(problem({ registries: [{ id: 'ml', kind: 'mlflow', trackingUri: 'ftp://x' }] })).toMatch(/registries\.0\.trackingUri/);
    expect(problem({ registries: [{ id: 'ml', kind: 'mlflow', trackingUri: 'http://x', stageMode: 'labels' }] })).toMatch(/registries\.0\.stageMode/);
  });

  it('reads SageMaker registries and checks the region', async () => {
    const config = resolveConfig({ registries: [{ id: 'aws', kind: 'sagemaker', region: 'eu-west-1' }] });
    expect(config.registries[0]).toMatchObject({ kind: 'sagemaker', region: 'eu-west-1', maxAttempts: 3, timeoutMs: 10_000 });
    const registries = await createRegistries(config, {});
    expect(registries.get('aws').kind).toBe('sagemaker');
    await registries.close();
    expect(problem({ registries: [{ id: 'aws', kind: 'sagemaker', region: 'Europe' }] })).toMatch(/registries\.0\.region: must be an AWS region/);
  });

  it('reads Vertex registries with their defaults', async () => {
    const config = resolveConfig({ registries: [{ id: 'gcp', kind: 'vertex', project: 'my-project-1', location: 'us-central1' }] });
    expect(config.registries[0]).toMatchObject({ kind: 'vertex', productionIsDefault: true, timeoutMs: 30_000 });
    const registries = await createRegistries(config, {});
    expect(registries.get('gcp').kind).toBe('vertex');
    await registries.close();
    expect(problem({ registries: [{ id: 'gcp', kind: 'vertex', project: 'P', location: 'us-central1' }] })).toMatch(/registries\.0\.project/);
  });

  it('accepts the example config shipped in the repository', () => {
    const config = loadConfigFile(resolve('modelgate.example.yaml'));
    expect(config.registries.map((r) => r.id)).toEqual(['local', 'sandbox']);
    expect(config.policies.map((p) => p.stage)).toEqual(['STAGING', 'PRODUCTION']);
    expect(problem({ policies: [{ stage: 'PRODUCTION', gates: { metrics: { accuracy: {} } } }] })).toMatch(/policies\.0\.gates\.metrics\.accuracy: needs min or max/);
  });

  it('reads YAML files and reports unreadable or malformed ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'modelgate-config-'));
    const good = join(dir, 'good.yaml');
    writeFileSync(good, 'server:\n  port: 4100\nregistries:\n  - id: team\n    kind: local\n');
    expect(loadConfigFile(good).registries[0]?.id).toBe('team');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'server: [unclosed');
    expect(() => loadConfigFile(bad)).toThrow(/not valid YAML/);
    expect(() => loadConfigFile(join(dir, 'absent.yaml'))).toThrow(/Cannot read config file/);
  });

  it('stops start-up with exit code 2 and a message naming the key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'modelgate-config-'));
    const file = join(dir, 'modelgate.yaml');
    writeFileSync(file, 'server:\n  port: -1\n');
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/server/main.ts', '--config', file], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('server.port');
  });
});
