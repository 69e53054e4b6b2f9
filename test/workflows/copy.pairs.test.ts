import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LocalRegistry } from '../../adapters/local/index.ts';
import { MlflowRegistry } from '../../adapters/mlflow/index.ts';
import { SageMakerRegistry } from '../../adapters/sagemaker/index.ts';
import { VertexRegistry } from '../../adapters/vertex/index.ts';
import { ErrorCode, RegistrySet, Stage, applyCardPatch, cardEntries, enforceInputRules, versionKeyId, type RegistryAdapter, type Tags } from '../../src/core/index.ts';
import { SqliteStore } from '../../src/store/index.ts';
import { CopyStatus } from '../../src/workflows/copy.ts';
import { COPIED_FROM, SOURCE_RUN } from '../../src/workflows/copy-plan.ts';
import { compareRegistries } from '../../src/workflows/compare.ts';
import { createWorkflows } from '../../src/workflows/services.ts';
import { SemverBump } from '../../src/workflows/semver.ts';
import { expectCode } from '../contract/adapter-contract.ts';
import { as } from '../support/callers.ts';
import { startMotoServer, type MotoServer } from '../support/peers/moto-server.ts';
import { standinClientOptions } from '../support/vertex/vertex-client.ts';
import { startVertexStandin, type VertexStandin } from '../support/vertex/vertex-standin.ts';

const KINDS = ['local', 'mlflow', 'sagemaker', 'vertex'] as const;
type Kind = (typeof KINDS)[number];
const run = randomUUID().slice(0, 6);
const alice = as('alice');
/** A card with a field in every section: each must arrive as it was. */
const CARD = applyCardPatch(null, {
  training: { framework: 'sklearn', algorithm: 'gbm', hyperparameters: { learning_rate: '0.1' }, trainingData: 's3://team-a/data/churn.parquet', dataVersion: 'dv-7', codeVersion: '9f2c1e7' },
  dependencies: [{ name: 'scikit-learn', version: '1.3.0' }],
  deployment: { servingFramework: 'mlserver', endpoint: null, latencyP99Ms: 12.5, throughputRps: null },
});
const SIGNATURE = { inputs: [{ name: 'tenure', type: 'double', optional: false }, { name: 'plan', type: 'string', optional: true }], outputs: [{ name: 'churn', type: 'double', optional: false }] };
/** Where each backend's versions keep their artifacts; the config maps one to the other. */
const LOCATIONS = [
  { from: 's3://team-a/', to: 'gs://team-a-mirror/' },
  { from: 'gs://team-a-mirror/', to: 's3://team-a/' },
];
/** Tags modelgate sets itself on a copy, outside what the source carried. */
const OWN_TAGS = new Set([COPIED_FROM, 'modelgate_copied_from', SOURCE_RUN, 'modelgate_source_run', 'promoted_at', 'promoted_by']);

