import { invalidInput } from './errors.ts';
import type { Limits, TextRule } from './capabilities.ts';

/* Core input rules, MLflow's where MLflow has one, so a model moves between backends unchanged. */

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;
/** MLflow's tag/metric/param key alphabet: letters, digits, `_ - . / :` and space. */
const KEY_ALPHABET = /^[\p{L}\p{N}\p{M}_\-./: ]+$/u;
const ALIAS = /^[A-Za-z0-9_-]+$/;
const RESERVED_VERSION_ALIAS = /^[vV]\d+$/;
const RUN_ID = /^[a-zA-Z0-9][\w-]{0,255}$/;
const VERSION = /^[1-9]\d{0,15}$/;

export const DEFAULT_LIMITS: Limits = {
  modelName: { maxLength: 256, rule: "no control characters, no '/' or ':', no leading or trailing space" },
  tagKey: { maxLength: 250, pattern: KEY_ALPHABET, rule: 'letters, digits, _ - . / : and space' },
  tagValue: { maxLength: 5000 },
  description: { maxLength: 5000 },
  source: { maxLength: 500 },
  maxVersionTags: null,
};

/** Free text a person attaches to a command (a promotion's or a vote's comment, a rejection's or a rollback's reason): the description's limit. */
export const NOTE_LIMIT = DEFAULT_LIMITS.description.maxLength;

/** A comment or reason: at most NOTE_LIMIT characters (absent is fine; whether one is required is the command's to say). */
export function checkNote(argument: string, value: string | null | undefined): void {
  if (value != null && value.length > NOTE_LIMIT) throw invalidInput(`${argument} is ${value.length} characters long; the limit is ${NOTE_LIMIT}`, { argument, limit: NOTE_LIMIT });
}

/** A reason a command requires (a rejection's, a rollback's): not blank, and a note's length at most. */
export function checkReason(what: string, reason: string): void {
  if (!reason.trim()) throw invalidInput(`A ${what} needs a reason`, { argument: 'reason' });
  checkNote('reason', reason);
}

/** Rejects strings that cannot be stored faithfully: lone surrogates (invalid UTF-16). */
export function checkWellFormed(field: string, value: string): void {
  if (!value.isWellFormed()) {
    throw invalidInput(`${field} is not valid Unicode (it contains a lone surrogate)`, { field });
  }
}

export function checkText(field: string, value: string, rule: TextRule): void {
  checkWellFormed(field, value);
  if (value.length > rule.maxLength) {
    throw invalidInput(`${field} is ${value.length} characters long; the limit is ${rule.maxLength}`, {
      field,
      limit: rule.maxLength,
    });
  }
  if (rule.pattern && !rule.pattern.test(value)) {
    throw invalidInput(`${field} '${preview(value)}' breaks the rule: ${rule.rule ?? rule.pattern.source}`, {
      field,
      rule: rule.rule ?? rule.pattern.source,
    });
  }
}

export function checkModelName(name: string, rule: TextRule = DEFAULT_LIMITS.modelName): void {
  if (name.length === 0) throw invalidInput('Model name must not be empty', { field: 'name' });
  if (CONTROL.test(name)) throw invalidInput('Model name must not contain control characters', { field: 'name' });
  if (name.trim() !== name) {
    throw invalidInput('Model name must not start or end with white space', { field: 'name' });
  }
  // MLflow refuses these (names become paths and URI parts there); refusing them everywhere keeps models portable.
  if (name.includes('/') || name.includes(':')) {
    throw invalidInput(`Model name '${preview(name)}' must not contain '/' or ':'`, { field: 'name' });
  }
  if (name === '.' || name === '..') throw invalidInput(`Model name '${name}' is not allowed`, { field: 'name' });
  checkText('Model name', name, rule);
}

export function checkKey(field: string, key: string, rule: TextRule = DEFAULT_LIMITS.tagKey): void {
  if (key.length === 0) throw invalidInput(`${field} must not be empty`, { field });
  checkText(field, key, rule);
  // MLflow treats keys as paths in places; "a//b" or "../x" would alias another key there.
  if (key.startsWith('/') || key.split('/').some((part) => part === '' || part === '.' || part === '..')) {
    throw invalidInput(`${field} '${preview(key)}' must not be an absolute or non-normal path`, { field });
  }
}

