import { createRequire } from 'node:module';
import type { ApolloServerPlugin } from '@apollo/server';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import {
  GraphQLError,
  Kind,
  valueFromASTUntyped,
  visit,
  type ASTVisitor,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';
import type { ComplexityEstimator, ComplexityEstimatorArgs } from 'graphql-query-complexity';
import { DEFAULT_PAGE_SIZE, ErrorCode } from '../core/index.ts';
import type { GatewayContext } from './context.ts';
import type { GatewayPricing } from './pricing.ts';

/*
 * type-graphql builds the schema with the CommonJS graphql under vitest while this file
 * loads the ESM one; graphql's instanceof-based helpers (isObjectType...) refuse objects
 * from the other realm, so types are inspected by shape here.
 */
type AnyType = { name?: string; ofType?: AnyType; getFields?: () => Record<string, GraphQLField<unknown, unknown>> };
const named = (type: AnyType | null | undefined): AnyType | null => {
  let current = type ?? null;
  while (current?.ofType) current = current.ofType;
  return current;
};

export interface QueryLimits {
  maxDepth: number;
  maxComplexity: number;
  maxAliases: number;
}

/** What a list field with no declared price and no `first` is counted as. */
export const UNDECLARED_LIST_ITEMS = 5;

function refused(message: string, reason: string, limit: number, actual: number): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.INVALID_INPUT, reason, details: { limit, actual }, http: { status: 400 } } });
}

/**
 * Depth, alias and cost limits, checked on the operation about to run before anything
 * runs. Each fragment is measured once and its measure reused at every spread, so the
 * check is linear in the document however often fragments spread each other; the
 * expansion itself is bounded because every field costs at least 1.
 */
export function queryLimitsPlugin(schema: GraphQLSchema, limits: QueryLimits): ApolloServerPlugin<GatewayContext> {
  // Apollo reuses one parsed document per query text, so measures keyed by its operation node are computed once per text.
  const measured = new WeakMap<OperationDefinitionNode, Measures>();
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, request, contextValue }) {
          if (!operation) return; // Apollo has already refused a document without the named operation
          const refusal = queryLimitRefusal(schema, limits, document, operation, request.variables ?? {}, { registryCount: contextValue.registries.list().length }, measured);
          if (refusal) throw refused(refusal.message, refusal.reason, refusal.details.limit, refusal.details.actual);
        },
      };
    },
  };
}

/** Why the operation exceeds a limit (depth, aliases, cost), or null; HTTP and WebSocket both ask this. */
export function queryLimitRefusal(
  schema: GraphQLSchema,
  limits: QueryLimits,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
  pricing: GatewayPricing,
  measured?: WeakMap<OperationDefinitionNode, Measures>,
): { message: string; reason: string; details: { limit: number; actual: number } } | null {
  let measures = measured?.get(operation);
  if (!measures) {
    measures = measure(document, operation);
    measured?.set(operation, measures);
  }
  const { depth, aliases, fragments } = measures;
  if (depth > limits.maxDepth) return { message: `Query is ${depth} levels deep; the limit is ${limits.maxDepth}`, reason: 'QUERY_TOO_DEEP', details: { limit: limits.maxDepth, actual: depth } };
  if (aliases > limits.maxAliases) return { message: `Query uses ${aliases} aliases; the limit is ${limits.maxAliases}`, reason: 'TOO_MANY_ALIASES', details: { limit: limits.maxAliases, actual: aliases } };
  const cost = measures.cost(variables, (vars) => costOf(schema, operation, fragments, vars, pricing));
  if (cost <= limits.maxComplexity) return null;
  const shown = Number.isFinite(cost) && cost < Number.MAX_SAFE_INTEGER ? cost : Number.MAX_SAFE_INTEGER;
  return {
    message: `Query would cost ${Number.isFinite(cost) ? Math.round(cost) : 'more than can be counted'}; the limit is ${limits.maxComplexity} (lists count once per item they can return)`,
    reason: 'QUERY_TOO_COSTLY',
    details: { limit: limits.maxComplexity, actual: Math.round(shown) },
  };
}

/** Costs kept per operation: one per distinct variables, for small variables only. */
const COSTS_KEPT = 32;
const COST_KEY_MAX = 1024;

interface Measures {
  depth: number;
  aliases: number;
  fragments: ReadonlyMap<string, FragmentDefinitionNode>;
  cost(variables: Record<string, unknown>, compute: (variables: Record<string, unknown>) => number): number;
}

/** What the limits need of an operation that does not change with its variables, and its costs by variables. */
function measure(document: DocumentNode, operation: OperationDefinitionNode): Measures {
  const fragments = new Map(
    document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
  );
  const costs = new Map<string, number>();
  return {
    depth: depthOf(operation, fragments),
    aliases: aliasesOf(operation, fragments),
    fragments,
    cost(variables, compute) {
      // The cost reads `first` and other arguments from variables, so it is keyed by them; large inputs are priced afresh.
      const key = JSON.stringify(variables);
      if (key.length > COST_KEY_MAX) return compute(variables);
      let cost = costs.get(key);
      if (cost === undefined) {
        cost = compute(variables);
        if (costs.size >= COSTS_KEPT) costs.clear();
        costs.set(key, cost);
      }
      return cost;
    },
  };
}

/**
 * Fields nested in the operation. Hand-written: graphql-armor's max-depth caches a
 * fragment's absolute depth at its first spread, so a fragment spread shallow and then deep
 * is undercounted; here a fragment's own depth is memoised and added where it is spread.
 */
