import {
  ErrorCode,
  RegistryError,
  Stage,
  parseModelUri,
  type ModelVersion,
  type RegistrySet,
} from '../core/index.ts';
import semver from 'semver';
import { highestSatisfying } from './semver.ts';

/**
 * Finds the version a `models:/` URI points at, in the registry it names or the default one.
 * A model the caller may not see (`hidden`) is not looked up and answers as a miss.
 */
export async function resolveVersion(registries: RegistrySet, uri: string, hidden: (registry: string, name: string) => boolean = () => false): Promise<ModelVersion> {
  const parsed = parseModelUri(uri);
  const registry = registries.get(parsed.registry);
  const { name, selector } = parsed;
  let found: ModelVersion | null = null;
  if (selector.kind === 'semver' && !semver.validRange(selector.range)) {
    throw new RegistryError(ErrorCode.INVALID_INPUT, `'${selector.range}' is not a semver range (e.g. ^1.2, ~1.2.3, >=1.0.0 <2.0.0)`, { details: { uri } });
  }
  if (!hidden(registry.id, name)) switch (selector.kind) {
    case 'version':
      found = (await registry.getVersions([{ name, version: selector.version }]))[0] ?? null;
      break;
    case 'alias':
      found = await registry.getVersionByAlias(name, selector.alias);
      break;
    case 'stage': {
      const latest = await registry.latestVersions([name], [selector.stage]);
      found = latest.get(name)?.[0] ?? null;
      break;
    }
    case 'latest': {
      const page = await registry.listVersions(name, {}, { first: 1 });
      found = page.items[0] ?? null;
      break;
    }
    case 'semver':
      found = await highestSatisfying(registry, name, selector.range);
      break;
  }
  if (!found) {
    throw new RegistryError(ErrorCode.NOT_FOUND, `Nothing at '${uri}': ${describeMiss(name, selector)}`, {
      registry: registry.id,
      details: { uri },
    });
  }
  return found;
}

function describeMiss(name: string, selector: ReturnType<typeof parseModelUri>['selector']): string {
  switch (selector.kind) {
    case 'version':
      return `model '${name}' has no version ${selector.version}`;
    case 'alias':
      return `model '${name}' has no alias '${selector.alias}'`;
    case 'stage':
      return `model '${name}' has no version in ${selector.stage === Stage.NONE ? 'stage NONE' : selector.stage}`;
    case 'latest':
      return `model '${name}' has no versions`;
    case 'semver':
      return `no version of model '${name}' has a semantic version in ${selector.range}`;
  }
}
