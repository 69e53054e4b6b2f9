import type { AuditEvent, GatewayStore } from '../store/index.ts';
import { toRegistryEvent, type RegistryEvent } from './event.ts';

/** Audit events read from the store per catch-up query. */
const READ_BATCH = 500;
/**
 * Listeners handed an event per turn of the event loop. Each listener's delivery is a chain of
 * promise hops; handed all at once, a thousand chains advance breadth-first and the first socket
 * write waits for most of the fan-out's work. A turn per slice lets a slice's writes go out first.
 */
export const LISTENERS_PER_TURN = 50;
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export type FeedListener = (audit: AuditEvent, event: RegistryEvent | null) => void;

/**
 * This process's one reader of the audit log's tail. Woken by the store after every committed
 * append (here, and from other processes over PostgreSQL NOTIFY), it reads what is new once and
 * hands every event, in seq order and without gaps, to each listener: a thousand subscribers
 * cost one query per wake-up, not a thousand.
 */
export class AuditFeed {
  private readonly listeners = new Set<FeedListener>();
  private seq = 0;
  private reading: Promise<void> | null = null;
  private again = false;
  private unlisten: (() => Promise<void>) | null = null;
  private stopped = false;

  constructor(
    private readonly store: GatewayStore,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {}

  async start(): Promise<void> {
    this.seq = (await this.store.auditHead())?.seq ?? 0;
    this.unlisten = await this.store.onAudit(() => this.wake());
    // What another process appended before the LISTEN session was up woke nobody: read it now.
    await this.wake();
  }

  /** The last seq handed to listeners: a new listener gets everything after it. */
  get head(): number {
    return this.seq;
  }

  listen(listener: FeedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  /** Reads the new tail now (coalescing wake-ups that arrive while a read runs); resolves once it is handed out. */
  wake(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.reading) {
      this.again = true;
      return this.reading;
    }
    this.reading = this.drain().finally(() => (this.reading = null));
    return this.reading;
  }

  private async drain(): Promise<void> {
    do {
      this.again = false;
      try {
        for (;;) {
          const batch = await this.store.listAudit({ after: this.seq, limit: READ_BATCH });
          for (const audit of batch) {
            this.seq = audit.seq;
            const event = toRegistryEvent(audit);
            let handed = 0;
            for (const listener of this.listeners) {
              // A slice per turn; a listener added meanwhile is handed this event too and skips it by its seq.
              if (event && ++handed % LISTENERS_PER_TURN === 0) await nextTurn();
              listener(audit, event);
            }
          }
          if (batch.length < READ_BATCH || this.stopped) break;
        }
      } catch (error) {
        // The next wake-up (or the next append) reads from the same seq: nothing is skipped.
        this.onError(error);
      }
    } while (this.again && !this.stopped);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.unlisten?.();
    await this.reading;
    this.listeners.clear();
  }
}
