import type { RegistryAdapter } from './adapter.ts';
import type { Capabilities } from './capabilities.ts';
import { isVersionKey } from './adapter.ts';
import { ErrorCode, RegistryError, cardNotMutable, isRegistryError, invalidInput, modelRenameUnsupported } from './errors.ts';
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
  preview,
} from './rules.ts';

/**
 * Wraps an adapter so that every write is checked against the core rules and the
 * backend's declared limits before anything is sent, and every error names the registry.
 * Both the gateway and the contract suite use adapters through this, so a rule is
 * enforced the same way on every backend.
 */
export function enforceInputRules(adapter: RegistryAdapter): RegistryAdapter {
  // One object with shared methods: traced requests each wrap a registry again, so this stays one allocation.
  const ruled: Ruled = Object.create(RULES);
  ruled.id = adapter.id;
  ruled.kind = adapter.kind;
  ruled.adapter = adapter;
  ruled.limits = adapter.capabilities().limits;
  return ruled;
}

interface Ruled extends RegistryAdapter {
  id: string;
  kind: RegistryAdapter['kind'];
  adapter: RegistryAdapter;
  limits: Capabilities['limits'];
}

/** The checked call's errors name the registry. */
async function attribute<T>(self: Ruled, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw isRegistryError(error) ? error.withRegistry(self.adapter.id) : error;
  }
}

// Reads take names as given: an odd name simply does not exist.
const checkReadName = (name: string) => checkWellFormed('Model name', name);
const checkKeyOf = (key: VersionKey) => {
  checkReadName(key.name);
  checkVersion(key.version);
};
const checkDescription = (self: Ruled, description: string | null | undefined) => {
  if (description != null) checkText('Description', description, self.limits.description);
};
/** The backend's own rules on tags: keys it reserves, how many a model or version can carry at all. */
const checkBackendTags = (self: Ruled, set: Record<string, string>, remove: readonly string[], on: 'model' | 'version') => {
  self.limits.checkTagKeys?.(Object.keys(set), remove, on);
  const max = self.limits.maxTags;
  const count = Object.keys(set).length;
  if (max !== undefined && count > max) throw invalidInput(`This registry (${self.adapter.kind}) keeps at most ${max} tags on a ${on}; this call sets ${count}`, { limit: max });
};

/** Where a version's artifacts are: the core's text rule, the locations the backend can hold (`artifactSchemes`), and its own rule. */
const checkSource = (self: Ruled, source: string, runId: string | null) => {
  checkText('Source', source, self.limits.source);
  const schemes = self.adapter.capabilities().artifactSchemes;
  if (schemes && !schemes.some((scheme) => source.startsWith(scheme))) {
    throw invalidInput(`This registry (${self.adapter.kind}) holds artifact locations starting with ${schemes.join(' or ')}; source '${preview(source)}' is not one`, {
      field: 'source',
      requires: schemes,
    });
  }
  self.limits.checkSource?.(source, runId);
};

/** The writes whose arguments are checked before anything is sent. */
type WriteMethod = 'createModel' | 'updateModel' | 'renameModel' | 'deleteModel' | 'createVersion' | 'updateVersion' | 'updateCard' | 'deleteVersion' | 'setTags' | 'setAlias' | 'deleteAlias' | 'setStage';
type Args<M extends WriteMethod> = Parameters<RegistryAdapter[M]>;

