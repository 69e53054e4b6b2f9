import { describe, expect, it } from 'vitest';
import { AuditFeed } from '../../src/events/audit-feed.ts';
import { EventFollower } from '../../src/events/follow.ts';
import { SqliteStore, type NewAuditEvent } from '../../src/store/index.ts';

const registered = (model: string, version: number): NewAuditEvent => ({
  principal: 'p', action: 'registerVersion', registry: 'local', model, version: null, before: null, after: { version: String(version) }, result: 'OK', detail: null,
});
const refused: NewAuditEvent = { principal: 'p', action: 'registerVersion', registry: 'local', model: 'M', version: null, before: null, after: null, result: 'FORBIDDEN', detail: null };

describe('a follower of the audit log', () => {
  it('a reader slower than the events keeps bounded memory and still gets every event once, in order', async () => {
    const store = new SqliteStore(':memory:');
    const feed = new AuditFeed(store);
    await feed.start();
    const follower = new EventFollower(feed, store, { after: null, accept: (e) => e.model === 'M', maxBuffer: 5 });
    // 60 appends (every third refused, so no event; others on another model) before the reader reads anything.
    const expected: number[] = [];
    for (let i = 1; i <= 60; i++) {
      const appended = await store.appendAudit(i % 3 === 0 ? refused : registered(i % 5 === 0 ? 'Other' : 'M', i));
      if (i % 3 !== 0 && i % 5 !== 0) expected.push(appended.seq);
    }
    await feed.wake();
    const buffered = (follower as unknown as { live: unknown[] }).live.length;
    expect(buffered).toBeLessThanOrEqual(5);
    const got: number[] = [];
    while (got.length < expected.length) got.push((await follower.next()).value.seq);
    expect(got).toEqual(expected);
    // Live again afterwards: the next event arrives once.
    const next = follower.next();
    const appended = await store.appendAudit(registered('M', 61));
    expect((await next).value.seq).toBe(appended.seq);
    await follower.return();
    expect(feed.listenerCount).toBe(0);
    await feed.stop();
    await store.close();
  });

  it('a follower that is closed while waiting ends at once and leaves no listener', async () => {
    const store = new SqliteStore(':memory:');
    const feed = new AuditFeed(store);
    await feed.start();
    const follower = new EventFollower(feed, store, { after: 0, accept: () => true });
    const pending = follower.next();
    await new Promise((r) => setTimeout(r, 50));
    await follower.return();
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(feed.listenerCount).toBe(0);
    await feed.stop();
    await store.close();
  });
});
