import { describe, expect, it } from 'vitest';
import { globMatches } from '../../src/workflows/policy.ts';

// Grants, policies and metric patterns name models by glob; every request asks, so compiled globs are kept.
describe('globMatches', () => {
  it('matches * as any run, ? as one character, everything else literally', () => {
    expect(globMatches('*', '')).toBe(true);
    expect(globMatches('fraud-*', 'fraud-detector')).toBe(true);
    expect(globMatches('fraud-*', 'Fraud-detector')).toBe(false);
    expect(globMatches('model-v?', 'model-v2')).toBe(true);
    expect(globMatches('model-v?', 'model-v10')).toBe(false);
    expect(globMatches('a.b', 'axb')).toBe(false);
    expect(globMatches('a.b', 'a.b')).toBe(true);
    expect(globMatches('(x)+[y]', '(x)+[y]')).toBe(true);
    expect(globMatches('*\\*', 'a\\b')).toBe(true);
    expect(globMatches('*\\*', 'ab')).toBe(false);
    expect(globMatches('line*', 'line\nbreak')).toBe(true);
  });

  it('treats __proto__ and constructor as plain names', () => {
    expect(globMatches('__proto__', '__proto__')).toBe(true);
    expect(globMatches('constructor', 'toString')).toBe(false);
    expect(globMatches('__proto_?', '__proto__')).toBe(true);
    expect(globMatches('*', '__proto__')).toBe(true);
  });

  it('answers the same after more globs than it keeps', () => {
    for (let i = 0; i < 1500; i++) expect(globMatches(`m${i}-*`, `m${i}-x`)).toBe(true);
    expect(globMatches('m7-*', 'm8-x')).toBe(false);
    expect(globMatches('m7-*', 'm7-')).toBe(true);
  });
});
