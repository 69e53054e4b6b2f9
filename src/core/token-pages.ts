import { decodeCursor, encodeCursor, type Page, type PageRequest } from './page.ts';

/** Where a token-paged list resumes: the backend's page token, and how many of that page's items were used. */
type TokenCursor = { t: string | null; s: number };
const isTokenCursor = (v: unknown): v is TokenCursor =>
  typeof v === 'object' && v !== null && Number.isInteger((v as TokenCursor).s) && ['string', 'object'].includes(typeof (v as TokenCursor).t);

export interface TokenPageSource<Raw, Item> {
  /** One backend page starting at `token`, asking for about `size` items. */
  fetch(token: string | null, size: number): Promise<{ items: Raw[]; next: string | null }>;
  /** Items for the raw ones (in order); null drops one (it did not match exactly). */
  convert(raw: Raw[]): Promise<(Item | null)[]>;
  /** Page size to ask for, given how many of the page will be skipped; the default asks for just enough. */
  size?(wanted: number, skip: number): number;
}

/**
 * A page of `page.first` items from a backend that pages with opaque tokens, where some
 * items may be dropped after fetching. Every item's cursor is the token of its backend
 * page plus its position, so a list resumes right after any item.
 */
export async function pageByTokens<Raw, Item>(page: PageRequest, source: TokenPageSource<Raw, Item>): Promise<Page<Item>> {
  const start = page.after ? decodeCursor(page.after, isTokenCursor) : { t: null, s: 0 };
  const items: Item[] = [];
  const cursors: string[] = [];
  let token = start.t;
  let skip = start.s;
  for (;;) {
    const size = source.size ? source.size(page.first + 1, skip) : page.first + 1 + skip;
    const { items: batch, next } = await source.fetch(token, size);
    const converted = await source.convert(batch.slice(skip));
    for (let i = skip; i < batch.length; i++) {
      const item = converted[i - skip];
      if (item === null || item === undefined) continue;
      if (items.length === page.first) return { items, cursors, hasNextPage: true };
      items.push(item);
      // Resume after this item: the rest of this backend page, or the next page when it was the last.
      cursors.push(encodeCursor(i + 1 === batch.length && next ? { t: next, s: 0 } : { t: token, s: i + 1 }));
    }
    if (!next) return { items, cursors, hasNextPage: false };
    token = next;
    skip = 0;
  }
}
