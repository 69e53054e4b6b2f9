import type { Logger } from 'pino';
import { DeliveryStatus, outboxCursorKey, type GatewayStore, type Leadership, type NewDelivery, type WebhookDelivery } from '../../store/index.ts';
import { globMatches } from '../../workflows/policy.ts';
import { eventJson, toRegistryEvent, type RegistryEvent, type RegistryEventType } from '../event.ts';
import { WEBHOOK_HEADERS, signWebhook } from './signature.ts';

/** A configured webhook with its secret read from the environment. */
export interface Webhook {
  id: string;
  url: string;
  events: RegistryEventType[];
  registries: string[];
  models: string[];
  secret: string;
  timeoutMs: number;
  maxAttempts: number;
  backoffMs: number;
  maxBackoffMs: number;
}

export interface DispatcherOptions {
  /** How often the outbox is read when nothing wakes it (retries fall due). */
  intervalMs: number;
  /** Requests in flight at once (each to a different webhook and model). */
  concurrency: number;
  log: Logger;
}

const AUDIT_BATCH = 500;
const LEAD_ROLE = 'webhook-outbox';

export const webhookHears = (webhook: Webhook, event: RegistryEvent) =>
  (webhook.events.length === 0 || webhook.events.includes(event.type)) &&
  webhook.registries.some((glob) => globMatches(glob, event.registry)) &&
  webhook.models.some((glob) => globMatches(glob, event.model));

/** The delay before attempt `attempts + 1`: doubling from backoffMs, capped. */
export const backoff = (webhook: Pick<Webhook, 'backoffMs' | 'maxBackoffMs'>, attempts: number) =>
  Math.min(webhook.backoffMs * 2 ** Math.max(0, attempts - 1), webhook.maxBackoffMs);

/**
 * Moves events from the audit log into the outbox (a cursor per webhook, in the same
 * transaction as the rows) and sends what is due: at least once, in seq order per webhook
 * and model (a model's next delivery waits until the one before it is delivered or dead),
 * with exponential backoff, dead-lettered after maxAttempts. One process at a time does this
 * (an advisory lock on PostgreSQL); the others stand by.
 */
export class WebhookDispatcher {
  private readonly byId: Map<string, Webhook>;
  private lease: Leadership | null = null;
  /** When this process last asked for the role; a standby asks once per interval, not on every event. */
  private askedAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private readonly shutdown = new AbortController();

  constructor(
    private readonly store: GatewayStore,
    webhooks: Webhook[],
    private readonly options: DispatcherOptions,
  ) {
    this.byId = new Map(webhooks.map((w) => [w.id, w]));
  }