export function depthOf(operation: OperationDefinitionNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>): number {
  const memo = new Map<string, number>();
  const ofSet = (set: SelectionSetNode | undefined): number => {
    let deepest = 0;
    for (const selection of set?.selections ?? []) {
      // Introspection's `ofType` chains follow a type's wrappers (list, non-null), bounded by the schema: GraphiQL's
      // standard query nests them 8 deep. They add no depth; `fields { type { fields … } }` still does.
      if (selection.kind === Kind.FIELD) deepest = Math.max(deepest, (selection.name.value === 'ofType' ? 0 : 1) + ofSet(selection.selectionSet));
      else if (selection.kind === Kind.INLINE_FRAGMENT) deepest = Math.max(deepest, ofSet(selection.selectionSet));
      else deepest = Math.max(deepest, once(memo, selection.name.value, fragments, (fragment) => ofSet(fragment.selectionSet)));
    }
    return deepest;
  };
  return ofSet(operation.selectionSet);
}

/** Aliases in the operation, a fragment's aliases once per spread (graphql-armor memoises each fragment's count). */
export function aliasesOf(operation: OperationDefinitionNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>): number {
  let counted = 0;
  // The limit is ours (a coded error); the rule only counts, so it never rejects.
  const rule = maxAliasesRule({ n: Number.MAX_SAFE_INTEGER, allowList: [], onAccept: [(_context, { n }) => (counted = n)] });
  const context = { getFragment: (name: string) => fragments.get(name) } as unknown as ValidationContext;
  visit(operation, rule(context) as unknown as ASTVisitor);
  return counted;
}

type PriceArgs = ComplexityEstimatorArgs & GatewayPricing;

// Required, so its CommonJS build loads: the ESM build imports graphql's .mjs files, a second graphql (130 modules, ~80 ms of CPU at start-up).
const complexity = createRequire(import.meta.url)('graphql-query-complexity') as typeof import('graphql-query-complexity');

/** Declared prices first (`@Field({ complexity })`), then `first`, then list and plain defaults. */
const estimators: ComplexityEstimator[] = [
  complexity.fieldExtensionsEstimator(),
  ({ field, args, childComplexity }) => {
    if (!field.args.some((arg) => arg.name === 'first')) return undefined;
    const first = typeof args.first === 'number' && args.first >= 1 ? args.first : DEFAULT_PAGE_SIZE;
    return 1 + first * Math.max(childComplexity, 1);
  },
  ({ field, childComplexity }) => (String(field.type).startsWith('[') ? 1 + UNDECLARED_LIST_ITEMS * Math.max(childComplexity, 1) : undefined),
  complexity.simpleEstimator({ defaultComplexity: 1 }),
];

/**
 * What running the operation may cost. Hand-written walk: graphql-query-complexity prices
 * every spread of a fragment afresh (exponential on fragments that spread each other) and
 * needs the schema's graphql realm; its estimators price each field here.
 */
export function costOf(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
  pricing: GatewayPricing,
): number {
  const memo = new Map<string, number>();
  const typeNamed = (name: string) => schema.getType(name) as AnyType | undefined;
  const ofSet = (set: SelectionSetNode | undefined, type: AnyType | null | undefined): number => {
    let total = 0;
    for (const selection of set?.selections ?? []) {
      if (selection.kind === Kind.FIELD) total += fieldCost(selection, type);
      else if (selection.kind === Kind.INLINE_FRAGMENT) {
        total += ofSet(selection.selectionSet, selection.typeCondition ? typeNamed(selection.typeCondition.name.value) : type);
      } else {
        total += once(memo, selection.name.value, fragments, (fragment) => ofSet(fragment.selectionSet, typeNamed(fragment.typeCondition.name.value)));
      }
    }
    return total;
  };
  const fieldCost = (node: FieldNode, parent: AnyType | null | undefined): number => {
    const field = parent?.getFields?.()[node.name.value];
    const childComplexity = ofSet(node.selectionSet, field ? named(field.type as AnyType) : null);
    // Unknown fields (introspection, typos refused by validation) cost 1 each, children too.
    if (!field) return 1 + childComplexity;
    const options = { type: parent, field, node, args: argumentsOf(field, node, variables), childComplexity, ...pricing } as unknown as PriceArgs;
    for (const estimate of estimators) {
      const price = estimate(options);
      if (typeof price === 'number' && !Number.isNaN(price)) return Math.max(price, 1);
    }
    return 1 + childComplexity;
  };
  const root = operation.operation === 'mutation' ? schema.getMutationType() : operation.operation === 'subscription' ? schema.getSubscriptionType() : schema.getQueryType();
  return ofSet(operation.selectionSet, root as AnyType | null | undefined);
}

/** Argument values as written, variables filled in, defaults where omitted (no coercion: prices only). */
function argumentsOf(field: GraphQLField<unknown, unknown>, node: FieldNode, variables: Record<string, unknown>): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const definition of field.args) {
    const given = node.arguments?.find((argument) => argument.name.value === definition.name);
    if (given) values[definition.name] = valueFromASTUntyped(given.value, variables);
    else if (definition.defaultValue !== undefined) values[definition.name] = definition.defaultValue;
  }
  return values;
}

/** A fragment's measure, computed at its first spread and reused at every other (0 for an unknown or cyclic one). */
function once(memo: Map<string, number>, name: string, fragments: ReadonlyMap<string, FragmentDefinitionNode>, measure: (fragment: FragmentDefinitionNode) => number): number {
  const known = memo.get(name);
  if (known !== undefined) return known;
  const fragment = fragments.get(name);
  if (!fragment) return 0;
  memo.set(name, 0); // cycles are refused by validation; this only stops recursion
  const value = measure(fragment);
  memo.set(name, value);
  return value;
}
