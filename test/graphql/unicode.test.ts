import { readFileSync } from 'node:fs';
import {
  buildSchema,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  type GraphQLField,
  type GraphQLInputType,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedPostgres } from '../support/postgres.ts';
import { postGraphQL, startTestGateway, type TestGateway } from '../support/gateway.ts';
import { scaled } from '../support/time-scale.ts';

const LONE = '\ud800';
const schema = buildSchema(readFileSync(new URL('../../schema.graphql', import.meta.url), 'utf8'));

type Path = (string | number)[];

/** Every path to a String or ID inside a value of this type (through lists and input objects). */
function stringPaths(type: GraphQLInputType, depth = 0): Path[] {
  if (isNonNullType(type)) return stringPaths(type.ofType, depth);
  if (isListType(type)) return stringPaths(type.ofType, depth).map((p) => [0, ...p]);
  if (isInputObjectType(type)) {
    if (depth > 4) return [];
    return Object.values(type.getFields()).flatMap((f) => stringPaths(f.type, depth + 1).map((p) => [f.name, ...p]));
  }
  return type.name === 'String' || type.name === 'ID' ? [[]] : [];
}

/** A value of this type that passes GraphQL validation, holding a lone surrogate at `target` (if given). */
function sample(type: GraphQLInputType, target: Path | null): unknown {
  if (isNonNullType(type)) return sample(type.ofType, target);
  if (isListType(type)) return [sample(type.ofType, target && target[0] === 0 ? target.slice(1) : null)];
  if (isInputObjectType(type)) {
    const value: Record<string, unknown> = {};
    for (const field of Object.values(type.getFields())) {
      const onPath = target !== null && target[0] === field.name;
      if (onPath || isNonNullType(field.type)) value[field.name] = sample(field.type, onPath ? target!.slice(1) : null);
    }
    return value;
  }
  if (isEnumType(type)) return type.getValues()[0]!.value;
  const scalars: Record<string, unknown> = { Int: 1, Float: 0.5, Boolean: false, DateTimeISO: new Date(0).toISOString(), JSON: {} };
  if (type.name === 'String' || type.name === 'ID') return target?.length === 0 ? `Churn${LONE}` : 'Churn';
  return scalars[type.name];
}

/** One probe per String/ID argument (nested ones included) of every mutation in the schema. */
function probes() {
  const list: { name: string; query: string; variables: Record<string, unknown>; expected: string }[] = [];
  const mutations = Object.values(schema.getMutationType()!.getFields()) as GraphQLField<unknown, unknown>[];
  for (const mutation of mutations) {
    for (const arg of mutation.args) {
      for (const path of stringPaths(arg.type)) {
        const used = mutation.args.filter((a) => a === arg || isNonNullType(a.type));
        const variables = Object.fromEntries(used.map((a) => [a.name, sample(a.type, a === arg ? path : null)]));
        const selection = isLeafType(getNamedType(mutation.type)) ? '' : '{ __typename }';
        const query = `mutation Probe(${used.map((a) => `$${a.name}: ${String(a.type)}`).join(', ')}) { ${mutation.name}(${used.map((a) => `${a.name}: $${a.name}`).join(', ')}) ${selection} }`;
        const expected = `$${arg.name}${path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('')}`;
        list.push({ name: `${mutation.name} ${expected}`, query, variables, expected });
      }
    }
  }
  return list;
}