/** Each write's checks on its arguments alone (no backend call): the wrapper runs them, and so does the command pipeline before its write-ahead intent. */
const CHECKS: { [M in WriteMethod]: (this: Ruled, ...args: Args<M>) => void } = {
  createModel(input) {
    checkModelName(input.name, this.limits.modelName);
    checkDescription(this, input.description);
    checkTags(input.tags ?? {}, this.limits, 'model');
    checkBackendTags(this, input.tags ?? {}, [], 'model');
  },
  updateModel(name, patch) {
    checkReadName(name);
    checkDescription(this, patch.description);
  },
  renameModel(name, newName) {
    checkReadName(name);
    checkModelName(newName, this.limits.modelName);
    if (!this.adapter.capabilities().modelRename) throw modelRenameUnsupported(this.adapter.kind);
  },
  deleteModel(name) {
    checkReadName(name);
  },
  createVersion(input) {
    checkReadName(input.name);
    checkDescription(this, input.description);
    if (input.source != null) checkSource(this, input.source, input.runId ?? null);
    if (!input.source && this.adapter.capabilities().versionSourceRequired) {
      throw invalidInput(`This registry (${this.adapter.kind}) requires a source: where the version's artifacts are`, { field: 'source' });
    }
    if (input.runId != null) checkRunId(input.runId);
    checkTags(input.tags ?? {}, this.limits, 'version');
    checkMetrics(input.metrics ?? {}, input.params ?? {});
    if (input.semver != null) checkSemver(input.semver);
    if (input.signature != null) checkSignature(input.signature);
    if (input.card != null) checkCard(input.card, this.limits.cardValue);
    checkBackendTags(this, input.tags ?? {}, [], 'version');
    if (input.createModel) {
      checkModelName(input.name, this.limits.modelName);
      checkDescription(this, input.createModel.description);
      checkTags(input.createModel.tags ?? {}, this.limits, 'model');
      checkBackendTags(this, input.createModel.tags ?? {}, [], 'model');
    }
    // Everything a version is kept in counted together (SageMaker's 50 metadata entries): known from the arguments alone.
    const entries = this.limits.versionEntries;
    if (entries) {
      const count = entries.count(input);
      if (count > entries.max) throw invalidInput(`This version needs ${count} entries; ${entries.rule}`, { limit: entries.max });
    }
  },
  updateVersion(key, patch) {
    checkKeyOf(key);
    checkDescription(this, patch.description);
    const change = this.limits.versionDescriptionChange;
    if (change && patch.description != null && patch.description.length > change.maxLength) {
      throw invalidInput(`Description is ${patch.description.length} characters long; a changed description is ${change.rule ?? `at most ${change.maxLength}`}`, {
        field: 'description',
        limit: change.maxLength,
      });
    }
  },
  updateCard(key, card) {
    checkKeyOf(key);
    if (card != null) checkCard(card, this.limits.cardValue);
    if (!this.adapter.capabilities().cardMutable) throw cardNotMutable(this.adapter.kind);
  },
  deleteVersion(key) {
    checkKeyOf(key);
  },
  setTags(target, set, remove) {
    if (isVersionKey(target)) checkKeyOf(target);
    else checkReadName(target.name);
    checkTags(set, { ...this.limits, maxVersionTags: null }, isVersionKey(target) ? 'version' : 'model');
    for (const key of remove) checkKey('Tag key', key, this.limits.tagKey);
    const clash = remove.find((key) => Object.hasOwn(set, key));
    if (clash !== undefined) throw invalidInput(`Tag '${clash}' is both set and removed in one call`);
    checkBackendTags(this, set, remove, isVersionKey(target) ? 'version' : 'model');
    // Tags set on a version that keeps everything in a bounded set of entries: more than the bound is refused whatever it holds.
    const entries = this.limits.versionEntries;
    const count = Object.keys(set).length;
    if (isVersionKey(target) && entries && count > entries.max) throw invalidInput(`This call sets ${count} tags; ${entries.rule}`, { limit: entries.max });
  },
  setAlias(name, alias, version) {
    checkReadName(name);
    checkAlias(alias);
    this.limits.checkAlias?.(alias);
    checkVersion(version);
  },
  deleteAlias(name, alias) {
    checkReadName(name);
    checkWellFormed('Alias', alias);
    this.limits.checkAlias?.(alias);
  },
  setStage(key) {
    checkKeyOf(key);
  },
};

/**
 * Runs a write's argument checks without making the write, so a command refuses bad input
 * before its write-ahead intent. A registry not wrapped by enforceInputRules is checked as if it were.
 */
export function checkWrite<M extends WriteMethod>(registry: RegistryAdapter, method: M, ...args: Args<M>): void {
  const ruled = (Object.prototype.isPrototypeOf.call(RULES, registry) ? registry : enforceInputRules(registry)) as Ruled;
  try {
    (CHECKS[method] as (this: Ruled, ...args: Args<M>) => void).apply(ruled, args);
  } catch (error) {
    throw isRegistryError(error) ? error.withRegistry(ruled.adapter.id) : error;
  }
}

