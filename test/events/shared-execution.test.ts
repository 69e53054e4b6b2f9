import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { SharedExecution, groupKey, type SubscriptionGroup } from '../../src/server/shared-execution.ts';

// The same graphql realm the gateway's WebSocket server uses.
const graphql = createRequire(import.meta.url)('graphql') as typeof import('graphql');

interface Event {
  id: string;
  model: string;
}

/** A schema whose subscription streams the events handed to each subscriber's own source, counting executions. */
function schemaCountingExecutions() {
  const executed: string[] = [];
  const EventType = new graphql.GraphQLObjectType<Event>({
    name: 'Event',
    fields: {
      id: { type: graphql.GraphQLString },
      model: {
        type: graphql.GraphQLString,
        args: { suffix: { type: graphql.GraphQLString } },
        resolve: (event, { suffix }) => {
          executed.push(event.id);
          return event.model + (suffix ?? '');
        },
      },
    },
  });
  const schema = new graphql.GraphQLSchema({
    query: new graphql.GraphQLObjectType({ name: 'Query', fields: { ok: { type: graphql.GraphQLBoolean } } }),
    subscription: new graphql.GraphQLObjectType({
      name: 'Subscription',
      fields: {
        events: {
          type: EventType,
          args: { suffix: { type: graphql.GraphQLString } },
          subscribe: (_root, _args, context: { source: Event[] }) => (async function* () {
            yield* context.source;
          })(),
          resolve: (event: Event) => event,
        },
      },
    }),
  });
  return { schema, executed };
}

const QUERY = 'subscription($suffix: String) { events { id model(suffix: $suffix) } }';

async function collect(shared: SharedExecution, schema: import('graphql').GraphQLSchema, group: SubscriptionGroup, source: Event[]) {
  const contextValue = { source };
  shared.join(contextValue, group);
  const stream = (await shared.subscribe({ schema, document: graphql.parse(group.query), variableValues: group.variables, contextValue })) as AsyncIterable<{ data?: unknown }>;
  const results: unknown[] = [];
  for await (const result of stream) results.push(result.data);
  return results;
}

describe('SharedExecution', () => {
  const alice = { id: 'alice', grants: [{ role: 'viewer', registries: ['*'], models: ['A*'] }] };
  const bob = { id: 'bob', grants: [{ role: 'viewer', registries: ['*'], models: ['*'] }] };
  const one: Event = { id: 'e1', model: 'A1' };
  const two: Event = { id: 'e2', model: 'B2' };

  it('executes an event once for subscribers alike in principal, document and variables, and gives each its own stream', async () => {
    const { schema, executed } = schemaCountingExecutions();
    const shared = new SharedExecution(graphql, (event) => (event as Event).id);
    const group = { principal: bob, query: QUERY, operationName: null, variables: {} };
    // The second subscriber's source holds only the first event (as if the second were out of its sight).
    const [first, second] = await Promise.all([collect(shared, schema, group, [one, two]), collect(shared, schema, group, [one])]);
    expect(first).toEqual([{ events: { id: 'e1', model: 'A1' } }, { events: { id: 'e2', model: 'B2' } }]);
    expect(second).toEqual([{ events: { id: 'e1', model: 'A1' } }]);
    expect(executed).toEqual(['e1', 'e2']);
    // The group and the results it kept go with its last stream.
    expect(shared.groupCount).toBe(0);
  });

  it('keeps a group while one of its streams lives, and drops it when that stream is closed early', async () => {
    const { schema } = schemaCountingExecutions();
    const shared = new SharedExecution(graphql, (event) => (event as Event).id);
    const contextValue = { source: [one, two] };
    shared.join(contextValue, { principal: bob, query: QUERY, operationName: null, variables: {} });
    const stream = (await shared.subscribe({ schema, document: graphql.parse(QUERY), contextValue })) as AsyncIterableIterator<unknown>;
    await stream.next();
    expect(shared.groupCount).toBe(1);
    await stream.return!();
    expect(shared.groupCount).toBe(0);
  });

  it('executes separately for different variables or a different principal, each getting its own result', async () => {
    const { schema, executed } = schemaCountingExecutions();
    const shared = new SharedExecution(graphql, (event) => (event as Event).id);
    const plain = await collect(shared, schema, { principal: alice, query: QUERY, operationName: null, variables: {} }, [one]);
    const suffixed = await collect(shared, schema, { principal: alice, query: QUERY, operationName: null, variables: { suffix: '!' } }, [one]);
    const otherCaller = await collect(shared, schema, { principal: bob, query: QUERY, operationName: null, variables: {} }, [one]);
    expect(plain).toEqual([{ events: { id: 'e1', model: 'A1' } }]);
    expect(suffixed).toEqual([{ events: { id: 'e1', model: 'A1!' } }]);
    expect(otherCaller).toEqual(plain);
    expect(executed).toEqual(['e1', 'e1', 'e1']);
  });

  it('executes per subscriber an event without an identity', async () => {
    const { schema, executed } = schemaCountingExecutions();
    const shared = new SharedExecution(graphql, () => null);
    const group = { principal: bob, query: QUERY, operationName: null, variables: {} };
    await Promise.all([collect(shared, schema, group, [one]), collect(shared, schema, group, [one])]);
    expect(executed).toEqual(['e1', 'e1']);
  });

  it('never gives two groups one key when principal, grants, operation, document and variables only run together differently', () => {
    const grants = (models: string[]) => [{ role: 'viewer', registries: ['*'], models }];
    const base: SubscriptionGroup = { principal: { id: 'team', grants: grants(['A*']) }, query: QUERY, operationName: null, variables: {} };
    // Each pair would collide under a key that joins the parts with a separator (',', '|', ':' or a newline) or drops an empty part.
    const variants: SubscriptionGroup[] = [
      base,
      { ...base, principal: { id: 'team","A*', grants: grants([]) } },
      { ...base, principal: { id: 'team|A*', grants: grants([]) } },
      { ...base, principal: { id: 'team:A*', grants: grants([]) } },
      { ...base, principal: { id: 'team\nA*', grants: grants([]) } },
      { ...base, principal: { id: 'team', grants: grants(['A', '*']) } },
      { ...base, principal: { id: 'team', grants: grants(['A*", "B*']) } },
      { ...base, principal: { id: 'team', grants: grants(['A*', 'B*']) } },
      { ...base, principal: { id: 'team', grants: [] } },
      { ...base, operationName: 'Events' },
      { ...base, operationName: '' },
      { ...base, query: `${QUERY} ` },
      { ...base, variables: { suffix: null } },
      { ...base, variables: { suffix: '' } },
      { ...base, variables: { suffix: '__proto__' } },
      { ...base, variables: JSON.parse('{"__proto__": {"suffix": "x"}}') },
    ];
    const keys = variants.map(groupKey);
    expect(new Set(keys).size).toBe(variants.length);
    // Alike in every part: one key, whatever object holds them.
    expect(groupKey({ ...base, principal: { id: 'team', grants: grants(['A*']) }, variables: {} })).toBe(keys[0]);
  });
});