/** Every directed pair of the four backends: each one copies to each other one. */
describe('copyVersion on every directed pair of backends (embedded, MLflow server, moto, Vertex stand-in)', () => {
  let moto: MotoServer;
  let standin: VertexStandin;
  let dir: string;
  let store: SqliteStore;
  let registries: RegistrySet;
  let workflows: ReturnType<typeof createWorkflows>;
  const raw: RegistryAdapter[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'modelgate-copy-'));
    // Its own moto: the SageMaker suite resets the shared one whenever it starts.
    [moto, standin] = await Promise.all([startMotoServer(), startVertexStandin()]);
    raw.push(
      new LocalRegistry({ id: 'local', path: join(dir, 'local.db') }),
      new MlflowRegistry({ id: 'mlflow', trackingUri: inject('mlflowUrl') }),
      new SageMakerRegistry({ id: 'sagemaker', region: 'us-east-1', endpoint: moto.url, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 1 }),
      new VertexRegistry({ id: 'vertex', project: 'test-project', location: 'us-central1', clientOptions: standinClientOptions(standin) }),
    );
    registries = new RegistrySet(raw.map(enforceInputRules), 'local');
    store = new SqliteStore(join(dir, 'store.db'));
    workflows = createWorkflows(registries, store, [], { artifactLocations: LOCATIONS });
  });
  afterAll(async () => {
    await registries?.close();
    await store?.close();
    await Promise.all([moto?.stop(), standin?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  /** Tags each source can hold: Vertex's labels are lowercase, so a Vertex model starts with those. */
  const sourceTags = (kind: Kind): Tags => (kind === 'vertex' ? { team: 'growth', region: 'eu-west' } : { team: 'growth', 'Data Set': 'EU/2024' });
  const sourceUri = (kind: Kind, name: string) => (kind === 'vertex' ? `gs://team-a-mirror/${name}/2` : `s3://team-a/${name}/2`);

  /** A model with two versions (semver 1.0.0 and 1.1.0), the second in PRODUCTION. */
  async function seed(kind: Kind, name: string) {
    const register = (version: number) =>
      workflows.catalog.registerVersion(alice, {
        registry: kind,
        name,
        source: sourceUri(kind, name).replace(/2$/, String(version)),
        description: `churn model v${version}`,
        tags: sourceTags(kind),
        metrics: { accuracy: version === 1 ? 0.91 : 0.92, f1: 0.8 },
        params: { lr: '0.01', depth: String(4 + version) },
        signature: SIGNATURE,
        card: CARD,
        bump: version === 1 ? null : SemverBump.MINOR,
      });
    await register(1);
    const second = await register(2);
    await workflows.catalog.transitionStage(alice, { registry: kind, name, version: second.version, stage: Stage.PRODUCTION, archiveExisting: true });
    return second;
  }

  for (const from of KINDS) {
    for (const to of KINDS) {
      if (from === to) continue;
      it(`${from} → ${to}: compareRegistries shows the same metrics, tags (as transformed), semver and signature; copying again returns the copy`, async () => {
        const name = `cp-${from}-${to}-${run}`;
        const original = await seed(from, name);
        expect(original.semver).toBe('1.1.0');

        const copied = await workflows.copies.copyVersion(alice, { from: { registry: from, name, version: original.version }, to: { registry: to }, stage: Stage.PRODUCTION });
        expect(copied.status).toBe(CopyStatus.CREATED);
        expect(copied.promotion?.status).toBe('PROMOTED');
        expect(copied.version).toMatchObject({ registry: to, name, stage: Stage.PRODUCTION, semver: '1.1.0', description: 'churn model v2' });

        const [source, target] = await compareRegistries([registries.get(from), registries.get(to)], name);
        expect(source!.error).toBeNull();
        expect(target!.error).toBeNull();
        expect(target!.versionCount).toBe(1);
        // Kept, not re-derived: a first version registered here would be 1.0.0.
        expect(target!.production!.semver).toBe(source!.production!.semver);
        expect(target!.production!.signature).toEqual(source!.production!.signature);
        // The stored card arrives field for field.
        expect(cardEntries(copied.version!.card!)).toEqual(cardEntries(CARD));
        expect(cardEntries(target!.production!.card!)).toEqual(cardEntries(source!.production!.card!));
        expect({ ...target!.productionMetrics }).toEqual({ ...source!.productionMetrics });
        expect({ ...target!.productionMetrics }).toEqual({ accuracy: 0.92, f1: 0.8 });

        // Tags: each source tag arrives as it was, or as the result says it was transformed; none is dropped here.
        expect(copied.dropped).toEqual([]);
        const expected: Record<string, string> = {};
        for (const [key, value] of Object.entries(sourceTags(from))) {
          const change = copied.transformed.find((c) => c.field === 'tag' && c.key === key);
          if (!change) expected[key] = value;
          else if (change.to!.includes('=')) expected[change.to!.split('=')[0]!] = change.to!.split('=')[1]!;
          else expected[key] = change.to!;
        }
        const carried = Object.fromEntries(Object.entries(target!.production!.tags).filter(([key]) => !OWN_TAGS.has(key)));
        expect(carried).toEqual(expected);
        if (to === 'vertex') expect(carried).toEqual({ team: 'growth', data_set: 'eu-2024' });
        // The copy says where it came from.
        const markerKey = to === 'vertex' ? 'modelgate_copied_from' : COPIED_FROM;
        expect(target!.production!.tags[markerKey]).toBeDefined();
        if (to !== 'vertex') expect(target!.production!.tags[COPIED_FROM]).toBe(`${from}:models:/${name}/${original.version}`);

        // Params travel too; the source URI is the same artifacts, renamed only where the target needs another scheme.
        const params = await registries.get(to).getMetrics([{ name, version: copied.version!.version, runId: copied.version!.runId }]);
        expect({ ...params.get(versionKeyId(copied.version!))!.params }).toEqual({ lr: '0.01', depth: '6' });
        const wantSource = to === 'vertex' ? `gs://team-a-mirror/${name}/2` : to === 'sagemaker' ? `s3://team-a/${name}/2` : sourceUri(from, name);
        expect(target!.production!.source).toBe(wantSource);

        const again = await workflows.copies.copyVersion(alice, { from: { registry: from, name, version: original.version }, to: { registry: to }, stage: Stage.PRODUCTION });
        expect(again.status).toBe(CopyStatus.EXISTING);
        expect(again.version!.version).toBe(copied.version!.version);
        const [, after] = await compareRegistries([registries.get(from), registries.get(to)], name);
        expect(after!.versionCount).toBe(1);
      });
    }
  }

  it('says what SageMaker cannot hold, per field: a value over 256 characters, more than 50 entries; nothing is lost unsaid', async () => {
    const name = `cp-limits-${run}`;
    const tags: Tags = { long: 'x'.repeat(300) };
    for (let i = 0; i < 60; i++) tags[`t${String(i).padStart(2, '0')}`] = `v${i}`;
    const created = await workflows.catalog.registerVersion(alice, { registry: 'local', name, source: 's3://team-a/limits/1', tags, metrics: { auc: 0.7 }, params: { seed: '7' } });
    const copied = await workflows.copies.copyVersion(alice, { from: { registry: 'local', name, version: created.version }, to: { registry: 'sagemaker' } });
    expect(copied.status).toBe(CopyStatus.CREATED);
    expect(copied.dropped.find((c) => c.key === 'long')).toMatchObject({ field: 'tag', to: null, reason: expect.stringContaining('256') });
    const [copy] = await registries.get('sagemaker').getVersions([{ name, version: copied.version!.version }]);
    const droppedKeys = new Set(copied.dropped.map((c) => c.key));
    // Every source tag is on the copy or reported dropped, never both, never neither.
    for (const key of Object.keys(tags)) expect(Object.hasOwn(copy!.tags, key) !== droppedKeys.has(key), key).toBe(true);
    expect(copied.dropped.filter((c) => c.reason.includes('50')).length).toBeGreaterThan(0);
    const metrics = await registries.get('sagemaker').getMetrics([copy!]);
    expect({ ...metrics.get(versionKeyId(copy!))!.metrics }).toEqual({ auc: 0.7 });
  });

  it('a card field SageMaker cannot hold is left out and said so; the rest of the card arrives; strict refuses it', async () => {
    const name = `cp-card-${run}`;
    const card = applyCardPatch(CARD, { training: { ...CARD.training, trainingData: `s3://team-a/${'d'.repeat(300)}` } });
    const created = await workflows.catalog.registerVersion(alice, { registry: 'local', name, source: 's3://team-a/card/1', card });
    const strict = await expectCode(workflows.copies.copyVersion(alice, { from: { registry: 'local', name, version: created.version }, to: { registry: 'sagemaker' }, strict: true }), ErrorCode.INVALID_INPUT);
    expect(strict.message).toContain('card:training.trainingData dropped');
    const copied = await workflows.copies.copyVersion(alice, { from: { registry: 'local', name, version: created.version }, to: { registry: 'sagemaker' } });
    expect(copied.dropped).toEqual([expect.objectContaining({ field: 'card', key: 'training.trainingData', to: null, reason: expect.stringContaining('256') })]);
    const [copy] = await registries.get('sagemaker').getVersions([{ name, version: copied.version!.version }]);
    const { 'training.trainingData': _left, ...rest } = cardEntries(card);
    expect(cardEntries(copy!.card!)).toEqual(rest);
  });

  it('a card with more fields than SageMaker has entries left loses its last fields, each said so, and the copy is created', async () => {
    const name = `cp-card-many-${run}`;
    const hyperparameters = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`h${String(i).padStart(2, '0')}`, String(i)]));
    const card = applyCardPatch(CARD, { training: { ...CARD.training, hyperparameters } });
    const created = await workflows.catalog.registerVersion(alice, { registry: 'local', name, source: 's3://team-a/many/1', card, metrics: { auc: 0.7 } });
    const copied = await workflows.copies.copyVersion(alice, { from: { registry: 'local', name, version: created.version }, to: { registry: 'sagemaker' } });
    expect(copied.status).toBe(CopyStatus.CREATED);
    const droppedCard = copied.dropped.filter((c) => c.field === 'card').map((c) => c.key!);
    expect(droppedCard.length).toBeGreaterThan(0);
    const [copy] = await registries.get('sagemaker').getVersions([{ name, version: copied.version!.version }]);
    const arrived = cardEntries(copy!.card!);
    // Every card field is on the copy or reported dropped, never both, never neither.
    for (const key of Object.keys(cardEntries(card))) expect(Object.hasOwn(arrived, key) !== droppedCard.includes(key), key).toBe(true);
  });

  it('strict refuses instead of transforming, naming each field, and creates nothing', async () => {
    const name = `cp-strict-${run}`;
    const created = await workflows.catalog.registerVersion(alice, { registry: 'local', name, source: 's3://team-a/strict/1', tags: { 'Data Set': 'EU/2024' } });
    const error = await expectCode(workflows.copies.copyVersion(alice, { from: { registry: 'local', name, version: created.version }, to: { registry: 'vertex' }, strict: true }), ErrorCode.INVALID_INPUT);
    expect(error.message).toContain('tag:Data Set transformed');
    expect(error.message).toContain('source transformed');
    expect(await registries.get('vertex').getModel(name)).toBeNull();
  });

  it('refuses a source the target cannot name without an artifactLocations mapping, saying what it needs', async () => {
    const name = `cp-nomap-${run}`;
    const created = await workflows.catalog.registerVersion(alice, { registry: 'local', name, source: 'file:///models/nomap/1' });
    const error = await expectCode(workflows.copies.copyVersion(alice, { from: { registry: 'local', name, version: created.version }, to: { registry: 'sagemaker' } }), ErrorCode.INVALID_INPUT);
    expect(error.message).toContain('s3://');
    expect(error.message).toContain('artifactLocations');
    expect(await registries.get('sagemaker').getModel(name)).toBeNull();
    const [refusal] = (await store.listAudit({ registry: 'sagemaker', model: name, limit: 10 })).filter((e) => e.action === 'copyVersion');
    expect(refusal).toMatchObject({ result: 'INVALID_INPUT' });
  });

  it('a dry run says what would be created and changes nothing', async () => {
    const name = `cp-dry-${run}`;
    const created = await workflows.catalog.registerVersion(alice, { registry: 'mlflow', name, source: 's3://team-a/dry/1', tags: { 'Data Set': 'EU' }, metrics: { auc: 0.5 } });
    const dry = await workflows.copies.copyVersion(alice, { from: { registry: 'mlflow', name, version: created.version }, to: { registry: 'vertex' }, dryRun: true });
    expect(dry.status).toBe(CopyStatus.DRY_RUN);
    expect(dry.version).toBeNull();
    expect(dry.planned).toMatchObject({ source: 'gs://team-a-mirror/dry/1', metrics: { auc: 0.5 } });
    expect(dry.transformed.map((c) => c.field)).toEqual(expect.arrayContaining(['tag', 'source', 'runId']));
    expect(await registries.get('vertex').getModel(name)).toBeNull();
  });

  it('two concurrent copies of one version make one copy', async () => {
    const name = `cp-race-${run}`;
    const created = await workflows.catalog.registerVersion(alice, { registry: 'local', name, source: 's3://team-a/race/1' });
    const copy = () => workflows.copies.copyVersion(alice, { from: { registry: 'local', name, version: created.version }, to: { registry: 'mlflow' } });
    const results = await Promise.all([copy(), copy(), copy()]);
    expect(results.map((r) => r.status).sort()).toEqual([CopyStatus.CREATED, CopyStatus.EXISTING, CopyStatus.EXISTING]);
    expect(new Set(results.map((r) => r.version!.version)).size).toBe(1);
    const page = await registries.get('mlflow').listVersions(name, {}, { first: 10 });
    expect(page.items).toHaveLength(1);
  });
});
