import { ErrorCode, VersionOrder, endCursor, isRegistryError, type ModelVersion, type RegistryAdapter } from '../core/index.ts';

const PAGE = 50;

/**
 * The version of `name` that carries the origin tag `marker`, newest first; with `above`, only
 * versions numbered above it are read (the caller already knows the older ones). A missing model has none.
 */
export async function findCopy(registry: RegistryAdapter, name: string, marker: { key: string; value: string }, above: number | null): Promise<ModelVersion | null> {
  let after: string | undefined;
  try {
    for (;;) {
      const page = await registry.listVersions(name, { order: VersionOrder.NEWEST_FIRST }, { first: PAGE, after }, ['tags']);
      for (const version of page.items) {
        if (above !== null && Number(version.version) <= above) return null;
        if (Object.hasOwn(version.tags, marker.key) && version.tags[marker.key] === marker.value) return version;
      }
      const next = endCursor(page);
      if (!page.hasNextPage || !next) return null;
      after = next;
    }
  } catch (error) {
    if (isRegistryError(error) && error.code === ErrorCode.NOT_FOUND) return null;
    throw error;
  }
}

/** Every copy already in `name`, by origin-tag value, and the highest version number read. */
export async function copiesIn(registry: RegistryAdapter, name: string, markerKey: string): Promise<{ byOrigin: Map<string, ModelVersion>; highest: number }> {
  const byOrigin = new Map<string, ModelVersion>();
  let highest = 0;
  let after: string | undefined;
  try {
    for (;;) {
      const page = await registry.listVersions(name, { order: VersionOrder.NEWEST_FIRST }, { first: 200, after }, ['tags']);
      for (const version of page.items) {
        highest = Math.max(highest, Number(version.version));
        const origin = Object.hasOwn(version.tags, markerKey) ? version.tags[markerKey]! : null;
        if (origin !== null && !byOrigin.has(origin)) byOrigin.set(origin, version);
      }
      const next = endCursor(page);
      if (!page.hasNextPage || !next) break;
      after = next;
    }
  } catch (error) {
    if (!(isRegistryError(error) && error.code === ErrorCode.NOT_FOUND)) throw error;
  }
  return { byOrigin, highest };
}
