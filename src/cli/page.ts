/** One page of a list: its rows and the cursor after them (null at the end). */
export interface Page<T, C> {
  rows: T[];
  next: C | null;
}

/** Rows fetched per request; under the gateway's MAX_PAGE_SIZE (200). */
export const PAGE_SIZE = 100;

/** Follows cursors to the end, or stops at `limit` rows and returns where to resume. */
export async function collect<T, C>(fetchPage: (after: C | null, first: number) => Promise<Page<T, C>>, limit: number | undefined, start: C | null = null): Promise<Page<T, C>> {
  const rows: T[] = [];
  let after = start;
  for (;;) {
    const want = limit === undefined ? PAGE_SIZE : Math.min(PAGE_SIZE, limit - rows.length);
    const page = await fetchPage(after, want);
    rows.push(...page.rows);
    after = page.next;
    if (after === null || page.rows.length === 0) return { rows, next: null };
    if (limit !== undefined && rows.length >= limit) return { rows, next: after };
  }
}

/** Says on stderr that a list stopped early, and how to go on. */
export const moreNote = (shown: number, next: unknown) => `modelgate: showing ${shown} rows; there are more: add --after ${String(next)} for the next page, or raise --limit`;