const RULES: Omit<RegistryAdapter, 'id' | 'kind' | 'withCall'> & ThisType<Ruled> = {
  capabilities() {
    return this.adapter.capabilities();
  },
  health() {
    return this.adapter.health();
  },
  close() {
    return this.adapter.close?.() ?? Promise.resolve();
  },

  listModels(query, page, shape) {
    return attribute(this, () => {
      if (query.namePrefix != null) checkWellFormed('namePrefix', query.namePrefix);
      if (query.nameContains != null) checkWellFormed('nameContains', query.nameContains);
      for (const tag of query.tags ?? []) {
        checkWellFormed('tag key', tag.key);
        if (tag.value != null) checkWellFormed('tag value', tag.value);
      }
      return this.adapter.listModels(query, page, shape);
    });
  },
  getModel(name, shape) {
    return attribute(this, () => (checkReadName(name), this.adapter.getModel(name, shape)));
  },
  createModel(input) {
    return attribute(this, () => (CHECKS.createModel.call(this, input), this.adapter.createModel(input)));
  },
  updateModel(name, patch) {
    return attribute(this, () => (CHECKS.updateModel.call(this, name, patch), this.adapter.updateModel(name, patch)));
  },
  renameModel(name, newName) {
    return attribute(this, () => (CHECKS.renameModel.call(this, name, newName), this.adapter.renameModel(name, newName)));
  },
  deleteModel(name) {
    return attribute(this, () => (CHECKS.deleteModel.call(this, name), this.adapter.deleteModel(name)));
  },
  listVersions(name, query, page, shape) {
    return attribute(this, () => (checkReadName(name), this.adapter.listVersions(name, query, page, shape)));
  },
  getVersions(keys, shape) {
    return attribute(this, () => {
      keys.forEach(checkKeyOf);
      return this.adapter.getVersions(keys, shape);
    });
  },
  latestVersions(names, stages) {
    return attribute(this, () => {
      names.forEach(checkReadName);
      return this.adapter.latestVersions(names, stages);
    });
  },
  createVersion(input) {
    return attribute(this, async () => {
      CHECKS.createVersion.call(this, input);
      if (input.createModel) {
        // Backends that hold empty models get the model first; the others create both in one step.
        if (this.adapter.capabilities().modelWithoutVersions) {
          const { createModel, ...version } = input;
          if (!(await this.adapter.getModel(input.name))) {
            await this.adapter.createModel({ name: input.name, ...createModel, createdBy: input.createdBy }).catch((error: unknown) => {
              if (!(isRegistryError(error) && error.code === ErrorCode.ALREADY_EXISTS)) throw error;
            });
            // The model is written now: a refusal of the version no longer means nothing was.
            return this.adapter.createVersion(version).catch((error: unknown) => {
              throw isRegistryError(error) && error.outcome === 'NONE' ? new RegistryError(error.code, error.message, { registry: error.registry, details: error.details, cause: error.cause }) : error;
            });
          }
          return this.adapter.createVersion(version);
        }
      }
      return this.adapter.createVersion(input);
    });
  },
  updateVersion(key, patch) {
    return attribute(this, () => (CHECKS.updateVersion.call(this, key, patch), this.adapter.updateVersion(key, patch)));
  },
  updateCard(key, card) {
    return attribute(this, () => (CHECKS.updateCard.call(this, key, card), this.adapter.updateCard(key, card)));
  },
  getDownloadUri(key) {
    return attribute(this, () => (checkKeyOf(key), this.adapter.getDownloadUri(key)));
  },
  deleteVersion(key) {
    return attribute(this, () => (CHECKS.deleteVersion.call(this, key), this.adapter.deleteVersion(key)));
  },
  setTags(target, set, remove) {
    return attribute(this, () => (CHECKS.setTags.call(this, target, set, remove), this.adapter.setTags(target, set, remove)));
  },
  setAlias(name, alias, version) {
    return attribute(this, () => (CHECKS.setAlias.call(this, name, alias, version), this.adapter.setAlias(name, alias, version)));
  },
  deleteAlias(name, alias) {
    return attribute(this, () => (CHECKS.deleteAlias.call(this, name, alias), this.adapter.deleteAlias(name, alias)));
  },
  getVersionByAlias(name, alias) {
    return attribute(this, () => {
      checkReadName(name);
      checkWellFormed('Alias', alias);
      return this.adapter.getVersionByAlias(name, alias);
    });
  },
  setStage(key, stage, options) {
    return attribute(this, () => (CHECKS.setStage.call(this, key, stage, options), this.adapter.setStage(key, stage, options)));
  },
  getMetrics(keys, shape) {
    return attribute(this, () => {
      keys.forEach(checkKeyOf);
      return this.adapter.getMetrics(keys, shape);
    });
  },
};
