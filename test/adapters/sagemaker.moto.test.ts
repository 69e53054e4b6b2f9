import { randomUUID } from 'node:crypto';
import { DescribeModelPackageCommand, DescribeModelPackageGroupCommand, ListTagsCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SageMakerRegistry } from '../../adapters/sagemaker/index.ts';
import { ErrorCode, Stage, enforceInputRules } from '../../src/core/index.ts';
import { defineAdapterContractSuite, expectCode } from '../contract/adapter-contract.ts';
import { defineWorkflowSuite } from '../workflows/workflow-suite.ts';
import { defineFuzzSuite } from '../contract/fuzz-suite.ts';
import { defineReadCostSuite } from '../graphql/read-cost-suite.ts';
import { scaled } from '../support/time-scale.ts';

/** The SageMaker adapter against moto_server (one file, so a reset never hits another suite). */
const motoAdapter = (id = 'sagemaker') =>
  new SageMakerRegistry({
    id,
    region: 'us-east-1',
    endpoint: inject('motoUrl'),
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    maxAttempts: 1,
    // moto is slow on a loaded machine: the SDK's default 10 s request timeout failed contract tests there. Timeouts have their own tests.
    timeoutMs: scaled(60_000),
  });

beforeAll(async () => {
  const response = await fetch(`${inject('motoUrl')}/moto-api/reset`, { method: 'POST' });
  if (!response.ok) throw new Error(`moto reset failed: HTTP ${response.status}`);
});

defineAdapterContractSuite('sagemaker (moto_server)', async () => {
  const adapter = motoAdapter();
  return { adapter, teardown: () => adapter.close(), peerLacks: ['deleteModel', 'deleteVersion'] };
});

defineFuzzSuite('sagemaker (moto_server)', async () => {
  const adapter = motoAdapter('sagemaker-fuzz');
  return { adapter, teardown: () => adapter.close() };
});

// The workflow suite runs here, not in its own file, so moto's reset never lands mid-suite.
defineWorkflowSuite('sagemaker (moto_server)', async () => {
  const adapter = motoAdapter('sagemaker-workflows');
  return { adapter, teardown: () => adapter.close() };
});

