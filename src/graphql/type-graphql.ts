import 'reflect-metadata';
import { createRequire } from 'node:module';

/*
 * type-graphql and graphql-scalars through require, so their CommonJS builds load: the ESM builds
 * are ~190 modules that Node 20's ESM loader takes about twice the CPU time to load (~50-70 ms
 * of every start-up). Both go through here, so one copy of the DateTimeISO scalar is in the schema.
 * Import decorators and scalars from this file: test/ship/startup-modules.test.ts fails if an ESM build loads.
 */
const require = createRequire(import.meta.url);

export const {
  Arg,
  Args,
  ArgsType,
  Ctx,
  Field,
  FieldResolver,
  Float,
  ID,
  Info,
  InputType,
  Int,
  Mutation,
  ObjectType,
  Query,
  Resolver,
  Root,
  Subscription,
  buildSchema,
  registerEnumType,
} = require('type-graphql') as typeof import('type-graphql');
export type { ClassType } from 'type-graphql';

export const { DateTimeISOResolver, JSONResolver } = require('graphql-scalars') as typeof import('graphql-scalars');