describe.each([
  ['SQLite', async () => ({ config: {}, drop: async () => {} })],
  ['PostgreSQL', async () => {
    const database = await isolatedPostgres();
    return { config: { store: { url: database.url } }, drop: database.drop };
  }],
])('well-formed Unicode at the edge, %s store', (_label, makeStore) => {
  let test: TestGateway;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const store = await makeStore();
    drop = store.drop;
    test = await startTestGateway({ config: store.config as never });
  }, scaled(60_000));
  afterAll(async () => {
    await test?.stop();
    await drop?.();
  });

  const auditCount = async () => (await test.gateway.store.listAudit({ limit: 10_000 })).length;

  it('covers every mutation of the schema', () => {
    const covered = new Set(probes().map((p) => p.name.split(' ')[0]));
    const withStrings = Object.values(schema.getMutationType()!.getFields()).filter((m) => m.args.some((a) => stringPaths(a.type).length > 0));
    expect([...covered].sort()).toEqual(withStrings.map((m) => m.name).sort());
    expect(covered.size).toBeGreaterThanOrEqual(17);
    expect(probes().some((p) => p.expected === '$tags[0].value')).toBe(true);
  });

  it('refuses a lone surrogate in each string argument of each mutation before anything runs, and the audit chain still verifies', async () => {
    const before = await auditCount();
    for (const probe of probes()) {
      const body = JSON.stringify({ query: probe.query, variables: probe.variables });
      expect(body).toContain('\\ud800'); // on the wire as a JSON escape, as any client sends it
      const response = await fetch(test.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const json = (await response.json()) as { data?: unknown; errors?: { message: string; extensions: Record<string, unknown> }[] };
      expect(json.errors?.[0]?.extensions, probe.name).toMatchObject({ code: 'INVALID_INPUT', reason: 'MALFORMED_UNICODE', details: { argument: probe.expected } });
      expect(json.errors![0]!.message).toContain(probe.expected);
      expect(json.data ?? null, probe.name).toBeNull();
    }
    expect(await auditCount()).toBe(before); // no resolver ran, so nothing was audited
    const verify = await postGraphQL(test.url, '{ verifyAudit { ok broken } }');
    expect(verify.body.data.verifyAudit).toEqual({ ok: true, broken: [] });
    const models = await postGraphQL(test.url, '{ models(first: 5) { edges { node { name } } } }');
    expect(models.body.data.models.edges).toEqual([]);
  });

  it('refuses it in queries and in literals too', async () => {
    const query = await postGraphQL(test.url, 'query ($p: String!) { models(filter: { namePrefix: $p }, first: 1) { edges { node { name } } } }', { p: `x${LONE}` });
    expect(query.body.errors?.[0]?.extensions).toMatchObject({ code: 'INVALID_INPUT', details: { argument: '$p' } });
    const literal = await postGraphQL(test.url, `mutation { createModel(name: "Churn${LONE}") { name } }`);
    expect(literal.body.errors?.[0]?.extensions).toMatchObject({ code: 'INVALID_INPUT' });
    const escaped = await postGraphQL(test.url, 'mutation { createModel(name: "Churn\\ud800") { name } }');
    expect(escaped.body.errors?.[0]?.extensions).toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('refuses U+0000, which PostgreSQL cannot store, in variables and literals alike, before anything runs', async () => {
    const before = await auditCount();
    const variable = await postGraphQL(test.url, 'mutation ($c: String) { promote(name: "Churn", version: "1", targetStage: STAGING, comment: $c) { status } }', { c: 'ship it\u0000' });
    expect(variable.body.errors?.[0]?.extensions).toMatchObject({ code: 'INVALID_INPUT', reason: 'NUL_CHARACTER', details: { argument: '$c' } });
    const literal = await postGraphQL(test.url, 'mutation { createModel(name: "Churn\\u0000") { name } }');
    expect(literal.body.errors?.[0]?.extensions).toMatchObject({ code: 'INVALID_INPUT', reason: 'NUL_CHARACTER' });
    expect(await auditCount()).toBe(before);
  });

  it('keeps well-formed text exactly, astral characters included, and the chain verifies', async () => {
    const description = 'rocket \ud83d\ude80 and grin \ud83d\ude00';
    const created = await postGraphQL(test.url, 'mutation ($d: String) { createModel(name: "Rocket", description: $d) { description } }', { d: description });
    expect(created.body.data.createModel.description).toBe(description);
    const log = await postGraphQL(test.url, '{ auditLog(name: "Rocket") { after } verifyAudit { ok checked } }');
    expect(JSON.stringify(log.body.data.auditLog)).toContain('rocket');
    expect(log.body.data.verifyAudit).toMatchObject({ ok: true });
    expect(log.body.data.verifyAudit.checked).toBeGreaterThan(0);
  });
});
