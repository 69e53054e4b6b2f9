import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GraphQLSchema } from 'graphql';
import { ErrorCode } from '../../src/core/index.ts';
import { gatewaySchema } from '../../src/graphql/schema.ts';
import { postGraphQL, startTestGateway, type TestGateway } from '../support/gateway.ts';
import { scaled } from '../support/time-scale.ts';

/*
 * Random well-formed query documents built from the schema (nesting, aliases, named
 * fragments, fragments that spread each other, list sizes): each one is answered or
 * refused with a coded client error within a bounded time, never INTERNAL, never a 500.
 */

type Shape = {
  name: string;
  ofType?: Shape;
  getFields?: () => Record<string, { name: string; type: Shape; args: readonly { name: string; type: Shape }[] }>;
  getValues?: () => readonly { name: string }[];
  getInterfaces?: () => unknown;
};
const named = (type: Shape): Shape => (type.ofType ? named(type.ofType) : type);
const required = (type: Shape) => String(type).endsWith('!');

/** A seeded generator, so a failure names a document that can be replayed. */
function random(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n), pick: <T,>(items: readonly T[]) => items[Math.floor(next() * items.length)]! };
}

function documentGenerator(schema: GraphQLSchema, seed: number) {
  const rng = random(seed);
  const fragments: string[] = [];
  let aliasCount = 0;

  const literal = (type: Shape, argName: string): string | null => {
    const base = named(type);
    const value = (): string | null => {
      if (base.getValues) return rng.pick(base.getValues()).name;
      if (base.getFields && !base.getInterfaces) {
        const fields = Object.values(base.getFields()).filter((f) => required(f.type) || rng.next() < 0.3);
        const parts = fields.map((f) => `${f.name}: ${literal(f.type, f.name)}`);
        return `{ ${parts.join(', ')} }`;
      }
      switch (base.name) {
        case 'Int':
          return String(rng.pick([1, 2, 5, 20, 50, 100, 200, 201, 0, -1]));
        case 'Float':
          return String(rng.pick([0, 0.5, 1e9]));
        case 'Boolean':
          return rng.pick(['true', 'false']);
        default:
          if (argName === 'registry' || argName === 'id') return rng.pick(['"local"', '"local"', '"nope"']);
          if (argName === 'uri') return rng.pick(['"models:/m/1"', '"models:/m@champion"', '"local:models:/m/Production"', '"::"']);
          return rng.pick(['"m"', '"m"', '"1"', '"accuracy"', '""']);
      }
    };
    const one = value();
    return String(type).includes('[') ? `[${Array.from({ length: 1 + rng.int(3) }, () => one).join(', ')}]` : one;
  };

  // One argument set per field coordinate in a document, so repeated fields merge (valid) instead of conflicting.
  const argumentsFor = new Map<string, string>();
  const args = (owner: Shape, field: { name: string; args: readonly { name: string; type: Shape }[] }) => {
    const coordinate = `${owner.name}.${field.name}`;
    const known = argumentsFor.get(coordinate);
    if (known !== undefined) return known;
    const given = field.args.filter((a) => required(a.type) || rng.next() < 0.4).map((a) => `${a.name}: ${literal(a.type, a.name)}`);
    const written = given.length ? `(${given.join(', ')})` : '';
    argumentsFor.set(coordinate, written);
    return written;
  };

  const selection = (type: Shape, depth: number): string => {
    const fields = Object.values(type.getFields!());
    const chosen = Array.from({ length: 1 + rng.int(4) }, () => rng.pick(fields));
    const parts = chosen.map((field) => {
      const alias = rng.next() < 0.15 ? `a${aliasCount++}: ` : '';
      const child = named(field.type);
      if (!child.getFields) return `${alias}${field.name}${args(type, field)}`;
      // Past the chosen depth, close with __typename so the document stays valid.
      const inner = depth <= 0 ? '__typename' : selection(child, depth - 1);
      return `${alias}${field.name}${args(type, field)} { ${inner} }`;
    });
    if (rng.next() < 0.2) parts.push(fragmentOn(type, depth));
    if (rng.next() < 0.05) parts.push(doublingChain(type, 5 + rng.int(30)));
    return parts.join(' ');
  };

  const fragmentOn = (type: Shape, depth: number): string => {
    const name = `F${fragments.length}`;
    fragments.push('');
    const index = fragments.length - 1;
    fragments[index] = `fragment ${name} on ${type.name} { ${selection(type, Math.max(depth - 1, 0))} }`;
    return Array.from({ length: 1 + rng.int(4) }, () => `...${name}`).join(' ');
  };

  const doublingChain = (type: Shape, levels: number): string => {
    const prefix = `D${fragments.length}_`;
    for (let i = 0; i < levels - 1; i++) fragments.push(`fragment ${prefix}${i} on ${type.name} { ...${prefix}${i + 1} ...${prefix}${i + 1} }`);
    fragments.push(`fragment ${prefix}${levels - 1} on ${type.name} { __typename }`);
    return `...${prefix}0`;
  };

  return () => {
    fragments.length = 0;
    aliasCount = 0;
    argumentsFor.clear();
    const body = selection(schema.getQueryType() as unknown as Shape, rng.int(16));
    return [`query Fuzz { ${body} }`, ...fragments].join('\n');
  };
}

describe('random documents from the schema', () => {
  let test: TestGateway;
  let schema: GraphQLSchema;
  beforeAll(async () => {
    test = await startTestGateway();
    schema = await gatewaySchema();
    for (const accuracy of [0.8, 0.9, 0.85]) {
      const { body } = await postGraphQL(test.url, `mutation { registerVersion(name: "m", source: "s3://b/m", metrics: [{ key: "accuracy", value: ${accuracy} }]) { version } }`);
      expect(body.errors).toBeUndefined();
    }
    await postGraphQL(test.url, 'mutation { setAlias(name: "m", alias: "champion", version: "2") { version } }');
  });
  afterAll(() => test.stop());

  it('answers or refuses each within a bounded time, never INTERNAL', { timeout: scaled(300_000) }, async () => {
    const codes = new Set<string>(Object.values(ErrorCode));
    const next = documentGenerator(schema, 20261127);
    const outcomes = { answered: 0, refused: 0 };
    for (let i = 0; i < 150; i++) {
      const document = next();
      const started = performance.now();
      const { status, body } = await postGraphQL(test.url, document);
      const elapsed = performance.now() - started;
      const errorCodes = (body.errors ?? []).map((e: { extensions?: { code?: string } }) => e.extensions?.code);
      const context = `document ${i}:\n${document}\n${JSON.stringify(body.errors ?? []).slice(0, 500)}`;
      // Generous bound: it proves "never hangs", bench/edge.bench.ts measures the real times.
      expect(elapsed, context).toBeLessThan(scaled(10_000));
      expect(status, context).toBeLessThan(500);
      expect(errorCodes.every((code: string | undefined) => code !== undefined && codes.has(code) && code !== ErrorCode.INTERNAL), context).toBe(true);
      if (body.data) outcomes.answered++;
      else outcomes.refused++;
    }
    // The generator must exercise both sides, or it tests nothing.
    expect(outcomes.answered).toBeGreaterThan(10);
    expect(outcomes.refused).toBeGreaterThan(10);
  });
});
