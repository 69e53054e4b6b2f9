import semver from 'semver';
import { VersionOrder, endCursor, type ModelVersion, type RegistryAdapter, type Signature, type SignatureField } from '../core/index.ts';

export enum SemverBump {
  MAJOR = 'MAJOR',
  MINOR = 'MINOR',
  PATCH = 'PATCH',
}

export const FIRST_SEMVER = '1.0.0';

/**
 * What a signature change means to callers: a removed or retyped field, or a new required
 * input, breaks them (MAJOR); a new optional input or a new output adds (MINOR); the same
 * fields change nothing (PATCH). Without both signatures nothing can be compared: PATCH.
 */
export function classifyChange(previous: Signature | null, next: Signature | null): SemverBump {
  if (!previous || !next) return SemverBump.PATCH;
  const byName = (fields: SignatureField[]) => new Map(fields.map((f) => [f.name, f]));
  const before = { inputs: byName(previous.inputs), outputs: byName(previous.outputs) };
  const after = { inputs: byName(next.inputs), outputs: byName(next.outputs) };
  for (const side of ['inputs', 'outputs'] as const) {
    for (const [name, field] of before[side]) {
      const now = after[side].get(name);
      if (!now || now.type !== field.type) return SemverBump.MAJOR;
    }
  }
  for (const [name, field] of after.inputs) {
    const was = before.inputs.get(name);
    if (!was && !field.optional) return SemverBump.MAJOR;
    if (was && was.optional && !field.optional) return SemverBump.MAJOR;
  }
  const added = [...after.inputs.keys()].some((n) => !before.inputs.has(n)) || [...after.outputs.keys()].some((n) => !before.outputs.has(n));
  return added ? SemverBump.MINOR : SemverBump.PATCH;
}

export function bump(version: string, change: SemverBump): string {
  const next = semver.inc(version, change.toLowerCase() as 'major' | 'minor' | 'patch');
  if (!next) throw new Error(`Cannot bump '${version}'`);
  return next;
}

/** The newest earlier version that carries a semantic version, if any. */
async function previousWithSemver(registry: RegistryAdapter, name: string): Promise<ModelVersion | null> {
  if (!(await registry.getModel(name))) return null;
  let after: string | null = null;
  do {
    const page = await registry.listVersions(name, { order: VersionOrder.NEWEST_FIRST }, { first: 200, after });
    const found = page.items.find((v) => v.semver);
    if (found) return found;
    after = page.hasNextPage ? endCursor(page) : null;
  } while (after);
  return null;
}

/** The semantic version a new registration gets: 1.0.0 first, then a bump by `explicit` or by the signature change. */
export async function nextSemver(registry: RegistryAdapter, name: string, signature: Signature | null, explicit: SemverBump | null): Promise<string> {
  const previous = await previousWithSemver(registry, name);
  if (!previous?.semver) return FIRST_SEMVER;
  return bump(previous.semver, explicit ?? classifyChange(previous.signature, signature));
}

/** The highest version whose semantic version satisfies `range` (npm range syntax: ^1.2, ~1.2.3, >=1.0.0 <2.0.0, 1.x). */
export async function highestSatisfying(registry: RegistryAdapter, name: string, range: string): Promise<ModelVersion | null> {
  const candidates: ModelVersion[] = [];
  let after: string | null = null;
  do {
    const page = await registry.listVersions(name, {}, { first: 200, after });
    candidates.push(...page.items.filter((v) => v.semver && semver.satisfies(v.semver, range)));
    after = page.hasNextPage ? endCursor(page) : null;
  } while (after);
  return candidates.sort((a, b) => semver.rcompare(a.semver!, b.semver!) || Number(b.version) - Number(a.version))[0] ?? null;
}
