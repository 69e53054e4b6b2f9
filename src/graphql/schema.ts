import type { GraphQLSchema } from 'graphql';
import { buildSchema } from './type-graphql.ts';
import './common/enums.ts';
import { CardResolver } from './card/card.resolver.ts';
import { CompareResolver } from './compare/compare.resolver.ts';
import { EventsResolver } from './events/events.resolver.ts';
import { CopyResolver } from './copy/copy.resolver.ts';
import { LifecycleResolver } from './lifecycle/lifecycle.resolver.ts';
import { ModelResolver } from './model/model.resolver.ts';
import { RegistryResolver } from './registry/registry.resolver.ts';
import { VersionResolver } from './version/version.resolver.ts';
import { ViewerResolver } from './viewer/viewer.resolver.ts';
import { ProductionHistoryResolver } from './model/production-history.resolver.ts';

let built: Promise<GraphQLSchema> | undefined;

/** The gateway schema, built once per process from the type-graphql classes. */
export function gatewaySchema(): Promise<GraphQLSchema> {
  built ??= buildSchema({
    resolvers: [RegistryResolver, ModelResolver, VersionResolver, CompareResolver, LifecycleResolver, CardResolver, EventsResolver, CopyResolver, ViewerResolver, ProductionHistoryResolver],
    validate: false,
    // type-graphql's own check runs the full introspection query (~100-170 ms of every start); the schema
    // is the same on every start, so test/graphql/schema-check.test.ts runs it once, and Apollo still asserts validity.
    skipCheck: true,
    // type-graphql asks for a PubSub once there is a @Subscription; ours have their own `subscribe`, so it is never used.
    pubSub: { publish: () => undefined, subscribe: () => { throw new Error('no PubSub: subscriptions bring their own subscribe'); } },
  });
  return built;
}