describe('SageMaker mapping, as SageMaker Studio sees it (moto_server)', () => {
  const adapter = motoAdapter('aws');
  const registry = enforceInputRules(adapter);
  const raw = new SageMakerClient({
    region: 'us-east-1',
    endpoint: inject('motoUrl'),
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  const run = randomUUID().slice(0, 8);
  const name = (label: string) => `map-${run}-${label}`;
  const describe_ = async (model: string, version: string) => {
    const group = await raw.send(new DescribeModelPackageGroupCommand({ ModelPackageGroupName: model }));
    const arn = group.ModelPackageGroupArn!.replace(':model-package-group/', ':model-package/').replace(/\/[^/]+$/, `/${model.toLowerCase()}/${version}`);
    return raw.send(new DescribeModelPackageCommand({ ModelPackageName: arn }));
  };
  afterAll(() => {
    raw.destroy();
    return adapter.close();
  });

  it('writes each stage as ModelApprovalStatus with a reason, mirrored in metadata', async () => {
    const model = name('stages');
    await registry.createModel({ name: model });
    await registry.createVersion({ name: model, metrics: { accuracy: 0.9 } });
    const expected: [Stage, string][] = [
      [Stage.STAGING, 'PendingManualApproval'],
      [Stage.PRODUCTION, 'Approved'],
      [Stage.ARCHIVED, 'Rejected'],
      [Stage.NONE, 'PendingManualApproval'],
    ];
    for (const [stage, approval] of expected) {
      await registry.setStage({ name: model, version: '1' }, stage);
      const pkg = await describe_(model, '1');
      expect([stage, pkg.ModelApprovalStatus, pkg.CustomerMetadataProperties?.['modelgate.stage']]).toEqual([stage, approval, stage]);
      expect(pkg.ApprovalDescription).toMatch(/modelgate/);
    }
  });

  it('keeps approval, metrics and stage when tags change (moto wipes what an update omits)', async () => {
    const model = name('keep');
    await registry.createModel({ name: model });
    await registry.createVersion({ name: model, source: 's3://b/m', metrics: { accuracy: 0.93 }, params: { depth: '4' }, tags: { team: 'risk' } });
    await registry.setStage({ name: model, version: '1' }, Stage.PRODUCTION);
    await registry.setTags({ name: model, version: '1' }, { validated: 'true' }, ['team']);
    const pkg = await describe_(model, '1');
    expect(pkg.ModelApprovalStatus).toBe('Approved');
    expect(pkg.CustomerMetadataProperties).toEqual({
      'modelgate.stage': 'PRODUCTION',
      'modelgate.source': 's3://b/m',
      'metric.accuracy': '0.93',
      'param.depth': '4',
      validated: 'true',
    });
    const [version] = await registry.getVersions([{ name: model, version: '1' }]);
    expect(version).toMatchObject({ stage: Stage.PRODUCTION, tags: { validated: 'true' }, source: 's3://b/m' });
  });

  it('refuses what SageMaker cannot hold, naming the limit, and changes nothing', async () => {
    const model = name('limits');
    await registry.createModel({ name: model });
    await registry.createVersion({ name: model });
    const key = { name: model, version: '1' };
    const tooMany = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`tag${i}`, 'x']));
    const many = await expectCode(registry.setTags(key, tooMany, []), ErrorCode.INVALID_INPUT);
    expect(many.message).toContain('at most 50');
    const long = await expectCode(registry.setTags(key, { note: 'x'.repeat(257) }, []), ErrorCode.INVALID_INPUT);
    expect(long.message).toContain('256');
    const longKey = await expectCode(registry.setTags(key, { ['k'.repeat(129)]: 'x' }, []), ErrorCode.INVALID_INPUT);
    expect(longKey.message).toContain('128');
    await expectCode(registry.setTags(key, { 'metric.accuracy': '1' }, []), ErrorCode.INVALID_INPUT);
    await expectCode(registry.createVersion({ name: model, metrics: { ['m'.repeat(125)]: 1 } }), ErrorCode.INVALID_INPUT);
    const bad = await expectCode(registry.createModel({ name: 'has_underscore' }), ErrorCode.INVALID_INPUT);
    expect(bad.message).toContain('SageMaker');
    const pkg = await describe_(model, '1');
    expect(Object.keys(pkg.CustomerMetadataProperties ?? {})).toEqual(['modelgate.stage']);
  });

  it('says why a model description cannot change', async () => {
    const model = name('desc');
    await registry.createModel({ name: model, description: 'fixed' });
    const error = await expectCode(registry.updateModel(model, { description: 'new' }), ErrorCode.UNSUPPORTED);
    expect(error.message).toContain('at creation only');
  });

  it('stores a description changed after registration in metadata entry modelgate.description and reads it back', async () => {
    const model = name('vdesc');
    await registry.createModel({ name: model });
    await registry.createVersion({ name: model, description: 'at registration' });
    const key = { name: model, version: '1' };
    const updated = await registry.updateVersion(key, { description: 'Gradient boosting, retrained' });
    expect(updated.description).toBe('Gradient boosting, retrained');
    const pkg = await describe_(model, '1');
    expect(pkg.ModelPackageDescription).toBe('at registration');
    expect(pkg.CustomerMetadataProperties?.['modelgate.description']).toBe('Gradient boosting, retrained');
    expect((await registry.getVersions([key]))[0]).toMatchObject({ description: 'Gradient boosting, retrained', tags: {} });
    // Back to what the package says: the entry goes; cleared: the entry says so.
    await registry.updateVersion(key, { description: 'at registration' });
    expect((await describe_(model, '1')).CustomerMetadataProperties?.['modelgate.description']).toBeUndefined();
    await registry.updateVersion(key, { description: null });
    expect((await registry.getVersions([key]))[0]?.description).toBeNull();
    const long = await expectCode(registry.updateVersion(key, { description: 'd'.repeat(257) }), ErrorCode.INVALID_INPUT);
    expect(long.message).toContain('modelgate.description');
    expect(long.message).toContain('256');
    expect(adapter.capabilities().limits.versionDescriptionChange?.maxLength).toBe(256);
  });

  it('stores a 20-input signature with 20-character names compactly across modelgate.signature.N entries and reads it back exactly', async () => {
    const model = name('signature');
    await registry.createModel({ name: model });
    const inputs = Array.from({ length: 20 }, (_, i) => ({ name: `feature_${String(i).padStart(2, '0')}_abcdefghi`, type: i % 2 ? 'double' : 'long', optional: i % 5 === 0 }));
    expect(inputs.every((f) => f.name.length === 20)).toBe(true);
    const signature = { inputs, outputs: [{ name: 'churn_probability', type: 'double', optional: false }] };
    expect(JSON.stringify(signature).length).toBeGreaterThan(256);
    const created = await registry.createVersion({ name: model, signature, tags: { team: 'risk' } });
    expect(created.signature).toEqual(signature);
    const [read] = await registry.getVersions([{ name: model, version: '1' }]);
    expect(read?.signature).toEqual(signature);
    expect(read?.tags).toEqual({ team: 'risk' });
    const meta = (await describe_(model, '1')).CustomerMetadataProperties ?? {};
    const parts = Object.keys(meta).filter((k) => k.startsWith('modelgate.signature.')).sort();
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.length).toBeLessThan(6);
    expect(parts.every((k) => meta[k]!.length <= 256)).toBe(true);
    // Tags still fit next to it, within the 50 entries.
    await registry.setTags({ name: model, version: '1' }, { validated: 'true' }, []);
    expect((await registry.getVersions([{ name: model, version: '1' }]))[0]?.signature).toEqual(signature);
  });

  it('counts the signature parts in the 50-entry budget and says so', async () => {
    const model = name('budget');
    await registry.createModel({ name: model });
    const inputs = Array.from({ length: 40 }, (_, i) => ({ name: `input_${i}_${'x'.repeat(100)}`, type: 'double', optional: false }));
    const tags = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`tag${i}`, 'x']));
    const error = await expectCode(registry.createVersion({ name: model, signature: { inputs, outputs: [] }, tags }), ErrorCode.INVALID_INPUT);
    expect(error.message).toContain('at most 50');
    expect(error.message).toContain('signature');
  });

  it('keeps model tags and aliases as tags on the group ARN', async () => {
    const model = name('tags');
    await registry.createModel({ name: model, tags: { team: 'growth' } });
    for (let i = 0; i < 2; i++) await registry.createVersion({ name: model });
    await registry.setAlias(model, 'champion', '1');
    await registry.setAlias(model, 'champion', '2');
    const group = await raw.send(new DescribeModelPackageGroupCommand({ ModelPackageGroupName: model }));
    const tags = await raw.send(new ListTagsCommand({ ResourceArn: group.ModelPackageGroupArn }));
    expect(Object.fromEntries((tags.Tags ?? []).map((t) => [t.Key, t.Value]))).toEqual({ team: 'growth', 'modelgate.alias.champion': '2' });
    expect((await registry.getModel(model))?.tags).toEqual({ team: 'growth' });
    await expectCode(registry.setTags({ name: model }, { 'modelgate.alias.x': '1' }, []), ErrorCode.INVALID_INPUT);
  });

  it('lists versions with ModelPackageType Versioned, the group name, and pages of at most 100', async () => {
    const model = name('paging');
    await registry.createModel({ name: model });
    for (let i = 0; i < 3; i++) await registry.createVersion({ name: model });
    const sent: unknown[] = [];
    const spy = new SageMakerRegistry({
      id: 'spy',
      region: 'us-east-1',
      endpoint: inject('motoUrl'),
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    (spy as unknown as { client: SageMakerClient }).client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'ListModelPackagesCommand') sent.push((args as { input: unknown }).input);
        return next(args);
      },
      { step: 'initialize' },
    );
    await spy.listVersions(model, { stages: [Stage.NONE] }, { first: 2 });
    await spy.close();
    expect(sent.length).toBeGreaterThan(0);
    for (const input of sent) expect(input).toMatchObject({ ModelPackageGroupName: model, ModelPackageType: 'Versioned', MaxResults: expect.any(Number) });
    expect(Math.max(...sent.map((i) => (i as { MaxResults: number }).MaxResults))).toBeLessThanOrEqual(100);
  });
});

