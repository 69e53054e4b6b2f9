import { randomFillSync } from 'node:crypto';
import type { IdGenerator } from '@opentelemetry/sdk-trace-base';

const POOL_BYTES = 4096;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/**
 * Trace and span ids cut from a pool of random hex (crypto.randomFillSync, 4 KiB a refill). The
 * SDK's generator calls Math.random two or four times and converts a buffer to hex for every id,
 * twice per span; this is one substring. W3C forbids all-zero ids, so one is never handed out.
 */
export class PooledIdGenerator implements IdGenerator {
  private pool = '';
  private at = 0;
  private readonly bytes = Buffer.allocUnsafe(POOL_BYTES);

  generateTraceId(): string {
    const id = this.next(32);
    return id === ZERO_TRACE ? this.generateTraceId() : id;
  }

  generateSpanId(): string {
    const id = this.next(16);
    return id === ZERO_SPAN ? this.generateSpanId() : id;
  }

  private next(chars: number): string {
    if (this.at + chars > this.pool.length) {
      this.pool = randomFillSync(this.bytes).toString('hex');
      this.at = 0;
    }
    return this.pool.slice(this.at, (this.at += chars));
  }
}
