import { InvalidArgumentError } from 'commander';
import { EXIT } from './exit.ts';

export const EVENT_TYPES = [
  'VERSION_REGISTERED', 'STAGE_CHANGED', 'ALIAS_CHANGED', 'TAGS_CHANGED', 'APPROVAL_REQUESTED', 'APPROVAL_DECIDED', 'ROLLED_BACK', 'DEGRADATION_DETECTED', 'EXTERNAL_CHANGE',
] as const;

/** `--types stage_changed,external_change`: any case, comma-separated. */
export function eventTypes(text: string): string[] {
  return text.split(',').map((raw) => {
    const type = raw.trim().toUpperCase();
    if (!(EVENT_TYPES as readonly string[]).includes(type)) throw new InvalidArgumentError(`An event type must be one of ${EVENT_TYPES.join(', ')} (any case), not '${raw.trim()}'.`);
    return type;
  });
}

export function afterSeq(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`--after takes a seq (a whole number, 0 for the whole log), not '${text}'.`);
  return n;
}

interface TailOptions {
  url: string;
  token?: string;
  registry?: string;
  model?: string;
  types?: string[];
  after?: number;
  json: boolean;
  print(text: string): void;
  note(text: string): void;
  /** Resolves when the tail should stop (SIGINT); tests pass their own. */
  until: Promise<void>;
}

interface TailedEvent {
  seq: number;
  type: string;
  registry: string;
  model: string;
  version: string | null;
  principal: string;
  at: string;
  before: unknown;
  after: unknown;
  detail: string | null;
  id: string;
}

const QUERY = `subscription Tail($registry: String, $name: String, $types: [RegistryEventType!], $after: Int) {
  registryEvents(registry: $registry, name: $name, types: $types, after: $after) { id seq type registry model version principal at before after detail }
}`;

/**
 * Follows the gateway's event stream until stopped. A dropped connection is retried, resuming
 * after the last seq printed, so nothing is missed or printed twice.
 */
export async function tail(o: TailOptions): Promise<number> {
  // The WebSocket client loads only for `events tail`: every other command starts without it.
  const [{ createClient }, { default: WebSocket }] = await Promise.all([import('graphql-ws'), import('ws')]);
  let last = o.after ?? null;
  let failure: { message: string; code?: string } | null = null;
  const client = createClient({
    url: o.url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: o.token ? { authorization: `Bearer ${o.token}` } : {},
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: (event) => (event as { code?: number }).code !== 4403,
    on: { closed: (event) => (event as { code?: number }).code === 4403 && (failure = { message: 'The gateway refused the credentials (connection_init)', code: 'UNAUTHENTICATED' }) },
  });
  const stopped = new Promise<void>((resolve) => {
    const subscribe = () => {
      const dispose = client.subscribe<{ registryEvents: TailedEvent }>(
        { query: QUERY, variables: { registry: o.registry ?? null, name: o.model ?? null, types: o.types ?? null, after: last } },
        {
          next: ({ data, errors }) => {
            if (errors?.length) {
              failure = { message: errors[0]!.message, code: errors[0]!.extensions?.code as string | undefined };
              return resolve();
            }
            const event = data!.registryEvents;
            last = event.seq;
            o.print(o.json ? JSON.stringify(event) : line(event));
          },
          error: (error) => {
            const first = Array.isArray(error) ? error[0] : error;
            failure = { message: (first as { message?: string })?.message ?? String(first), code: (first as { extensions?: { code?: string } })?.extensions?.code };
            resolve();
          },
          complete: () => resolve(),
        },
      );
      void o.until.then(() => {
        dispose();
        resolve();
      });
    };
    subscribe();
  });
  await stopped;
  await client.dispose();
  if (failure) {
    const { message, code } = failure as { message: string; code?: string };
    o.note(`modelgate: ${message}${code ? ` (${code})` : ''}`);
    return code === 'UNAUTHENTICATED' ? EXIT.NOT_PERMITTED : code === 'INVALID_INPUT' || code === 'NOT_FOUND' ? EXIT.UNUSABLE : EXIT.FAILED;
  }
  if (last !== null) o.note(`stopped after seq ${last}; resume with --after ${last}`);
  return EXIT.OK;
}

function line(e: TailedEvent): string {
  const change = e.type === 'EXTERNAL_CHANGE' ? ` ${JSON.stringify(e.after)}` : e.type === 'STAGE_CHANGED' ? ` -> ${(e.after as { stage?: string } | null)?.stage ?? ''}` : '';
  return `${String(e.seq).padStart(6)}  ${e.at}  ${e.type.padEnd(20)}  ${e.registry}/${e.model}${e.version ? ` v${e.version}` : ''}  by ${e.principal}${change}`;
}
