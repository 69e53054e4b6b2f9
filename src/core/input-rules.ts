import type { RegistryAdapter } from './adapter.ts';
import { isVersionKey } from './adapter.ts';
import { ErrorCode, cardNotMutable, isRegistryError, invalidInput } from './errors.ts';
import type { VersionKey } from './model.ts';
import { checkCard } from './card.ts';
import {
  checkAlias,
  checkKey,
  checkMetrics,
  checkModelName,
  checkRunId,
  checkSemver,
  checkSignature,
  checkTags,
  checkText,
  checkVersion,
  checkWellFormed,
} from './rules.ts';

/**
 * Wraps an adapter so that every write is checked against the core rules and the
 * backend's declared limits before anything is sent, and every error names the registry.
 * Both the gateway and the contract suite use adapters through this, so a rule is
 * enforced the same way on every backend.
 */
export function enforceInputRules(adapter: RegistryAdapter): RegistryAdapter {
  const limits = adapter.capabilities().limits;
  const attribute = async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      throw isRegistryError(error) ? error.withRegistry(adapter.id) : error;
    }
  };
  // Reads take names as given: an odd name simply does not exist.
  const checkReadName = (name: string) => checkWellFormed('Model name', name);
  const checkKeyOf = (key: VersionKey) => {
    checkReadName(key.name);
    checkVersion(key.version);
  };
  const checkDescription = (description: string | null | undefined) => {
    if (description != null) checkText('Description', description, limits.description);
  };

  return {
    id: adapter.id,
    kind: adapter.kind,
    capabilities: () => adapter.capabilities(),
    health: () => adapter.health(),
    close: () => adapter.close?.() ?? Promise.resolve(),

    listModels: (query, page, shape) =>
      attribute(() => {
        if (query.namePrefix != null) checkWellFormed('namePrefix', query.namePrefix);
        if (query.nameContains != null) checkWellFormed('nameContains', query.nameContains);
        for (const tag of query.tags ?? []) {
          checkWellFormed('tag key', tag.key);
          if (tag.value != null) checkWellFormed('tag value', tag.value);
        }
        return adapter.listModels(query, page, shape);
      }),
    getModel: (name, shape) => attribute(() => (checkReadName(name), adapter.getModel(name, shape))),
    createModel: (input) =>
      attribute(() => {
        checkModelName(input.name, limits.modelName);
        checkDescription(input.description);
        checkTags(input.tags ?? {}, limits, 'model');
        return adapter.createModel(input);
      }),
    updateModel: (name, patch) =>
      attribute(() => {
        checkReadName(name);
        checkDescription(patch.description);
        return adapter.updateModel(name, patch);
      }),
    renameModel: (name, newName) =>
      attribute(() => {
        checkReadName(name);
        checkModelName(newName, limits.modelName);
        return adapter.renameModel(name, newName);
      }),
    deleteModel: (name) => attribute(() => (checkReadName(name), adapter.deleteModel(name))),

    listVersions: (name, query, page, shape) => attribute(() => (checkReadName(name), adapter.listVersions(name, query, page, shape))),
    getVersions: (keys, shape) =>
      attribute(() => {
        keys.forEach(checkKeyOf);
        return adapter.getVersions(keys, shape);
      }),
    latestVersions: (names, stages) =>
      attribute(() => {
        names.forEach(checkReadName);
        return adapter.latestVersions(names, stages);
      }),
    createVersion: (input) =>
      attribute(async () => {
        checkReadName(input.name);
        checkDescription(input.description);
        if (input.source != null) checkText('Source', input.source, limits.source);
        if (!input.source && adapter.capabilities().versionSourceRequired) {
          throw invalidInput(`This registry (${adapter.kind}) requires a source: where the version's artifacts are`, { field: 'source' });
        }
        if (input.runId != null) checkRunId(input.runId);
        checkTags(input.tags ?? {}, limits, 'version');
        checkMetrics(input.metrics ?? {}, input.params ?? {});
        if (input.semver != null) checkSemver(input.semver);
        if (input.signature != null) checkSignature(input.signature);
        if (input.card != null) checkCard(input.card, limits.cardValue);
        if (input.createModel) {
          checkModelName(input.name, limits.modelName);
          checkDescription(input.createModel.description);
          checkTags(input.createModel.tags ?? {}, limits, 'model');
          // Backends that hold empty models get the model first; the others create both in one step.
          if (adapter.capabilities().modelWithoutVersions) {
            const { createModel, ...version } = input;
            if (!(await adapter.getModel(input.name))) {
              await adapter.createModel({ name: input.name, ...createModel, createdBy: input.createdBy }).catch((error: unknown) => {
                if (!(isRegistryError(error) && error.code === ErrorCode.ALREADY_EXISTS)) throw error;
              });
            }
            return adapter.createVersion(version);
          }
        }
        return adapter.createVersion(input);
      }),
    updateVersion: (key, patch) =>
      attribute(() => {
        checkKeyOf(key);
        checkDescription(patch.description);
        const change = limits.versionDescriptionChange;
        if (change && patch.description != null && patch.description.length > change.maxLength) {
          throw invalidInput(`Description is ${patch.description.length} characters long; a changed description is ${change.rule ?? `at most ${change.maxLength}`}`, {
            field: 'description',
            limit: change.maxLength,
          });
        }
        return adapter.updateVersion(key, patch);
      }),
    updateCard: (key, card) =>
      attribute(() => {
        checkKeyOf(key);
        if (card != null) checkCard(card, limits.cardValue);
        if (!adapter.capabilities().cardMutable) throw cardNotMutable(adapter.kind);
        return adapter.updateCard(key, card);
      }),
    getDownloadUri: (key) => attribute(() => (checkKeyOf(key), adapter.getDownloadUri(key))),
    deleteVersion: (key) => attribute(() => (checkKeyOf(key), adapter.deleteVersion(key))),

    setTags: (target, set, remove) =>
      attribute(() => {
        if (isVersionKey(target)) checkKeyOf(target);
        else checkReadName(target.name);
        checkTags(set, { ...limits, maxVersionTags: null }, isVersionKey(target) ? 'version' : 'model');
        for (const key of remove) checkKey('Tag key', key, limits.tagKey);
        const clash = remove.find((key) => Object.hasOwn(set, key));
        if (clash !== undefined) throw invalidInput(`Tag '${clash}' is both set and removed in one call`);
        return adapter.setTags(target, set, remove);
      }),
    setAlias: (name, alias, version) =>
      attribute(() => {
        checkReadName(name);
        checkAlias(alias);
        checkVersion(version);
        return adapter.setAlias(name, alias, version);
      }),
    deleteAlias: (name, alias) =>
      attribute(() => {
        checkReadName(name);
        checkWellFormed('Alias', alias);
        return adapter.deleteAlias(name, alias);
      }),
    getVersionByAlias: (name, alias) =>
      attribute(() => {
        checkReadName(name);
        checkWellFormed('Alias', alias);
        return adapter.getVersionByAlias(name, alias);
      }),
    setStage: (key, stage, options) => attribute(() => (checkKeyOf(key), adapter.setStage(key, stage, options))),
    getMetrics: (keys, shape) =>
      attribute(() => {
        keys.forEach(checkKeyOf);
        return adapter.getMetrics(keys, shape);
      }),
  };
}
