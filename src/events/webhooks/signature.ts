import { createHmac, timingSafeEqual } from 'node:crypto';

/** Headers on every webhook request. */
export const WEBHOOK_HEADERS = {
  eventId: 'modelgate-event-id',
  eventType: 'modelgate-event-type',
  delivery: 'modelgate-delivery',
  timestamp: 'modelgate-timestamp',
  signature: 'modelgate-signature',
} as const;

/** HMAC-SHA256 (hex) over `<timestamp>.<body>`, the Stripe convention: the timestamp is signed too, so an old request cannot be replayed as new. */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/** What a receiver checks: the signature header (`v1=<hex>`) matches, and the timestamp is within `toleranceSec` of now. */
export function verifyWebhook(secret: string, headers: { timestamp: string | undefined; signature: string | undefined }, body: string, options: { toleranceSec?: number; now?: number } = {}): boolean {
  const { timestamp, signature } = headers;
  if (!timestamp || !signature || !/^\d{1,12}$/.test(timestamp)) return false;
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  if (Math.abs(now - Number(timestamp)) > (options.toleranceSec ?? 300)) return false;
  const expected = Buffer.from(`v1=${signWebhook(secret, timestamp, body)}`);
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
