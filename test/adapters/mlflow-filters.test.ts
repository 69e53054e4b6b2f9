import { describe, expect, it } from 'vitest';
import { exactLiteral, nameContains, nameEquals, namePrefix, tagEquals } from '../../adapters/mlflow/filters.ts';

describe('MLflow filter literals', () => {
  it('quotes by content so MLflow reads the value back exactly', () => {
    expect(exactLiteral('plain')).toBe("'plain'");
    expect(exactLiteral("it's")).toBe(`"it's"`);
    expect(exactLiteral('say "hi"')).toBe(`'say "hi"'`);
    expect(exactLiteral(`x' OR name LIKE '%`)).toBe(`"x' OR name LIKE '%"`);
  });

  it('refuses to quote what sqlparse would misread: both quote kinds, or a backslash', () => {
    expect(exactLiteral(`both ' and "`)).toBeNull();
    expect(exactLiteral('ends with \\')).toBeNull();
    expect(exactLiteral("\\'")).toBeNull();
  });

  it('falls back to a LIKE that can only widen, flagged for exact checking', () => {
    expect(nameEquals(`a'"b`)).toEqual({ clause: "name LIKE 'a__b'", widened: true });
    expect(nameEquals('back\\slash')).toEqual({ clause: "name LIKE 'back_slash'", widened: true });
    expect(nameEquals('ok')).toEqual({ clause: "name = 'ok'", widened: false });
  });

  it('treats search text as widened since % and _ are wildcards to MLflow', () => {
    expect(namePrefix('100%_')).toEqual({ clause: "name LIKE '100%_%'", widened: true });
    expect(nameContains(`x' OR 1=1 --`)).toEqual({ clause: "name ILIKE '%x_ OR 1=1 --%'", widened: true });
  });

  it('filters on tags with backticked keys', () => {
    expect(tagEquals('team', 'ml')).toEqual({ clause: "tags.`team` = 'ml'", widened: false });
    expect(tagEquals('team', null)).toEqual({ clause: "tags.`team` LIKE '%'", widened: false });
  });
});
