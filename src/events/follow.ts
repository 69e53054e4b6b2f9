import type { GatewayStore } from '../store/index.ts';
import type { AuditFeed } from './audit-feed.ts';
import { toRegistryEvent, type RegistryEvent } from './event.ts';

/** Audit events read per page while a follower catches up from the log. */
const PAGE = 200;

export interface FollowOptions {
  /** Resume after this seq (replayed from the log); null starts at the live head. */
  after: number | null;
  /** Which events this follower may and wants to see. */
  accept(event: RegistryEvent): boolean;
  /** Live events held for a slow reader; past this it drops them and re-reads the log from where it was. */
  maxBuffer?: number;
}

/**
 * One subscriber's stream: the log after `after`, then the live feed, in seq order with no gap
 * and no repeat. A reader that falls behind costs bounded memory: its buffer is dropped and it
 * catches up from the log, which still holds everything.
 */
export class EventFollower implements AsyncIterableIterator<RegistryEvent> {
  /** The last seq yielded (or the start). */
  private cursor: number;
  /** The last seq read from the log while catching up. */
  private scanned: number;
  private catchingUp: boolean;
  private readonly ready: RegistryEvent[] = [];
  private live: RegistryEvent[] = [];
  private waiter: (() => void) | null = null;
  private done = false;
  private readonly unlisten: () => void;
  private readonly maxBuffer: number;

  constructor(
    feed: AuditFeed,
    private readonly store: Pick<GatewayStore, 'listAudit'>,
    private readonly options: FollowOptions,
  ) {
    this.maxBuffer = options.maxBuffer ?? 1_000;
    this.cursor = options.after ?? feed.head;
    this.scanned = this.cursor;
    this.catchingUp = options.after !== null;
    this.unlisten = feed.listen((_audit, event) => {
      if (this.done || !event || !options.accept(event)) return;
      if (this.live.length >= this.maxBuffer) {
        // Everything dropped is in the log after what was yielded or already read from it: read it from there.
        this.live = [];
        this.catchingUp = true;
        this.scanned = Math.max(this.scanned, this.cursor);
      } else this.live.push(event);
      this.waiter?.();
    });
  }

  [Symbol.asyncIterator]() {
    return this;
  }

  async next(): Promise<IteratorResult<RegistryEvent>> {
    for (;;) {
      if (this.done) return { done: true, value: undefined };
      const page = this.ready.shift();
      if (page) return this.yielded(page);
      if (this.catchingUp) {
        await this.readPage();
        continue;
      }
      const live = this.live.shift();
      if (live) {
        if (live.seq > Math.max(this.cursor, this.scanned)) return this.yielded(live);
        continue;
      }
      await new Promise<void>((resolve) => (this.waiter = resolve));
      this.waiter = null;
    }
  }

  private yielded(event: RegistryEvent): IteratorResult<RegistryEvent> {
    this.cursor = event.seq;
    return { done: false, value: event };
  }

  private async readPage(): Promise<void> {
    const audits = await this.store.listAudit({ after: this.scanned, limit: PAGE });
    for (const audit of audits) {
      this.scanned = audit.seq;
      const event = toRegistryEvent(audit);
      if (event && this.options.accept(event)) this.ready.push(event);
    }
    if (audits.length < PAGE) this.catchingUp = false;
  }

  async return(): Promise<IteratorResult<RegistryEvent>> {
    this.close();
    return { done: true, value: undefined };
  }

  async throw(error: unknown): Promise<IteratorResult<RegistryEvent>> {
    this.close();
    throw error;
  }

  /** Stops following: the listener goes, a pending next() ends. */
  close(): void {
    if (this.done) return;
    this.done = true;
    this.unlisten();
    this.waiter?.();
  }
}
