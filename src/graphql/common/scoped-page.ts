/** One page read from a source, with the cursor that resumes after each item. */
export interface SourcePage<T, C> {
  items: T[];
  cursors: C[];
  hasNextPage: boolean;
}

/**
 * A full page of the items a caller may see: reads source pages from `start` until `want`
 * visible items and one more (so `hasNextPage` is exact) or the end. Each kept item keeps its
 * own source cursor, so resuming after the last one skips nothing visible.
 */
export async function visiblePage<T, C>(
  want: number,
  start: C | null,
  read: (after: C | null) => Promise<SourcePage<T, C>>,
  visible: (item: T) => boolean,
): Promise<SourcePage<T, C>> {
  const items: T[] = [];
  const cursors: C[] = [];
  let after = start;
  for (;;) {
    const page = await read(after);
    page.items.forEach((item, i) => {
      if (items.length <= want && visible(item)) {
        items.push(item);
        cursors.push(page.cursors[i]!);
      }
    });
    if (items.length > want) return { items: items.slice(0, want), cursors: cursors.slice(0, want), hasNextPage: true };
    if (!page.hasNextPage || page.items.length === 0) return { items, cursors, hasNextPage: false };
    after = page.cursors.at(-1)!;
  }
}
