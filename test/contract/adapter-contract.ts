import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ALL_STAGES,
  ErrorCode,
  Stage,
  VersionOrder,
  endCursor,
  enforceInputRules,
  isRegistryError,
  recordFrom,
  versionKeyId,
  type CreateVersion,
  type RegistryAdapter,
} from '../../src/core/index.ts';
import { artifactUri } from '../support/artifacts.ts';
import { scaled } from '../support/time-scale.ts';
import { defineCardContract } from './card-contract.ts';

export interface ContractSubject {
  adapter: RegistryAdapter;
  teardown?: () => Promise<void>;
  /**
   * Operations the test peer does not implement although the real service does (moto has no
   * DeleteModelPackage): there the suite asserts the clear BACKEND_UNAVAILABLE the adapter
   * gives, and the operation itself is proven by the adapter's mocked tests.
   */
  peerLacks?: readonly ('deleteModel' | 'deleteVersion')[];
}

/** Resolves when `promise` rejects with a RegistryError of `code`; returns that error. */
export async function expectCode(promise: Promise<unknown>, code: ErrorCode) {
  const error = await promise.then(
    () => {
      throw new Error(`expected ${code}, but the call succeeded`);
    },
    (e: unknown) => e,
  );
  if (!isRegistryError(error)) throw error;
  expect(error.code, error.message).toBe(code);
  return error;
}

/**
 * The one suite every adapter passes: what a user may rely on whatever the backend.
 * Names are unique per run so the suite also runs against servers that keep state.
 */
