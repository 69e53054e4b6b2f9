import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export interface StreamedEvent {
  seq: number;
  id: string;
  type: string;
  registry: string;
  model: string;
  version: string | null;
  before: unknown;
  after: unknown;
  principal: string;
  at: string;
}

export const EVENT_FIELDS = 'seq id type registry model version before after principal at';
export const EVENTS_SUBSCRIPTION = `subscription Events($registry: String, $name: String, $types: [RegistryEventType!], $after: Int) {
  registryEvents(registry: $registry, name: $name, types: $types, after: $after) { ${EVENT_FIELDS} }
}`;

/** A graphql-ws client on the gateway's /graphql, credentials in connection_init. */
export function wsClient(httpUrl: string, options: { key?: string; onClose?: (code: number) => void } = {}): Client {
  return createClient({
    url: httpUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
    connectionParams: options.key ? { authorization: `Bearer ${options.key}` } : {},
    on: { closed: (event) => options.onClose?.((event as { code: number }).code) },
  });
}

/** A running subscription: what arrived so far, and a way to wait until some have. */
export interface Stream {
  events: StreamedEvent[];
  errors: unknown[];
  completed: boolean;
  /** Resolves once `count` events arrived (or rejects on an error, or after `ms`). */
  until(count: number, ms?: number): Promise<StreamedEvent[]>;
  stop(): void;
}

export function subscribe(client: Client, variables: Record<string, unknown> = {}, query = EVENTS_SUBSCRIPTION): Stream {
  const stream: Stream = {
    events: [],
    errors: [],
    completed: false,
    until: (count, ms = 20_000) =>
      new Promise((resolve, reject) => {
        const started = Date.now();
        const check = () => {
          if (stream.events.length >= count) return resolve(stream.events.slice(0, count));
          if (stream.errors.length) return reject(new Error(`subscription failed: ${JSON.stringify(stream.errors)}`));
          if (Date.now() - started > ms) return reject(new Error(`only ${stream.events.length} of ${count} events after ${ms} ms: ${JSON.stringify(stream.events.map((e) => [e.seq, e.type, e.model]))}`));
          setTimeout(check, 20);
        };
        check();
      }),
    stop: () => undefined,
  };
  stream.stop = client.subscribe<{ registryEvents: StreamedEvent }>(
    { query, variables },
    {
      next: (result) => {
        if (result.errors) stream.errors.push(...result.errors);
        else if (result.data) stream.events.push(result.data.registryEvents);
      },
      error: (error) => stream.errors.push(error),
      complete: () => (stream.completed = true),
    },
  );
  return stream;
}

/** The first error a subscription ends with (graphql-ws hands GraphQL errors over as an array). */
export async function subscriptionError(client: Client, variables: Record<string, unknown>, query = EVENTS_SUBSCRIPTION): Promise<{ message: string; extensions?: Record<string, unknown> }> {
  const stream = subscribe(client, variables, query);
  const started = Date.now();
  while (!stream.errors.length && Date.now() - started < 20_000) await new Promise((r) => setTimeout(r, 20));
  stream.stop();
  const first = stream.errors[0];
  if (!first) throw new Error('the subscription did not fail');
  return (Array.isArray(first) ? first[0] : first) as { message: string; extensions?: Record<string, unknown> };
}
