import { createHash } from 'node:crypto';
import type { DocumentNode, ExecutionArgs, ExecutionResult, GraphQLError } from 'graphql';

type GraphQLModule = typeof import('graphql');

/** Executed events kept per group (the newest); a subscriber further behind executes its event itself. */
const RESULTS_KEPT_PER_GROUP = 4;
/** Parsed and validated subscription documents kept per query text (a reconnecting fleet sends a handful of texts). */
const DOCUMENTS_KEPT = 64;
/** Only texts this short are kept: real subscriptions are small, and 64 huge documents would be a lot of memory. */
const DOCUMENT_KEPT_MAX_CHARS = 8_192;

/** The parts of a subscription that decide what an event executes to; subscribers alike in all of them share results. */
export interface SubscriptionGroup {
  principal: { id: string; grants: unknown };
  query: string;
  operationName: string | null | undefined;
  variables: Record<string, unknown>;
}

/** One key per group: subscribers with the same principal and grants, document, operation and variables. */
export const groupKey = (group: SubscriptionGroup): string =>
  createHash('sha256').update(JSON.stringify([group.principal.id, group.principal.grants, group.operationName ?? null, group.query, group.variables])).digest('base64');

/**
 * Executes each subscription event once per group instead of once per subscriber. Which events a
 * subscriber receives is still decided per subscriber by its own source stream (grants, filters,
 * `after`); only the execution of an event it receives is shared, keyed by the group and the event's
 * identity (an audit event's hash: immutable), so the result is the one its own execution would give.
 */
export class SharedExecution {
  /** Per live group: how many streams it has and its newest results; a group goes with its last stream. */
  private readonly live = new Map<string, { streams: number; results: Map<string, ExecutionResult | Promise<ExecutionResult>> }>();
  private readonly groups = new WeakMap<object, string>();
  private readonly documents = new Map<string, { document: DocumentNode; errors: readonly GraphQLError[] }>();

  constructor(
    private readonly graphql: GraphQLModule,
    /** An event's identity, or null when it has none (then it is executed per subscriber). */
    private readonly eventKey: (event: unknown) => string | null,
  ) {}

  /** Parses and validates a query text once; `parse` may throw (a syntax error, too many tokens). */
  document(query: string, parseAndValidate: () => { document: DocumentNode; errors: readonly GraphQLError[] }) {
    let known = this.documents.get(query);
    if (!known) {
      known = parseAndValidate();
      if (query.length > DOCUMENT_KEPT_MAX_CHARS) return known;
      this.documents.set(query, known);
      if (this.documents.size > DOCUMENTS_KEPT) this.documents.delete(this.documents.keys().next().value!);
    }
    return known;
  }

  /** Ties a subscription's context to its group; `subscribe` reads it from there. */
  join(contextValue: object, group: SubscriptionGroup): void {
    this.groups.set(contextValue, groupKey(group));
  }

  /** graphql's subscribe, with each event's execution looked up before it is run. */
  async subscribe(args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
    const source = await this.graphql.createSourceEventStream(args);
    if (!(Symbol.asyncIterator in source)) return source as ExecutionResult;
    const events = (source as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    const key = this.groups.get(args.contextValue as object);
    const group = key === undefined ? null : this.enter(key);
    let left = false;
    const leave = () => {
      if (left || key === undefined) return;
      left = true;
      if (--group!.streams === 0) this.live.delete(key);
    };
    const stop = async () => {
      leave();
      await events.return?.();
      return { done: true, value: undefined } as const;
    };
    const stream: AsyncIterableIterator<ExecutionResult> = {
      [Symbol.asyncIterator]: () => stream,
      // Chained rather than awaited twice: one promise hop less per subscriber per event, the fan-out's hot path.
      next: () =>
        events.next().then((step): IteratorResult<ExecutionResult> | Promise<IteratorResult<ExecutionResult>> => {
          if (step.done) {
            leave();
            return { done: true, value: undefined };
          }
          const result = this.execute(args, group?.results ?? null, step.value);
          return result instanceof Promise ? result.then((value) => ({ done: false, value })) : { done: false, value: result };
        }),
      return: stop,
      throw: async (error: unknown) => {
        await stop();
        throw error;
      },
    };
    return stream;
  }

  private enter(key: string) {
    let group = this.live.get(key);
    if (!group) this.live.set(key, (group = { streams: 0, results: new Map() }));
    group.streams++;
    return group;
  }

  /** Live groups, for tests: each holds at most a few results, and goes when its last stream ends. */
  get groupCount(): number {
    return this.live.size;
  }

  private execute(args: ExecutionArgs, results: Map<string, ExecutionResult | Promise<ExecutionResult>> | null, event: unknown): ExecutionResult | Promise<ExecutionResult> {
    const id = results === null ? null : this.eventKey(event);
    if (id === null) return this.graphql.execute({ ...args, rootValue: event });
    let result = results!.get(id);
    if (result === undefined) {
      result = this.graphql.execute({ ...args, rootValue: event });
      results!.set(id, result);
      if (results!.size > RESULTS_KEPT_PER_GROUP) results!.delete(results!.keys().next().value!);
    }
    return result;
  }
}