export function checkTags(
  tags: Record<string, string>,
  limits: Limits,
  what: 'model' | 'version',
): void {
  for (const [key, value] of Object.entries(tags)) {
    checkKey('Tag key', key, limits.tagKey);
    if (typeof value !== 'string') throw invalidInput(`Tag '${preview(key)}' must have a string value`);
    checkText(`Value of tag '${preview(key)}'`, value, limits.tagValue);
  }
  if (what === 'version' && limits.maxVersionTags !== null && Object.keys(tags).length > limits.maxVersionTags) {
    throw invalidInput(`A version may carry at most ${limits.maxVersionTags} tags`, { limit: limits.maxVersionTags });
  }
}

export function checkAlias(alias: string): void {
  if (alias.length === 0) throw invalidInput('Alias must not be empty', { field: 'alias' });
  if (alias.length > 255) throw invalidInput('Alias is longer than 255 characters', { field: 'alias', limit: 255 });
  if (!ALIAS.test(alias)) {
    throw invalidInput(`Alias '${preview(alias)}' may only contain letters, digits, _ and -`, { field: 'alias' });
  }
  if (alias.toLowerCase() === 'latest') {
    throw invalidInput("Alias 'latest' is reserved (it always means the newest version)", { field: 'alias' });
  }
  if (RESERVED_VERSION_ALIAS.test(alias)) {
    throw invalidInput(`Alias '${alias}' is reserved: v<digits> names a version number`, { field: 'alias' });
  }
}

export function checkVersion(version: string): void {
  if (!VERSION.test(version)) {
    throw invalidInput(`Version must be a positive integer, got '${preview(version)}'`, { field: 'version' });
  }
}

export function checkRunId(runId: string): void {
  if (!RUN_ID.test(runId)) {
    throw invalidInput(`Run id '${preview(runId)}' must be 1-256 letters, digits, _ or -`, { field: 'runId' });
  }
}

export function checkMetrics(metrics: Record<string, number>, params: Record<string, string>): void {
  for (const [key, value] of Object.entries(metrics)) {
    checkKey('Metric name', key);
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw invalidInput(`Metric '${preview(key)}' must be a finite number`, { field: 'metrics' });
    }
  }
  for (const [key, value] of Object.entries(params)) {
    checkKey('Param name', key);
    checkText(`Value of param '${preview(key)}'`, value, { maxLength: 6000 });
  }
}

/** A short, printable echo of user input for error messages. */
export function preview(value: string): string {
  const printable = value.replace(/[\u0000-\u001f\u007f-\u009f]/gu, '?');
  return printable.length > 64 ? `${printable.slice(0, 61)}...` : printable;
}

const SEMVER = /^(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})$/;

export function checkSemver(semver: string): void {
  if (!SEMVER.test(semver)) throw invalidInput(`Semantic version '${preview(semver)}' must be MAJOR.MINOR.PATCH`, { field: 'semver' });
}

/** Field names unique per side, names and types short and printable. */
export function checkSignature(signature: { inputs: { name: string; type: string }[]; outputs: { name: string; type: string }[] }): void {
  for (const [side, fields] of [['input', signature.inputs], ['output', signature.outputs]] as const) {
    const seen = new Set<string>();
    for (const field of fields) {
      checkText(`Signature ${side} name`, field.name, { maxLength: 128, pattern: /^[\p{L}\p{N}_.\-:/ ]+$/u, rule: 'letters, digits, _ . - : / and space' });
      checkText(`Type of ${side} '${preview(field.name)}'`, field.type, { maxLength: 64, pattern: /^[\w.\[\]<>, -]+$/, rule: 'a type name such as double, string, tensor<float32>' });
      if (seen.has(field.name)) throw invalidInput(`Signature ${side} '${preview(field.name)}' is listed twice`);
      seen.add(field.name);
    }
  }
}
