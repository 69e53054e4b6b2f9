import { createRequire } from 'node:module';

/*
 * @apollo/server through require, so its CommonJS build loads: the ESM build (with the
 * @graphql-tools modules it imports) is ~190 modules that Node 20's ESM loader takes about three
 * times the CPU to load. Types still come from `import type`; values from here
 * (test/ship/startup-modules.test.ts fails if the ESM build loads).
 */
const require = createRequire(import.meta.url);

export const { ApolloServer, HeaderMap } = require('@apollo/server') as typeof import('@apollo/server');
export const { ApolloServerErrorCode, unwrapResolverError } = require('@apollo/server/errors') as typeof import('@apollo/server/errors');
export const { ApolloServerPluginDrainHttpServer } = require('@apollo/server/plugin/drainHttpServer') as typeof import('@apollo/server/plugin/drainHttpServer');
export const { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } = require('@apollo/server/plugin/disabled') as typeof import('@apollo/server/plugin/disabled');
