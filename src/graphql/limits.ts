import {
  GraphQLError,
  Kind,
  valueFromASTUntyped,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

/*
 * type-graphql builds the schema with the CommonJS graphql while this file loads the ESM
 * one; graphql's instanceof-based helpers (isObjectType...) refuse objects from the other
 * realm, so types are inspected by shape here.
 */
type AnyType = { name?: string; ofType?: AnyType; getFields?: () => Record<string, GraphQLField<unknown, unknown>> };
const named = (type: AnyType | null | undefined): AnyType | null => {
  let current = type ?? null;
  while (current?.ofType) current = current.ofType;
  return current;
};
import type { ApolloServerPlugin } from '@apollo/server';
import { DEFAULT_PAGE_SIZE, ErrorCode } from '../core/index.ts';

export interface QueryLimits {
  maxDepth: number;
  maxComplexity: number;
  maxAliases: number;
}

function refused(message: string, reason: string, limit: number, actual: number): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.INVALID_INPUT, reason, details: { limit, actual }, http: { status: 400 } } });
}

/** Depth, alias and cost limits, checked before anything runs. */
export function queryLimitsPlugin(schema: GraphQLSchema, limits: QueryLimits): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, request, operationName }) {
          const fragments = Object.fromEntries(
            document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
          );
          const depth = Math.max(0, ...operations(document).map((op) => depthOf(op.selectionSet, fragments, new Set())));
          if (depth > limits.maxDepth) throw refused(`Query is ${depth} levels deep; the limit is ${limits.maxDepth}`, 'QUERY_TOO_DEEP', limits.maxDepth, depth);
          const aliases = countAliases(document);
          if (aliases > limits.maxAliases) throw refused(`Query uses ${aliases} aliases; the limit is ${limits.maxAliases}`, 'TOO_MANY_ALIASES', limits.maxAliases, aliases);
          const complexity = Math.max(
            0,
            ...operations(document)
              .filter((op) => !operationName || op.name?.value === operationName)
              .map((op) => costOf(schema, op, fragments, request.variables ?? {})),
          );
          if (complexity > limits.maxComplexity) {
            throw refused(`Query would cost ${complexity}; the limit is ${limits.maxComplexity} (lists count once per item asked for)`, 'QUERY_TOO_COSTLY', limits.maxComplexity, complexity);
          }
        },
      };
    },
  };
}

const operations = (document: DocumentNode) => document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);

/**
 * What a query may cost: each field 1, and a paginated field (one taking `first`) its
 * children once per item it may return — `first`, or the default page size when omitted.
 */
function costOf(schema: GraphQLSchema, operation: OperationDefinitionNode, fragments: Record<string, FragmentDefinitionNode>, variables: Record<string, unknown>): number {
  const root = operation.operation === 'mutation' ? schema.getMutationType() : operation.operation === 'subscription' ? schema.getSubscriptionType() : schema.getQueryType();
  const walk = (set: SelectionSetNode | undefined, type: AnyType | null | undefined, visiting: Set<string>): number => {
    if (!set || !type) return 0;
    let total = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const inner = selection.typeCondition ? (schema.getType(selection.typeCondition.name.value) as AnyType | undefined) : type;
        total += walk(selection.selectionSet, inner, visiting);
      } else if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments[selection.name.value];
        if (!fragment || visiting.has(fragment.name.value)) continue;
        visiting.add(fragment.name.value);
        total += walk(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value) as AnyType | undefined, visiting);
        visiting.delete(fragment.name.value);
      } else {
        const fields = type.getFields?.() ?? {};
        const definition = fields[selection.name.value];
        const children = walk(selection.selectionSet, definition ? named(definition.type as AnyType) : null, visiting);
        const paged = definition?.args.some((a) => a.name === 'first');
        const firstArg = selection.arguments?.find((a) => a.name.value === 'first');
        const first = firstArg ? Number(valueFromASTUntyped(firstArg.value, variables)) : DEFAULT_PAGE_SIZE;
        total += 1 + (paged ? children * Math.max(Number.isFinite(first) ? first : DEFAULT_PAGE_SIZE, 1) : children);
      }
    }
    return total;
  };
  return walk(operation.selectionSet, root as AnyType | null | undefined, new Set());
}

function depthOf(set: SelectionSetNode | undefined, fragments: Record<string, FragmentDefinitionNode>, visiting: Set<string>): number {
  if (!set) return 0;
  let deepest = 0;
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) deepest = Math.max(deepest, selection.selectionSet ? 1 + depthOf(selection.selectionSet, fragments, visiting) : 1);
    else if (selection.kind === Kind.INLINE_FRAGMENT) deepest = Math.max(deepest, depthOf(selection.selectionSet, fragments, visiting));
    else if (!visiting.has(selection.name.value) && fragments[selection.name.value]) {
      visiting.add(selection.name.value);
      deepest = Math.max(deepest, depthOf(fragments[selection.name.value]!.selectionSet, fragments, visiting));
      visiting.delete(selection.name.value);
    }
  }
  return deepest;
}

function countAliases(document: DocumentNode): number {
  let count = 0;
  const walk = (set: SelectionSetNode | undefined) => {
    for (const selection of set?.selections ?? []) {
      if (selection.kind === Kind.FIELD && selection.alias) count++;
      if (selection.kind !== Kind.FRAGMENT_SPREAD) walk(selection.selectionSet);
    }
  };
  for (const definition of document.definitions) if ('selectionSet' in definition) walk(definition.selectionSet);
  return count;
}
