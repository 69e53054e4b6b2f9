import { invalidInput } from './errors.ts';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 200;

/** `after` is an opaque cursor that only the adapter which issued it can read. */
export interface PageRequest {
  first: number;
  after?: string | null;
}

export interface Page<T> {
  items: T[];
  /** One cursor per item: passed as `after`, the list resumes right after that item. */
  cursors: string[];
  hasNextPage: boolean;
}

/** The cursor that continues after the whole page, or null for an empty page. */
export const endCursor = (page: Page<unknown>): string | null => page.cursors.at(-1) ?? null;

export function pageRequest(first: number | null | undefined, after?: string | null): PageRequest {
  const size = first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw invalidInput(`first must be an integer from 1 to ${MAX_PAGE_SIZE}, got ${size}`, {
      argument: 'first',
      max: MAX_PAGE_SIZE,
    });
  }
  return { first: size, after: after ?? null };
}

/** Cursors are base64url JSON so they survive URLs and reveal nothing useful to rely on. */
export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

export function decodeCursor<T>(cursor: string, isValid: (value: unknown) => value is T): T {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  if (!isValid(value)) {
    throw invalidInput('after is not a cursor issued by this list; pass the endCursor of the previous page', {
      argument: 'after',
    });
  }
  return value;
}
