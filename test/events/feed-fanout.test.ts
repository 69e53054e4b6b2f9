import { describe, expect, it } from 'vitest';
import { AuditFeed, LISTENERS_PER_TURN } from '../../src/events/audit-feed.ts';
import { EventFollower } from '../../src/events/follow.ts';
import { SqliteStore, type NewAuditEvent } from '../../src/store/index.ts';

const registered = (model: string, version: number): NewAuditEvent => ({
  principal: 'p', action: 'registerVersion', registry: 'local', model, version: null, before: null, after: { version: String(version) }, result: 'OK', detail: null,
});

const SUBSCRIBERS = LISTENERS_PER_TURN * 4 + 7;

describe('the audit feed fanning an event out to many followers', () => {
  it('the first followers deliver before the last ones are handed the event (no breadth-first wait for all)', async () => {
    const store = new SqliteStore(':memory:');
    const feed = new AuditFeed(store);
    await feed.start();
    // Each follower's delivery is a chain of awaits, as graphql-ws's is; the log records when each one is handed and delivers.
    const log: string[] = [];
    const followers = Array.from({ length: SUBSCRIBERS }, (_, i) => {
      const follower = new EventFollower(feed, store, { after: null, accept: () => (log.push(`handed ${i}`), true) });
      void (async () => {
        const step = await follower.next();
        await Promise.resolve();
        await Promise.resolve();
        if (!step.done) log.push(`delivered ${i}`);
      })();
      return follower;
    });
    await store.appendAudit(registered('M', 1));
    await feed.wake();
    await new Promise((r) => setImmediate(r));
    expect(log.filter((l) => l.startsWith('delivered')).length).toBe(SUBSCRIBERS);
    // Without slicing, every follower is handed the event before the first one delivers it.
    expect(log.indexOf('delivered 0')).toBeLessThan(log.indexOf(`handed ${SUBSCRIBERS - 1}`));
    for (const follower of followers) await follower.return();
    await feed.stop();
    await store.close();
  });

  it('events appended while one is being handed out reach every follower once, in order; one that joins meanwhile starts after it', async () => {
    const store = new SqliteStore(':memory:');
    const feed = new AuditFeed(store);
    await feed.start();
    const seen: number[][] = Array.from({ length: SUBSCRIBERS }, () => []);
    let late: EventFollower | null = null;
    const followers = seen.map(
      (got, i) =>
        new EventFollower(feed, store, {
          after: null,
          accept: (event) => {
            // Halfway through handing out the first event: two more appends, and a follower that joins at the live head.
            if (i === SUBSCRIBERS >> 1 && event.model === 'M' && event.after && (event.after as { version: string }).version === '1' && !late) {
              late = new EventFollower(feed, store, { after: null, accept: () => true });
              void store.appendAudit(registered('M', 2)).then(() => store.appendAudit(registered('M', 3)));
            }
            return true;
          },
        }),
    );
    const first = await store.appendAudit(registered('M', 1));
    await feed.wake();
    await feed.wake();
    const all = [first.seq, first.seq + 1, first.seq + 2];
    await Promise.all(followers.map(async (follower, i) => {
      for (let n = 0; n < all.length; n++) seen[i]!.push((await follower.next()).value.seq);
    }));
    for (const got of seen) expect(got).toEqual(all);
    // The late follower joined at the head (the first event): it gets the two after it, not the first again.
    const lateFollower = late as unknown as EventFollower;
    expect((await lateFollower.next()).value.seq).toBe(first.seq + 1);
    expect((await lateFollower.next()).value.seq).toBe(first.seq + 2);
    for (const follower of [...followers, lateFollower]) await follower.return();
    expect(feed.listenerCount).toBe(0);
    await feed.stop();
    await store.close();
  });
});