  ids(): string[] {
    return [...this.byId.keys()];
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  start(): void {
    if (this.byId.size === 0) return;
    this.schedule(0);
  }

  /** Runs a pass soon (new events, a redelivery); passes never overlap. */
  wake(): void {
    if (this.stopped || this.byId.size === 0) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.pass().finally(() => {
        this.running = null;
        this.schedule(this.again ? 0 : this.options.intervalMs);
        this.again = false;
      });
    }, ms);
  }

  private async pass(): Promise<void> {
    try {
      if (!this.lease?.held) {
        await this.lease?.release();
        this.lease = null;
        if (Date.now() - this.askedAt < this.options.intervalMs) return;
        this.askedAt = Date.now();
        this.lease = await this.store.tryLead(LEAD_ROLE);
        if (!this.lease) return;
      }
      await this.enqueue();
      // Each round sends the oldest due delivery of each webhook and model; the next one of a model is due in the next round.
      for (let round = 0; round < 50 && !this.stopped; round++) {
        if (!(await this.sendDue())) break;
      }
    } catch (error) {
      this.options.log.warn({ err: error }, 'webhook outbox pass failed; retrying');
    }
  }

  /** Turns new audit events into outbox rows, per webhook from its cursor; a new webhook starts at the current head. */
  private async enqueue(): Promise<void> {
    for (const webhook of this.byId.values()) {
      const stored = await this.store.getState(outboxCursorKey(webhook.id));
      let cursor = stored === null ? ((await this.store.auditHead())?.seq ?? 0) : Number(stored);
      if (stored === null) await this.store.enqueueDeliveries(webhook.id, [], cursor);
      for (;;) {
        const batch = await this.store.listAudit({ after: cursor, limit: AUDIT_BATCH });
        if (batch.length === 0) break;
        const deliveries: NewDelivery[] = [];
        for (const audit of batch) {
          const event = toRegistryEvent(audit);
          if (event && webhookHears(webhook, event)) {
            deliveries.push({ webhook: webhook.id, seq: event.seq, eventId: event.id, type: event.type, registry: event.registry, model: event.model, payload: eventJson(event) });
          }
        }
        cursor = batch.at(-1)!.seq;
        await this.store.enqueueDeliveries(webhook.id, deliveries, cursor);
        if (batch.length < AUDIT_BATCH) break;
      }
    }
  }

  /** Sends every due delivery once; true when some succeeded (their successors may be due now). */
  private async sendDue(): Promise<boolean> {
    const due = await this.store.dueDeliveries(new Date(), this.options.concurrency * 4);
    let delivered = false;
    for (let i = 0; i < due.length; i += this.options.concurrency) {
      const outcomes = await Promise.all(due.slice(i, i + this.options.concurrency).map((d) => this.attempt(d)));
      delivered ||= outcomes.some(Boolean);
      if (this.stopped) break;
    }
    return delivered;
  }

  private async attempt(delivery: WebhookDelivery): Promise<boolean> {
    const webhook = this.byId.get(delivery.webhook);
    const now = new Date();
    if (!webhook) {
      await this.store.recordAttempt(delivery.id, { ...delivery, status: DeliveryStatus.DEAD, lastError: 'the webhook is no longer configured', deliveredAt: null });
      return false;
    }
    const result = await send(webhook, delivery, this.shutdown.signal);
    // An attempt cut short by shutdown is not counted: the delivery is sent again after the restart.
    if (this.shutdown.signal.aborted && !result.ok) return false;
    const attempts = delivery.attempts + 1;
    if (result.ok) {
      await this.store.recordAttempt(delivery.id, { status: DeliveryStatus.DELIVERED, attempts, nextAttemptAt: now, lastError: null, lastStatus: result.status, deliveredAt: new Date() });
      return true;
    }
    const dead = attempts >= webhook.maxAttempts;
    await this.store.recordAttempt(delivery.id, {
      status: dead ? DeliveryStatus.DEAD : DeliveryStatus.PENDING,
      attempts,
      nextAttemptAt: new Date(Date.now() + (dead ? 0 : backoff(webhook, attempts))),
      lastError: result.error,
      lastStatus: result.status,
      deliveredAt: null,
    });
    this.options.log[dead ? 'error' : 'warn'](
      { webhook: webhook.id, delivery: delivery.id, attempts, status: result.status, error: result.error },
      dead ? 'webhook delivery dead-lettered' : 'webhook delivery failed; will retry',
    );
    return false;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.shutdown.abort();
    await this.running;
    await this.lease?.release();
  }
}

/** One signed POST; 2xx is delivered, anything else (redirects included) is a failure. */
async function send(webhook: Webhook, delivery: WebhookDelivery, shutdown: AbortSignal): Promise<{ ok: boolean; status: number | null; error: string | null }> {
  const timestamp = String(Math.floor(Date.now() / 1000));
  try {
    const response = await fetch(webhook.url, {
      method: 'POST',
      redirect: 'manual',
      signal: AbortSignal.any([AbortSignal.timeout(webhook.timeoutMs), shutdown]),
      headers: {
        'content-type': 'application/json',
        'user-agent': 'modelgate-webhooks',
        [WEBHOOK_HEADERS.eventId]: delivery.eventId,
        [WEBHOOK_HEADERS.eventType]: delivery.type,
        [WEBHOOK_HEADERS.delivery]: delivery.id,
        [WEBHOOK_HEADERS.timestamp]: timestamp,
        [WEBHOOK_HEADERS.signature]: `v1=${signWebhook(webhook.secret, timestamp, delivery.payload)}`,
      },
      body: delivery.payload,
    });
    // The body is not read: a receiver cannot hold the dispatcher with an endless answer.
    await response.body?.cancel().catch(() => undefined);
    if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status, error: null };
    return { ok: false, status: response.status, error: `HTTP ${response.status}` };
  } catch (error) {
    return { ok: false, status: null, error: describe(error, webhook.timeoutMs) };
  }
}

function describe(error: unknown, timeoutMs: number): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  if (e.name === 'AbortError') return 'aborted by shutdown';
  return e.cause?.code ? `connection failed (${e.cause.code})` : (e.cause?.message ?? e.message ?? 'request failed');
}
