/** What makes a string unstorable as sent: a lone surrogate (databases keep U+FFFD) or U+0000 (PostgreSQL text cannot hold it). */
export type TextFlaw = 'MALFORMED_UNICODE' | 'NUL_CHARACTER';

export const textFlaw = (text: string): TextFlaw | null => (!text.isWellFormed() ? 'MALFORMED_UNICODE' : text.includes('\0') ? 'NUL_CHARACTER' : null);

/** The path and flaw of the first unstorable string or object key in a value, or null. */
export function unstorableText(value: unknown, path: string): { path: string; flaw: TextFlaw } | null {
  if (typeof value === 'string') {
    const flaw = textFlaw(value);
    return flaw ? { path, flaw } : null;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = unstorableText(value[i], `${path}[${i}]`);
      if (found) return found;
    }
    return null;
  }
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    for (const [key, inner] of Object.entries(value)) {
      const flaw = textFlaw(key);
      if (flaw) return { path: `${path}.${JSON.stringify(key)}`, flaw };
      const found = unstorableText(inner, `${path}.${key}`);
      if (found) return found;
    }
  }
  return null;
}

export const describeFlaw = (flaw: TextFlaw) => (flaw === 'MALFORMED_UNICODE' ? 'is not well-formed Unicode (it holds a lone surrogate)' : 'holds the character U+0000');
