/*
 * MLflow's search filters are parsed with sqlparse and have no escaping: the server only
 * strips the outer quotes, and a backslash before a quote ends nothing. So a value is
 * quoted only where that is exact; anything else becomes a LIKE pattern that can only
 * widen the match (each awkward character replaced by `_`), and callers filter the
 * results exactly on our side. No input can narrow or widen what a caller finally sees.
 */

export interface NameFilter {
  /** The filter clause to send. */
  clause: string;
  /** True when the clause may match more than asked and results must be checked exactly. */
  widened: boolean;
}

/** A quoted literal when one exists that MLflow reads back exactly, else null. */
export function exactLiteral(value: string): string | null {
  if (value.includes('\\')) return null;
  if (!value.includes("'")) return `'${value}'`;
  if (!value.includes('"')) return `"${value}"`;
  return null;
}

/** A LIKE pattern body: quotes and backslashes become the one-character wildcard `_`. */
function likeBody(value: string): string {
  return value.replace(/['"\\]/g, '_');
}

/** `name = <value>` where exact; else a LIKE that matches at least that name. */
export function nameEquals(name: string): NameFilter {
  const literal = exactLiteral(name);
  return literal ? { clause: `name = ${literal}`, widened: false } : { clause: `name LIKE '${likeBody(name)}'`, widened: true };
}

/** Names starting with `prefix`; `%` and `_` in it are wildcards in MLflow, so always widened. */
export function namePrefix(prefix: string): NameFilter {
  return { clause: `name LIKE '${likeBody(prefix)}%'`, widened: true };
}

/** Names containing `text`, case-insensitively. */
export function nameContains(text: string): NameFilter {
  return { clause: `name ILIKE '%${likeBody(text)}%'`, widened: true };
}

/** `tags.<key> = <value>` where exact, else a tag LIKE that widens. Keys follow MLflow's key alphabet, so backticks are safe. */
export function tagEquals(key: string, value: string | null): NameFilter {
  const ident = `tags.\`${key}\``;
  if (value === null) return { clause: `${ident} LIKE '%'`, widened: false };
  const literal = exactLiteral(value);
  return literal ? { clause: `${ident} = ${literal}`, widened: false } : { clause: `${ident} LIKE '${likeBody(value)}'`, widened: true };
}

export const and = (...clauses: (string | null | undefined)[]): string => clauses.filter(Boolean).join(' AND ');
