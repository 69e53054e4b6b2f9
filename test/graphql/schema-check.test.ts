import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { gatewaySchema } from '../../src/graphql/schema.ts';

// type-graphql builds with Node's (CommonJS) graphql; the introspection runs in that realm too.
const graphql = createRequire(import.meta.url)('graphql') as typeof import('graphql');

/*
 * The gateway builds its schema with type-graphql's `skipCheck` (the check costs every start-up
 * ~100-170 ms). The check is the full introspection query, which would catch what validity
 * alone does not, such as a default value that cannot be serialised: it runs here instead.
 */
describe('the built schema', () => {
  it('is valid and answers the full introspection query without errors', async () => {
    const schema = await gatewaySchema();
    expect(graphql.validateSchema(schema)).toEqual([]);
    const result = graphql.graphqlSync({ schema, source: graphql.getIntrospectionQuery() });
    expect(result.errors).toBeUndefined();
    const introspected = (result.data as { __schema: { types: { name: string }[] } }).__schema.types.map((t) => t.name).sort();
    expect(introspected).toEqual(Object.keys(schema.getTypeMap()).sort());
    // What GraphiQL and codegen read back, asked for everything: it rebuilds into the same schema text.
    const everything = { specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true };
    const full = graphql.graphqlSync({ schema, source: graphql.getIntrospectionQuery(everything) });
    expect(full.errors).toBeUndefined();
    const rebuilt = graphql.buildClientSchema(full.data as unknown as import('graphql').IntrospectionQuery);
    expect(graphql.printSchema(rebuilt)).toBe(graphql.printSchema(schema));
  });
});
