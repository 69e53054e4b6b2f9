import { describe, expect, it } from 'vitest';
import { LocalRegistry } from '../../adapters/local/index.ts';
import { Stage, enforceInputRules, type RegistryAdapter } from '../../src/core/index.ts';
import { transitionStage } from '../../src/workflows/transition.ts';

/** The local registry pretending it has no atomic archive step, to exercise the generic path. */
function withoutAtomicArchive(inner: RegistryAdapter): RegistryAdapter {
  const capabilities = { ...inner.capabilities(), archiveExistingAtomic: false };
  return new Proxy(inner, {
    get: (target, property, receiver) => (property === 'capabilities' ? () => capabilities : Reflect.get(target, property, receiver)),
  });
}

describe.each([
  ['atomic archive step', (r: RegistryAdapter) => r],
  ['archive one by one', withoutAtomicArchive],
])('transitionStage with %s', (_label, wrap) => {
  async function registryWithVersions(count: number) {
    const registry = enforceInputRules(wrap(new LocalRegistry({ id: 'local', path: ':memory:' })));
    await registry.createModel({ name: 'm' });
    for (let i = 0; i < count; i++) await registry.createVersion({ name: 'm' });
    return registry;
  }
  const stages = async (registry: RegistryAdapter) =>
    (await registry.listVersions('m', {}, { first: 50 })).items.map((v) => `${v.version}:${v.stage}`).reverse();

  it('archives every other holder of the target stage and reports them', async () => {
    const registry = await registryWithVersions(4);
    await registry.setStage({ name: 'm', version: '1' }, Stage.PRODUCTION);
    await registry.setStage({ name: 'm', version: '2' }, Stage.PRODUCTION);
    await registry.setStage({ name: 'm', version: '3' }, Stage.STAGING);
    const result = await transitionStage(registry, { name: 'm', version: '4' }, Stage.PRODUCTION, { archiveExisting: true });
    expect(result.version.stage).toBe(Stage.PRODUCTION);
    expect(result.archived.map((v) => `${v.version}:${v.stage}`).sort()).toEqual(['1:ARCHIVED', '2:ARCHIVED']);
    expect(await stages(registry)).toEqual(['1:ARCHIVED', '2:ARCHIVED', '3:STAGING', '4:PRODUCTION']);
  });

  it('leaves other versions alone without archiveExisting, or for NONE and ARCHIVED', async () => {
    const registry = await registryWithVersions(3);
    await registry.setStage({ name: 'm', version: '1' }, Stage.PRODUCTION);
    await transitionStage(registry, { name: 'm', version: '2' }, Stage.PRODUCTION);
    await transitionStage(registry, { name: 'm', version: '3' }, Stage.NONE, { archiveExisting: true });
    expect(await stages(registry)).toEqual(['1:PRODUCTION', '2:PRODUCTION', '3:NONE']);
  });

  it('re-transitioning the current holder archives nothing', async () => {
    const registry = await registryWithVersions(1);
    await registry.setStage({ name: 'm', version: '1' }, Stage.PRODUCTION);
    const result = await transitionStage(registry, { name: 'm', version: '1' }, Stage.PRODUCTION, { archiveExisting: true });
    expect(result.archived).toEqual([]);
    expect(await stages(registry)).toEqual(['1:PRODUCTION']);
  });
});
