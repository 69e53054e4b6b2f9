import { describe, expect, it } from 'vitest';
import { ErrorCode, emptyCard, readCard, recordFrom, type CreateVersion, type ModelCard, type ModelVersion, type RegistryAdapter } from '../../src/core/index.ts';
import { expectCode } from './adapter-contract.ts';

/** A card with every section, awkward text included (non-ASCII, quotes, a key named like a prototype member). */
export const FULL_CARD = (): ModelCard => ({
  training: {
    framework: 'scikit-learn',
    algorithm: 'RandomForestClassifier',
    hyperparameters: recordFrom([
      ['n_estimators', '100'],
      ['max_depth', '10'],
      ['__proto__', 'kept as data'],
    ]),
    trainingData: 's3://données/churn/2024-q1.parquet',
    dataVersion: 'v2.1',
    codeVersion: '9f2c1e7',
  },
  dependencies: [
    { name: 'pandas', version: '2.0.3' },
    { name: 'python', version: '3.10.12' },
    { name: 'scikit-learn', version: '1.3.0' },
  ],
  deployment: { servingFramework: 'mlserver "1.3"', endpoint: 'https://serve.example/churn', latencyP99Ms: 45.5, throughputRps: 1000 },
  parentVersion: 'mlflow:models:/churn/3',
});

/** Peers on a busy machine answer slowly; each case makes a dozen calls. */
const SLOW = 120_000;

interface CardContext {
  registry: () => RegistryAdapter;
  unique: (label: string) => string;
  register: (input: CreateVersion) => Promise<ModelVersion>;
}

/** The card on the port: every backend stores it natively and reads it back exactly, within its declared limits. */
export function defineCardContract({ registry, unique, register }: CardContext): void {
  describe('model card', () => {
    const versionCount = async (name: string) => (await registry().listVersions(name, {}, { first: 200 }).catch(() => ({ items: [] }))).items.length;

    it('stores a card given at registration and reads it back exactly, apart from the tags', async () => {
      const name = unique('card-full');
      const created = await register({ name, createModel: {}, tags: { team: 'churn' }, card: FULL_CARD() });
      expect(created.card).toEqual(FULL_CARD());
      const [read] = await registry().getVersions([{ name, version: created.version }]);
      expect(read!.card).toEqual(FULL_CARD());
      expect(Object.hasOwn(read!.card!.training.hyperparameters, '__proto__')).toBe(true);
      // The card is not shown as tags, and the user's tags are untouched.
      expect({ ...read!.tags }).toEqual({ team: 'churn' });
      const listed = (await registry().listVersions(name, {}, { first: 10 })).items[0]!;
      expect(listed.card).toEqual(FULL_CARD());
      const view = readCard(read!);
      expect(view.lineage).toEqual({ runId: null, trainingData: 's3://données/churn/2024-q1.parquet', dataVersion: 'v2.1', codeVersion: '9f2c1e7', parentVersion: 'mlflow:models:/churn/3' });
    }, SLOW);

    it('has no card when none was given', async () => {
      const name = unique('card-none');
      const created = await register({ name, createModel: {} });
      expect(created.card ?? null).toBeNull();
      expect(readCard(created).training.framework).toBeNull();
    }, SLOW);

    it('replaces the card with updateCard where the backend allows it, and refuses clearly where it does not', async () => {
      const name = unique('card-update');
      const created = await register({ name, createModel: {}, tags: { keep: 'me' }, card: FULL_CARD() });
      const key = { name, version: created.version };
      const next: ModelCard = { ...emptyCard(), training: { ...emptyCard().training, framework: 'xgboost', dataVersion: 'v3' }, dependencies: [{ name: 'xgboost', version: '2.0.0' }] };
      if (!registry().capabilities().cardMutable) {
        await expectCode(registry().updateCard(key, next), ErrorCode.UNSUPPORTED);
        expect((await registry().getVersions([key]))[0]!.card).toEqual(FULL_CARD());
        return;
      }
      const updated = await registry().updateCard(key, next);
      expect(updated.card).toEqual(next);
      const [read] = await registry().getVersions([key]);
      expect(read!.card).toEqual(next);
      expect({ ...read!.tags }).toEqual({ keep: 'me' });
      // Tags set later leave the card alone.
      await registry().setTags(key, { more: 'tags' }, []);
      expect((await registry().getVersions([key]))[0]!.card).toEqual(next);
      const cleared = await registry().updateCard(key, null);
      expect(cleared.card ?? null).toBeNull();
      await expectCode(registry().updateCard({ name, version: '999' }, next), ErrorCode.NOT_FOUND);
    }, SLOW);

    it('holds a card field as long as the backend declares, and refuses a longer one with INVALID_INPUT before anything is written', async () => {
      const limit = Math.min(registry().capabilities().limits.cardValue?.maxLength ?? 1000, 1000);
      const name = unique('card-long');
      await register({ name, createModel: {} });
      const card = (length: number): ModelCard => ({ ...emptyCard(), training: { ...emptyCard().training, trainingData: 's3://' + 'x'.repeat(length - 5) } });
      const fits = await register({ name, card: card(limit) });
      expect(fits.card!.training.trainingData).toHaveLength(limit);
      const error = await expectCode(register({ name, card: card(limit + 1) }), ErrorCode.INVALID_INPUT);
      expect(error.message).toMatch(/trainingData/);
      expect(error.details).toMatchObject({ limit });
      expect(await versionCount(name)).toBe(2);
    }, SLOW);

    it('refuses malformed cards with INVALID_INPUT and creates nothing', async () => {
      const name = unique('card-bad');
      await register({ name, createModel: {} });
      const base = emptyCard();
      const bad: ModelCard[] = [
        { ...base, dependencies: [{ name: 'scikit learn', version: '1' }] },
        { ...base, dependencies: [{ name: 'numpy', version: '1' }, { name: 'NumPy', version: '2' }] },
        { ...base, training: { ...base.training, framework: 'bad \ud800 text' } },
        { ...base, training: { ...base.training, framework: '' } },
        { ...base, deployment: { ...base.deployment, latencyP99Ms: Number.NaN } },
        { ...base, deployment: { ...base.deployment, throughputRps: -1 } },
        { ...base, training: { ...base.training, hyperparameters: recordFrom([['../up', '1']]) } },
      ];
      for (const card of bad) await expectCode(register({ name, card }), ErrorCode.INVALID_INPUT);
      expect(await versionCount(name)).toBe(1);
    }, SLOW);

    it('keeps a card with many dependencies within the backend\'s entry limit, INVALID_INPUT beyond it', async () => {
      const name = unique('card-many');
      await register({ name, createModel: {} });
      const many: ModelCard = { ...emptyCard(), dependencies: Array.from({ length: 60 }, (_, i) => ({ name: `pkg${String(i).padStart(2, '0')}`, version: '1.0.0' })) };
      const entryLimit = registry().capabilities().limits.maxVersionTags;
      if (entryLimit !== null && entryLimit < 60) {
        const error = await expectCode(register({ name, card: many }), ErrorCode.INVALID_INPUT);
        expect(error.details).toMatchObject({ limit: entryLimit });
        expect(await versionCount(name)).toBe(1);
      } else {
        expect((await register({ name, card: many })).card!.dependencies).toHaveLength(60);
      }
    }, SLOW);
  });
}
