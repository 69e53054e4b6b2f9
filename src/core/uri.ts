import { invalidInput } from './errors.ts';
import { parseStage, type Stage } from './stage.ts';

/** What a `models:/` URI points at. */
export type VersionSelector =
  | { kind: 'version'; version: string }
  | { kind: 'stage'; stage: Stage }
  | { kind: 'alias'; alias: string }
  | { kind: 'latest' }
  | { kind: 'semver'; range: string };

export interface ModelUri {
  /** Registry id from a `REGISTRY:` prefix, or null for the default registry. */
  registry: string | null;
  name: string;
  selector: VersionSelector;
}

const EXPECTED =
  'expected models:/<name>/<version>, models:/<name>/<stage>, models:/<name>/latest, models:/<name>/semver:<range> or models:/<name>@<alias>, ' +
  'optionally prefixed with <registry>:';
const PREFIXED = /^([a-z][a-z0-9_-]{0,62}):(models:\/.*)$/s;
const SCHEME = 'models:/';

/**
 * Parses MLflow-style model URIs. The selector is whatever follows the last `/` (a version
 * number, a stage or `latest`) or else the last `@` (an alias), so names may hold `/` and `@`.
 */
export function parseModelUri(uri: string): ModelUri {
  const prefixed = PREFIXED.exec(uri);
  const registry = prefixed ? prefixed[1]! : null;
  const body = prefixed ? prefixed[2]! : uri;
  if (!body.startsWith(SCHEME)) throw bad(uri, 'it does not start with models:/');
  const path = body.slice(SCHEME.length);

  const slash = path.lastIndexOf('/');
  if (slash > 0) {
    const name = path.slice(0, slash);
    const selector = path.slice(slash + 1);
    if (/^\d+$/.test(selector)) {
      if (!/^[1-9]\d{0,15}$/.test(selector)) throw bad(uri, `'${selector}' is not a version number`);
      return { registry, name, selector: { kind: 'version', version: selector } };
    }
    if (selector.toLowerCase() === 'latest') return { registry, name, selector: { kind: 'latest' } };
    if (selector.startsWith('semver:') && selector.length > 'semver:'.length) {
      return { registry, name, selector: { kind: 'semver', range: selector.slice('semver:'.length) } };
    }
    const stage = parseStage(selector);
    if (stage && selector.trim() === selector) return { registry, name, selector: { kind: 'stage', stage } };
  }
  const at = path.lastIndexOf('@');
  if (at > 0 && at < path.length - 1) {
    return { registry, name: path.slice(0, at), selector: { kind: 'alias', alias: path.slice(at + 1) } };
  }
  throw bad(uri, 'it names no version, stage or alias');
}

export function formatModelUri(name: string, version: string, registry?: string): string {
  return `${registry ? `${registry}:` : ''}${SCHEME}${name}/${version}`;
}

function bad(uri: string, why: string) {
  return invalidInput(`Cannot read model URI '${uri.length > 200 ? `${uri.slice(0, 200)}...` : uri}': ${why}; ${EXPECTED}`, {
    field: 'uri',
  });
}
