import { describe, expect, it } from 'vitest';
import { PooledIdGenerator } from '../../src/server/trace-ids.ts';

describe('trace and span ids from a pool of random hex', () => {
  it('are W3C ids: lower-case hex of 32 and 16 characters, never all zeros, and do not repeat across pool refills', () => {
    const ids = new PooledIdGenerator();
    const traces = Array.from({ length: 5_000 }, () => ids.generateTraceId());
    const spans = Array.from({ length: 5_000 }, () => ids.generateSpanId());
    for (const id of traces) expect(id).toMatch(/^[0-9a-f]{32}$/);
    for (const id of spans) expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect(new Set(traces).size).toBe(traces.length);
    expect(new Set(spans).size).toBe(spans.length);
  });

  it('skips an all-zero id', () => {
    const ids = new PooledIdGenerator();
    // The next 16 characters of the pool are zeros: that id is passed over.
    ids.generateSpanId();
    const pooled = ids as unknown as { pool: string; at: number };
    pooled.pool = pooled.pool.slice(0, pooled.at) + '0'.repeat(16) + pooled.pool.slice(pooled.at + 16);
    expect(ids.generateSpanId()).not.toBe('0'.repeat(16));
    expect(pooled.at).toBe(48);
  });
});