export function defineAdapterContractSuite(name: string, setup: () => Promise<ContractSubject>): void {
  describe(`registry adapter contract: ${name}`, () => {
    let subject: ContractSubject;
    let registry: RegistryAdapter;
    const run = randomUUID().slice(0, 8);
    const unique = (label: string) => `contract-${run}-${label}`;

    beforeAll(async () => {
      subject = await setup();
      registry = enforceInputRules(subject.adapter);
    }, scaled(120_000));
    afterAll(async () => {
      await subject?.teardown?.();
    });

    /** Registers a version with an artifact location, as real registrations have. */
    const register = (input: CreateVersion) => registry.createVersion({ source: artifactUri(registry, 'models/artifact'), ...input });

    /**
     * A model as a user makes one: with createModel where models can be empty, else (Vertex)
     * with its first version, which is then the only version it has.
     */
    async function newModel(label: string, props: { description?: string; tags?: Record<string, string> } = {}) {
      const name = unique(label);
      if (registry.capabilities().modelWithoutVersions) return registry.createModel({ name, ...props });
      await expectCode(registry.createModel({ name, ...props }), ErrorCode.UNSUPPORTED);
      await register({ name, createModel: props });
      return (await registry.getModel(name))!;
    }

    /** A model with exactly `count` versions (count >= 1), numbered 1..count. */
    async function modelWithVersions(label: string, count: number) {
      const name = unique(label);
      const versions = [await register({ name, createModel: {} })];
      for (let i = 1; i < count; i++) versions.push(await register({ name }));
      return { model: (await registry.getModel(name))!, versions };
    }

    describe('models', () => {
      it('creates a model and reads it back with description and tags', async () => {
        const created = await newModel('churn', { description: 'Predicts churn', tags: { team: 'growth', data_version: '2024-01' } });
        expect(created).toMatchObject({ registry: registry.id, name: unique('churn'), description: 'Predicts churn' });
        const read = await registry.getModel(unique('churn'));
        expect(read?.tags).toEqual({ team: 'growth', data_version: '2024-01' });
        expect(read?.createdAt).toBeInstanceOf(Date);
        expect(read?.aliases).toEqual([]);
      });

      it('returns null for a model that does not exist', async () => {
        expect(await registry.getModel(unique('missing'))).toBeNull();
      });

      it('refuses a duplicate model with ALREADY_EXISTS and keeps the first', async () => {
        await newModel('dup', { description: 'first' });
        await expectCode(registry.createModel({ name: unique('dup'), description: 'second' }), ErrorCode.ALREADY_EXISTS);
        expect((await registry.getModel(unique('dup')))?.description).toBe('first');
      });

      it('updates the description where the backend allows it', async () => {
        await newModel('describe', { description: 'old' });
        if (!registry.capabilities().modelDescriptionMutable) {
          await expectCode(registry.updateModel(unique('describe'), { description: 'new' }), ErrorCode.UNSUPPORTED);
          return;
        }
        const updated = await registry.updateModel(unique('describe'), { description: 'new' });
        expect(updated.description).toBe('new');
        expect((await registry.getModel(unique('describe')))?.description).toBe('new');
      });

      it('renames a model; its versions, tags and aliases follow', async () => {
        const { model } = await modelWithVersions('rename-from', 2);
        if (!registry.capabilities().modelRename) {
          await expectCode(registry.renameModel(model.name, unique('rename-to')), ErrorCode.UNSUPPORTED);
          return;
        }
        await registry.setTags({ name: model.name }, { team: 'a' }, []);
        await registry.setAlias(model.name, 'champion', '2');
        const renamed = await registry.renameModel(model.name, unique('rename-to'));
        expect(renamed).toMatchObject({ name: unique('rename-to'), tags: { team: 'a' }, aliases: [{ alias: 'champion', version: '2' }] });
        expect(await registry.getModel(model.name)).toBeNull();
        const versions = await registry.listVersions(unique('rename-to'), {}, { first: 5 });
        expect(versions.items.map((v) => `${v.name}/${v.version}`)).toEqual([`${unique('rename-to')}/2`, `${unique('rename-to')}/1`]);
        await newModel('rename-taken');
        await expectCode(registry.renameModel(unique('rename-to'), unique('rename-taken')), ErrorCode.ALREADY_EXISTS);
        await expectCode(registry.renameModel(unique('rename-gone'), unique('rename-x')), ErrorCode.NOT_FOUND);
        await expectCode(registry.renameModel(unique('rename-to'), 'bad/name'), ErrorCode.INVALID_INPUT);
      });

      it('deletes a model with its versions', async () => {
        const { model } = await modelWithVersions('doomed', 2);
        if (subject.peerLacks?.includes('deleteModel')) {
          const error = await expectCode(registry.deleteModel(model.name), ErrorCode.BACKEND_UNAVAILABLE);
          expect(error.message).toContain('not JSON');
          return;
        }
        await registry.deleteModel(model.name);
        expect(await registry.getModel(model.name)).toBeNull();
        await expectCode(registry.deleteModel(model.name), ErrorCode.NOT_FOUND);
      });

      it('pages through models over three pages with no duplicates or gaps', async () => {
        const names = Array.from({ length: 7 }, (_, i) => unique(`paged-${String.fromCharCode(103 - i)}`));
        for (const modelName of names) await newModel(modelName.slice(unique('').length));
        const seen: string[] = [];
        let after: string | null = null;
        let pages = 0;
        do {
          const page = await registry.listModels({ namePrefix: unique('paged-') }, { first: 3, after });
          seen.push(...page.items.map((m) => m.name));
          after = page.hasNextPage ? endCursor(page) : null;
          pages++;
        } while (after && pages < 10);
        expect(pages).toBe(3);
        expect(seen).toEqual([...names].sort());
        const first = await registry.listModels({ namePrefix: unique('paged-') }, { first: 3 });
        const resumed = await registry.listModels({ namePrefix: unique('paged-') }, { first: 2, after: first.cursors[1]! });
        expect(resumed.items.map((m) => m.name)).toEqual(seen.slice(2, 4));
      });

      it('filters models by name substring and by tag', async () => {
        await newModel('filter-Alpha', { tags: { owner: 'ana' } });
        await newModel('filter-beta', { tags: { owner: 'bo' } });
        const contains = await registry.listModels({ nameContains: `${run}-filter-alpha` }, { first: 10 });
        expect(contains.items.map((m) => m.name)).toEqual([unique('filter-Alpha')]);
        const tagged = await registry.listModels({ namePrefix: unique('filter-'), tags: [{ key: 'owner', value: 'bo' }] }, { first: 10 });
        expect(tagged.items.map((m) => m.name)).toEqual([unique('filter-beta')]);
        const anyOwner = await registry.listModels({ namePrefix: unique('filter-'), tags: [{ key: 'owner', value: null }] }, { first: 10 });
        expect(anyOwner.items).toHaveLength(2);
      });

      it('rejects a cursor it did not issue with INVALID_INPUT', async () => {
        await expectCode(registry.listModels({}, { first: 5, after: 'not-a-cursor' }), ErrorCode.INVALID_INPUT);
      });
    });

    describe('names that need care', () => {
      const awkward = [
        `it's`,
        'say "hi"',
        'back\\slash',
        '100%_done',
        'with space',
        'Modèle-数据-🚀',
        `x' OR name LIKE '%`,
      ];

      it('round-trips every awkward name exactly and never matches another model', async () => {
        const rule = registry.capabilities().limits.modelName;
        const plain = unique('plain');
        await newModel('plain');
        for (const label of awkward) {
          const modelName = unique(label);
          if (rule.pattern && !rule.pattern.test(modelName)) {
            const error = await expectCode(registry.createModel({ name: modelName }), ErrorCode.INVALID_INPUT);
            expect(error.message).toContain(rule.rule ?? rule.pattern.source);
            continue;
          }
          await newModel(label, { description: label });
          const read = await registry.getModel(modelName);
          expect(read?.name).toBe(modelName);
          expect(read?.description).toBe(label);
          const version = await register({ name: modelName });
          expect(version.name).toBe(modelName);
          const versions = await registry.listVersions(modelName, {}, { first: 5 });
          expect(versions.items.every((v) => v.name === modelName)).toBe(true);
          const byPrefix = await registry.listModels({ namePrefix: modelName }, { first: 50 });
          expect(byPrefix.items.map((m) => m.name)).toEqual([modelName]);
          const byContains = await registry.listModels({ nameContains: label }, { first: 50 });
          expect(byContains.items.map((m) => m.name)).toContain(modelName);
          expect(byContains.items.map((m) => m.name)).not.toContain(plain);
        }
      });

      it('treats LIKE wildcards in a search as plain characters', async () => {
        await newModel('wild-a1');
        const percent = await registry.listModels({ nameContains: `${run}-wild-%` }, { first: 50 });
        expect(percent.items).toEqual([]);
        const underscore = await registry.listModels({ namePrefix: unique('wild_') }, { first: 50 });
        expect(underscore.items).toEqual([]);
      });

      it('rejects empty, control-character, malformed-Unicode and over-long names and creates nothing', async () => {
        const limit = registry.capabilities().limits.modelName.maxLength;
        const bad = ['', unique('tab\there'), unique('nul\u0000'), unique('lone\ud800'), ` ${unique('padded')}`, unique('a/b'), unique('a:b'), '..', 'x'.repeat(limit + 1)];
        for (const modelName of bad) {
          await expectCode(registry.createModel({ name: modelName }), ErrorCode.INVALID_INPUT);
        }
        const leaked = await registry.listModels({ nameContains: `${run}-tab` }, { first: 5 });
        expect(leaked.items).toEqual([]);
      });
    });

    describe('versions', () => {
      it('numbers versions from 1 and round-trips their fields', async () => {
        const first = await register({
          name: unique('fields'),
          createModel: {},
          source: artifactUri(registry, 'bucket/model/1'),
          runId: 'run123abc',
          description: 'baseline',
          tags: { framework: 'sklearn' },
        });
        expect(first).toMatchObject({
          registry: registry.id,
          name: unique('fields'),
          version: '1',
          stage: Stage.NONE,
          description: 'baseline',
          source: artifactUri(registry, 'bucket/model/1'),
          runId: 'run123abc',
          status: 'READY',
          tags: { framework: 'sklearn' },
          aliases: [],
        });
        expect(first.createdAt.getTime()).toBeGreaterThan(Date.now() - 600_000);
        const second = await register({ name: unique('fields') });
        expect(second.version).toBe('2');
      });

      it('keeps the semantic version and signature given at registration', async () => {
        const signature = {
          inputs: [{ name: 'age', type: 'long', optional: false }, { name: 'region', type: 'string', optional: true }],
          outputs: [{ name: 'score', type: 'double', optional: false }],
        };
        const created = await register({ name: unique('semver'), createModel: {}, semver: '1.2.3', signature });
        expect(created).toMatchObject({ semver: '1.2.3', signature, tags: {} });
        const [read] = await registry.getVersions([{ name: unique('semver'), version: created.version }]);
        expect(read).toMatchObject({ semver: '1.2.3', signature, tags: {} });
        const plain = await register({ name: unique('semver') });
        expect([plain.semver, plain.signature]).toEqual([null, null]);
        await expectCode(register({ name: unique('semver'), semver: '1.2' }), ErrorCode.INVALID_INPUT);
      });

      it('registers a version without a source only where the backend allows it', async () => {
        if (registry.capabilities().versionSourceRequired) {
          const error = await expectCode(registry.createVersion({ name: unique('nosource'), createModel: {} }), ErrorCode.INVALID_INPUT);
          expect(error.message).toContain('source');
          expect(await registry.getModel(unique('nosource'))).toBeNull();
        } else {
          const version = await registry.createVersion({ name: unique('nosource'), createModel: {} });
          expect(version.source).toBeNull();
        }
      });

      it('refuses a source outside the artifact schemes the backend declares with INVALID_INPUT naming them, creating nothing', async () => {
        const schemes = registry.capabilities().artifactSchemes;
        const foreign = ['file:///tmp/model', 's3://bucket/model', 'gs://bucket/model'].filter((uri) => schemes && !schemes.some((scheme) => uri.startsWith(scheme)));
        for (const [i, source] of foreign.entries()) {
          const error = await expectCode(registry.createVersion({ name: unique(`scheme${i}`), source, createModel: {} }), ErrorCode.INVALID_INPUT);
          expect(error.message).toContain(schemes![0]!);
          expect(error.details).toMatchObject({ field: 'source', requires: schemes });
          expect(await registry.getModel(unique(`scheme${i}`))).toBeNull();
        }
        // Every declared scheme, and any location where none is declared (MLflow's own rules aside: a remote location), registers.
        const version = await registry.createVersion({ name: unique('scheme-ok'), source: artifactUri(registry, 'bucket/model'), createModel: {} });
        expect(version.source).toBe(artifactUri(registry, 'bucket/model'));
        expect(foreign.length).toBe(schemes ? 3 - schemes.length : 0);
      });

      it('reads a batch of versions in order, null where missing', async () => {
        const { model } = await modelWithVersions('batch', 3);
        const got = await registry.getVersions([
          { name: model.name, version: '3' },
          { name: model.name, version: '9' },
          { name: unique('nope'), version: '1' },
          { name: model.name, version: '1' },
        ]);
        expect(got.map((v) => v?.version ?? null)).toEqual(['3', null, null, '1']);
      });

      it('lists versions newest first over three pages with no duplicates or gaps', async () => {
        const { model } = await modelWithVersions('pages', 7);
        const seen: string[] = [];
        let after: string | null = null;
        let pages = 0;
        do {
          const page = await registry.listVersions(model.name, {}, { first: 3, after });
          seen.push(...page.items.map((v) => v.version));
          after = page.hasNextPage ? endCursor(page) : null;
          pages++;
        } while (after && pages < 10);
        expect(pages).toBe(3);
        expect(seen).toEqual(['7', '6', '5', '4', '3', '2', '1']);
        const first = await registry.listVersions(model.name, {}, { first: 3 });
        const resumed = await registry.listVersions(model.name, {}, { first: 2, after: first.cursors[0]! });
        expect(resumed.items.map((v) => v.version)).toEqual(['6', '5']);
        const oldest = await registry.listVersions(model.name, { order: VersionOrder.OLDEST_FIRST }, { first: 2 });
        expect(oldest.items.map((v) => v.version)).toEqual(['1', '2']);
      });

      it('filters versions by stage', async () => {
        const { model } = await modelWithVersions('stagefilter', 4);
        await registry.setStage({ name: model.name, version: '2' }, Stage.STAGING);
        await registry.setStage({ name: model.name, version: '4' }, Stage.STAGING);
        await registry.setStage({ name: model.name, version: '3' }, Stage.PRODUCTION);
        const staging = await registry.listVersions(model.name, { stages: [Stage.STAGING] }, { first: 10 });
        expect(staging.items.map((v) => v.version)).toEqual(['4', '2']);
        const live = await registry.listVersions(model.name, { stages: [Stage.STAGING, Stage.PRODUCTION] }, { first: 10 });
        expect(live.items.map((v) => v.version)).toEqual(['4', '3', '2']);
      });

      it('tells where a version downloads from', async () => {
        const version = await registry.createVersion({ name: unique('download'), source: artifactUri(registry, 'bucket/download/model'), createModel: {} });
        expect(await registry.getDownloadUri({ name: unique('download'), version: version.version })).toBe(artifactUri(registry, 'bucket/download/model'));
        await expectCode(registry.getDownloadUri({ name: unique('download'), version: '9' }), ErrorCode.NOT_FOUND);
      });

      it('updates a version description', async () => {
        const { model } = await modelWithVersions('vdesc', 1);
        if (!registry.capabilities().versionDescriptionMutable) {
          await expectCode(registry.updateVersion({ name: model.name, version: '1' }, { description: 'now described' }), ErrorCode.UNSUPPORTED);
          return;
        }
        const updated = await registry.updateVersion({ name: model.name, version: '1' }, { description: 'now described' });
        expect(updated.description).toBe('now described');
        const [read] = await registry.getVersions([{ name: model.name, version: '1' }]);
        expect(read?.description).toBe('now described');
        // A backend that keeps a changed description under a tighter limit declares it, and the error names it.
        const change = registry.capabilities().limits.versionDescriptionChange;
        if (change) {
          const key = { name: model.name, version: '1' };
          const error = await expectCode(registry.updateVersion(key, { description: 'd'.repeat(change.maxLength + 1) }), ErrorCode.INVALID_INPUT);
          expect(error.message).toContain(change.rule ?? String(change.maxLength));
          expect((await registry.getVersions([key]))[0]?.description).toBe('now described');
          await registry.updateVersion(key, { description: 'd'.repeat(change.maxLength) });
          expect((await registry.getVersions([key]))[0]?.description).toBe('d'.repeat(change.maxLength));
        }
      });

      it('never reuses a deleted version number', async () => {
        const { model } = await modelWithVersions('reuse', 3);
        if (subject.peerLacks?.includes('deleteVersion')) {
          const error = await expectCode(registry.deleteVersion({ name: model.name, version: '3' }), ErrorCode.BACKEND_UNAVAILABLE);
          expect(error.message).toContain('not JSON');
          expect((await register({ name: model.name })).version).toBe('4');
          return;
        }
        await registry.deleteVersion({ name: model.name, version: '3' });
        const [gone] = await registry.getVersions([{ name: model.name, version: '3' }]);
        expect(gone).toBeNull();
        const next = await register({ name: model.name });
        expect(next.version).toBe('4');
      });

      it('gives NOT_FOUND for a missing model or version on every write', async () => {
        const { model } = await modelWithVersions('missing', 1);
        const ghost = { name: model.name, version: '42' };
        await expectCode(register({ name: unique('no-such-model') }), ErrorCode.NOT_FOUND);
        await expectCode(registry.listVersions(unique('no-such-model'), {}, { first: 5 }), ErrorCode.NOT_FOUND);
        await expectCode(registry.updateVersion(ghost, { description: 'x' }), ErrorCode.NOT_FOUND);
        await expectCode(registry.setStage(ghost, Stage.STAGING), ErrorCode.NOT_FOUND);
        await expectCode(registry.setTags(ghost, { a: 'b' }, []), ErrorCode.NOT_FOUND);
        await expectCode(registry.setTags({ name: unique('no-such-model') }, { a: 'b' }, []), ErrorCode.NOT_FOUND);
        await expectCode(registry.setAlias(model.name, 'champion', '42'), ErrorCode.NOT_FOUND);
        await expectCode(registry.deleteVersion(ghost), ErrorCode.NOT_FOUND);
      });

      it('rejects a version that is not a positive integer with INVALID_INPUT', async () => {
        const { model } = await modelWithVersions('badversion', 1);
        for (const version of ['0', '-1', 'abc', '1.5', '01']) {
          await expectCode(registry.getVersions([{ name: model.name, version }]), ErrorCode.INVALID_INPUT);
        }
      });

      it('hands 20 concurrent registrations 20 distinct version numbers', async () => {
        const first = await register({ name: unique('concurrent'), createModel: {} });
        const created = [first, ...(await Promise.all(Array.from({ length: 19 }, () => register({ name: unique('concurrent') }))))];
        const numbers = created.map((v) => Number(v.version)).sort((a, b) => a - b);
        expect(numbers).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      });
    });

    describe('tags', () => {
      it('sets, overwrites and deletes model tags', async () => {
        await newModel('mtags', { tags: { keep: '1', change: 'old' } });
        await registry.setTags({ name: unique('mtags') }, { change: 'new', added: 'yes' }, []);
        expect((await registry.getModel(unique('mtags')))?.tags).toEqual({ keep: '1', change: 'new', added: 'yes' });
        await registry.setTags({ name: unique('mtags') }, {}, ['added', 'never-set']);
        expect((await registry.getModel(unique('mtags')))?.tags).toEqual({ keep: '1', change: 'new' });
      });

      it('sets, overwrites and deletes version tags without touching other versions', async () => {
        const { model } = await modelWithVersions('vtags', 2);
        const v1 = { name: model.name, version: '1' };
        await registry.setTags(v1, { validated: 'true', note: 'a' }, []);
        await registry.setTags(v1, { note: 'b' }, []);
        await registry.setTags(v1, {}, ['validated']);
        const [one, two] = await registry.getVersions([v1, { name: model.name, version: '2' }]);
        expect(one?.tags).toEqual({ note: 'b' });
        expect(two?.tags).toEqual({});
      });

      it('round-trips tag values with quotes, newlines and non-ASCII', async () => {
        const { model } = await modelWithVersions('tagvalues', 1);
        const value = `He said "it's" \\ 100% ✓\nsecond line`;
        const rule = registry.capabilities().limits.tagValue;
        if (rule.pattern && !rule.pattern.test(value)) {
          const error = await expectCode(registry.setTags({ name: model.name, version: '1' }, { note: value }, []), ErrorCode.INVALID_INPUT);
          expect(error.message).toContain(rule.rule ?? rule.pattern.source);
          return;
        }
        await registry.setTags({ name: model.name, version: '1' }, { note: value }, []);
        const [read] = await registry.getVersions([{ name: model.name, version: '1' }]);
        expect(read?.tags.note).toBe(value);
      });

      it('rejects bad tag keys and over-long values and changes nothing', async () => {
        const { model } = await modelWithVersions('badtags', 1);
        const key = { name: model.name, version: '1' };
        const limits = registry.capabilities().limits;
        await expectCode(registry.setTags(key, { '': 'x' }, []), ErrorCode.INVALID_INPUT);
        await expectCode(registry.setTags(key, { 'a\u0001b': 'x' }, []), ErrorCode.INVALID_INPUT);
        await expectCode(registry.setTags(key, { ok: 'fine', long: 'v'.repeat(limits.tagValue.maxLength + 1) }, []), ErrorCode.INVALID_INPUT);
        await expectCode(registry.setTags(key, { same: 'x' }, ['same']), ErrorCode.INVALID_INPUT);
        const [read] = await registry.getVersions([key]);
        expect(read?.tags).toEqual({});
      });
    });

    describe('keys that name Object.prototype members', () => {
      const KEYS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'];
      const pairs = (record: Record<string, unknown>) => Object.keys(record).sort().map((key) => [key, record[key]]);

      it('round-trips them as tag, metric and param keys; a key the backend cannot hold is INVALID_INPUT, never dropped', async () => {
        // Vertex labels are lowercase and start with a letter: only `constructor` fits; the rest must be refused by name.
        const rule = registry.capabilities().limits.tagKey;
        const holdable = KEYS.filter((key) => !rule.pattern || rule.pattern.test(key));
        const name = unique('protokeys');
        await register({
          name,
          createModel: {},
          metrics: recordFrom(KEYS.map((key, i) => [key, i + 0.5])),
          params: recordFrom(KEYS.map((key) => [key, `p-${key}`])),
        });
        const v1 = { name, version: '1' };
        const tags = recordFrom(holdable.map((key) => [key, `t-${key}`]));
        await registry.setTags(v1, tags, []);
        await registry.setTags({ name }, tags, []);
        for (const key of KEYS.filter((k) => !holdable.includes(k))) {
          await expectCode(registry.setTags(v1, recordFrom([[key, 'x']]), []), ErrorCode.INVALID_INPUT);
        }

        const [version] = await registry.getVersions([v1]);
        expect(pairs(version!.tags)).toEqual(pairs(tags));
        expect(pairs((await registry.getModel(name))!.tags)).toEqual(pairs(tags));
        const recorded = (await registry.getMetrics([v1])).get(versionKeyId(v1))!;
        expect(pairs(recorded.metrics)).toEqual(KEYS.map((key, i) => [key, i + 0.5]).sort());
        expect(pairs(recorded.params)).toEqual(KEYS.map((key) => [key, `p-${key}`]).sort());

        await registry.setTags(v1, recordFrom([]), holdable);
        expect(pairs((await registry.getVersions([v1]))[0]!.tags)).toEqual([]);
      });
    });

    describe('aliases', () => {
      it('sets, moves and deletes an alias; it sits on one version at a time', async () => {
        const { model } = await modelWithVersions('alias', 2);
        await registry.setAlias(model.name, 'champion', '1');
        expect((await registry.getVersionByAlias(model.name, 'champion'))?.version).toBe('1');
        await registry.setAlias(model.name, 'champion', '2');
        const [one, two] = await registry.getVersions([
          { name: model.name, version: '1' },
          { name: model.name, version: '2' },
        ]);
        expect(one?.aliases).toEqual([]);
        expect(two?.aliases).toEqual(['champion']);
        expect((await registry.getModel(model.name))?.aliases).toEqual([{ alias: 'champion', version: '2' }]);
        await registry.deleteAlias(model.name, 'champion');
        expect(await registry.getVersionByAlias(model.name, 'champion')).toBeNull();
        await expectCode(registry.deleteAlias(model.name, 'champion'), ErrorCode.NOT_FOUND);
      });

      it('rejects reserved and malformed alias names', async () => {
        const { model } = await modelWithVersions('reserved', 1);
        for (const alias of ['latest', 'Latest', 'v1', 'V12', '', 'has space', 'a/b']) {
          await expectCode(registry.setAlias(model.name, alias, '1'), ErrorCode.INVALID_INPUT);
        }
        expect((await registry.getModel(model.name))?.aliases).toEqual([]);
      });
    });

    describe('stages', () => {
      it('moves a version to each stage and back', async () => {
        const { model } = await modelWithVersions('stages', 1);
        const key = { name: model.name, version: '1' };
        for (const stage of [...ALL_STAGES].reverse()) {
          const moved = await registry.setStage(key, stage);
          expect(moved.stage).toBe(stage);
          const [read] = await registry.getVersions([key]);
          expect(read?.stage).toBe(stage);
        }
      });

      it('moves only the version asked for unless archiving is requested atomically', async () => {
        const { model } = await modelWithVersions('onlyone', 2);
        await registry.setStage({ name: model.name, version: '1' }, Stage.PRODUCTION);
        await registry.setStage({ name: model.name, version: '2' }, Stage.PRODUCTION);
        const both = await registry.listVersions(model.name, { stages: [Stage.PRODUCTION] }, { first: 5 });
        expect(both.items.map((v) => v.version)).toEqual(['2', '1']);
        if (registry.capabilities().archiveExistingAtomic) {
          await registry.setStage({ name: model.name, version: '1' }, Stage.PRODUCTION, { archiveExisting: true });
          const [one, two] = await registry.getVersions([
            { name: model.name, version: '1' },
            { name: model.name, version: '2' },
          ]);
          expect([one?.stage, two?.stage]).toEqual([Stage.PRODUCTION, Stage.ARCHIVED]);
        }
      });

      it('reports the latest version per stage for several models at once', async () => {
        const a = await modelWithVersions('latest-a', 3);
        const b = await modelWithVersions('latest-b', 1);
        await registry.setStage({ name: a.model.name, version: '1' }, Stage.STAGING);
        await registry.setStage({ name: a.model.name, version: '2' }, Stage.STAGING);
        const latest = await registry.latestVersions([a.model.name, b.model.name, unique('latest-none')], [Stage.STAGING, Stage.NONE]);
        const summary = (name: string) => (latest.get(name) ?? []).map((v) => `${v.stage}:${v.version}`).sort();
        expect(summary(a.model.name)).toEqual(['NONE:3', 'STAGING:2']);
        expect(summary(b.model.name)).toEqual(['NONE:1']);
        expect(summary(unique('latest-none'))).toEqual([]);
      });
    });

    describe('metrics', () => {
      it('returns the metrics and params recorded with each version, batched', async () => {
        await register({ name: unique('metrics'), createModel: {}, metrics: { accuracy: 0.88, f1_score: 0.84 }, params: { depth: '5' } });
        await register({ name: unique('metrics'), metrics: { accuracy: 0.92 } });
        await register({ name: unique('metrics') });
        const keys = ['1', '2', '3'].map((version) => ({ name: unique('metrics'), version }));
        const got = await registry.getMetrics(keys);
        expect(got.get(versionKeyId(keys[0]!))).toEqual({ metrics: { accuracy: 0.88, f1_score: 0.84 }, params: { depth: '5' } });
        expect(got.get(versionKeyId(keys[1]!))?.metrics).toEqual({ accuracy: 0.92 });
        expect(got.get(versionKeyId(keys[2]!))?.metrics ?? {}).toEqual({});
      });

      it('rejects a metric that is not a finite number', async () => {
        await expectCode(register({ name: unique('nanmetric'), createModel: {}, metrics: { accuracy: Number.NaN } }), ErrorCode.INVALID_INPUT);
        expect(await registry.getModel(unique('nanmetric'))).toBeNull();
      });
    });

    defineCardContract({ registry: () => registry, unique, register });

    describe('errors', () => {
      it('names the registry on every error it raises', async () => {
        const error = await expectCode(register({ name: unique('ghost') }), ErrorCode.NOT_FOUND);
        expect(isRegistryError(error) && error.registry).toBe(registry.id);
      });

      it('reports itself healthy', async () => {
        const health = await registry.health();
        expect(health.ok).toBe(true);
      });
    });
  });
}