/**
 * API calls per shape, counted on the SDK client as they leave for moto: the group's tags
 * (ListTags) only when the model's tags or aliases are selected; each version is described
 * (its stage and tags are metadata), once for the list and once for its metrics.
 */
defineReadCostSuite(
  'sagemaker (moto_server)',
  async () => {
    const adapter = motoAdapter('sagemaker-cost');
    const calls: string[] = [];
    (adapter as unknown as { client: SageMakerClient }).client.middlewareStack.add(
      (next, context) => async (args) => {
        calls.push(String(context.commandName).replace(/Command$/, ''));
        return next(args);
      },
      { step: 'initialize' },
    );
    // Sorted: calls for several versions go out concurrently, in no fixed order.
    const backend = { get calls() { return [...calls].sort(); }, reset: () => void calls.splice(0) };
    return { adapter, backend, teardown: () => adapter.close() };
  },
  {
    leanPage: sorted([...times(2, 'DescribeModelPackageGroup'), 'ListModelPackages', ...times(6, 'DescribeModelPackage')]),
    fullPage: sorted([...times(3, 'DescribeModelPackageGroup'), 'ListTags', 'ListModelPackages', ...times(6, 'DescribeModelPackage')]),
    oneVersion: sorted([...times(2, 'DescribeModelPackageGroup'), ...times(2, 'DescribeModelPackage')]),
    modelWithAliases: ['DescribeModelPackageGroup', 'ListTags'],
    versionWithModel: sorted(['DescribeModelPackage', ...times(2, 'DescribeModelPackageGroup'), 'ListTags']),
  },
);

function times(n: number, call: string): string[] {
  return Array.from({ length: n }, () => call);
}

function sorted(calls: string[]): string[] {
  return [...calls].sort();
}
