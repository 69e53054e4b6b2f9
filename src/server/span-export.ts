import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Attributes, Link } from '@opentelemetry/api';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { TracingProtocol } from './tracing.ts';

/**
 * Ended spans cross to the export thread as one flat array per hand-over, each span as these
 * fields in this order and then its attributes (their count, then key, value, key, value…). A
 * structured clone of strings and numbers in one array costs the request thread about a third of
 * what an array per span with its attributes object costs (measured with callgrind); a span object
 * itself cannot cross. Events and links, which modelgate does not record, cross as objects.
 */
const FIELDS = [
  'traceId',
  'spanId',
  'traceFlags',
  'traceState',
  'parentSpanId',
  'parentIsRemote',
  'name',
  'kind',
  'startSeconds',
  'startNanos',
  'endSeconds',
  'endNanos',
  'droppedAttributesCount',
  'statusCode',
  'statusMessage',
  'events',
  'droppedEventsCount',
  'links',
  'droppedLinksCount',
] as const;

type PlainLink = { traceId: string; spanId: string; traceFlags: number; traceState: string | undefined; isRemote: boolean; attributes: Attributes | undefined; droppedAttributesCount: number };

/** Messages to the export thread. */
type ToExporter = { spans: unknown[]; count: number } | { flush: number } | { shutdown: number };
/** Messages back: the exporter loaded, spans whose export ended (sent or failed), a flush or shutdown done. */
type FromExporter = { ready: true } | { finished: number } | { done: number };

export interface ExportThreadOptions {
  /** The OTLP/HTTP traces URL. */
  url: string;
  protocol: TracingProtocol;
  /** The resource every span is exported with (service name and version, OTEL_RESOURCE_ATTRIBUTES). */
  resource: Attributes;
  scope: { name: string; version: string };
  /** The export thread's environment: OTEL_BSP_*, OTEL_EXPORTER_OTLP_* (headers, timeout, compression). */
  env: Record<string, string | undefined>;
  /** OTEL_BSP_MAX_QUEUE_SIZE: past this many spans ended and not yet exported, new ones are dropped, as the batch queue drops them. */
  maxQueueSize: number;
}

/** Ended spans are handed over in groups this size, or when the first of a group is this old (ms): each postMessage costs the request thread ~20 µs and wakes the export thread. */
const HAND_OVER_SPANS = 128;
const HAND_OVER_MS = 50;

/**
 * A SpanProcessor that hands every sampled ended span to a worker thread, where the SDK's own
 * BatchSpanProcessor and OTLP exporter batch, encode and post them. The request thread keeps no
 * span past its end (they die young instead of waiting in the batch queue into the old
 * generation) and never encodes protobuf or writes an export; what it pays is copying a span's
 * fields into an array and one postMessage per 128 spans (or 50 ms). The queue bound (OTEL_BSP_MAX_QUEUE_SIZE)
 * holds over both threads: a span counts against it from its end until its export has succeeded or
 * failed, so no more are kept than one BatchSpanProcessor would keep.
 */
export class ExportThreadProcessor implements SpanProcessor {
  private readonly worker: Worker;
  /** Ended spans not yet handed over, laid out as FIELDS says. */
  private pending: unknown[] = [];
  private pendingSpans = 0;
  /** Handed over and neither exported nor failed yet: in transit, in the export thread's queue or in its export. */
  private handedOver = 0;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private nextCall = 1;
  private readonly waiting = new Map<number, () => void>();

  constructor(private readonly options: ExportThreadOptions) {
    const require = createRequire(import.meta.url);
    const modules = {
      sdk: require.resolve('@opentelemetry/sdk-trace-base'),
      resources: require.resolve('@opentelemetry/resources'),
      exporter: require.resolve(options.protocol === 'http/json' ? '@opentelemetry/exporter-trace-otlp-http' : '@opentelemetry/exporter-trace-otlp-proto'),
    };
    const env = Object.fromEntries(Object.entries(options.env).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
    this.worker = new Worker(EXPORT_THREAD, {
      eval: true,
      env,
      workerData: { modules, url: options.url, resource: options.resource, scope: options.scope },
    });
    // Never what keeps the process alive; flush and shutdown hold it while they wait.
    this.worker.unref();
    this.worker.on('message', (message: FromExporter) => {
      if ('finished' in message) this.handedOver -= message.finished;
      else if ('done' in message) this.settle(message.done);
    });
    // A dead export thread costs spans, never a request: from then on spans are dropped, and it is said once.
    this.worker.on('error', (error) => {
      if (!this.stopped) process.emitWarning(`tracing: the span export thread failed (${error.message}); spans are dropped from now on`);
      this.die();
    });
    this.worker.on('exit', () => this.die());
  }

  /** Resolves once the export thread has loaded the exporter (a start that cannot load it fails here, not later). */
  ready(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onMessage = (message: FromExporter) => {
        if (!('ready' in message)) return;
        this.worker.off('error', onError);
        this.worker.off('message', onMessage);
        resolve();
      };
      const onError = (error: Error) => {
        this.worker.off('message', onMessage);
        reject(error);
      };
      this.worker.on('message', onMessage);
      this.worker.once('error', onError);
    });
  }

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    if (this.stopped) return;
    const context = span.spanContext();
    if ((context.traceFlags & 1) === 0) return;
    if (this.handedOver + this.pendingSpans >= this.options.maxQueueSize) return;
    const parent = span.parentSpanContext;
    const status = span.status;
    const attributes = span.attributes;
    const keys = Object.keys(attributes);
    // In FIELDS' order.
    this.pending.push(
      context.traceId,
      context.spanId,
      context.traceFlags,
      context.traceState?.serialize() || undefined,
      parent?.spanId,
      parent?.isRemote === true,
      span.name,
      span.kind,
      span.startTime[0],
      span.startTime[1],
      span.endTime[0],
      span.endTime[1],
      span.droppedAttributesCount,
      status.code,
      status.message,
      span.events.length > 0 ? span.events : undefined,
      span.droppedEventsCount,
      span.links.length > 0 ? span.links.map(plainLink) : undefined,
      span.droppedLinksCount,
      keys.length,
    );
    for (const key of keys) this.pending.push(key, attributes[key]);
    if (++this.pendingSpans >= HAND_OVER_SPANS) this.handOver();
    else this.timer ??= setTimeout(() => this.handOver(), HAND_OVER_MS).unref();
  }

  async forceFlush(): Promise<void> {
    this.handOver();
    await this.call((id) => ({ flush: id }));
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.handOver();
    await this.call((id) => ({ shutdown: id }));
    this.stopped = true;
    await this.worker.terminate();
  }

  private handOver(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.pendingSpans === 0 || this.stopped) return;
    const spans = this.pending;
    const count = this.pendingSpans;
    this.pending = [];
    this.pendingSpans = 0;
    this.handedOver += count;
    this.send({ spans, count });
  }

  private send(message: ToExporter): void {
    this.worker.postMessage(message);
  }

  /** Asks the export thread to flush or shut down and waits until it has (holding the process open meanwhile). */
  private call(message: (id: number) => ToExporter): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const id = this.nextCall++;
    this.worker.ref();
    return new Promise<void>((resolve) => {
      this.waiting.set(id, resolve);
      this.send(message(id));
    });
  }

  private settle(id: number): void {
    this.waiting.get(id)?.();
    this.waiting.delete(id);
    if (this.waiting.size === 0) this.worker.unref();
  }

  private die(): void {
    this.stopped = true;
    this.pending = [];
    this.pendingSpans = 0;
    for (const id of [...this.waiting.keys()]) this.settle(id);
  }
}

function plainLink(link: Link): PlainLink {
  const { traceId, spanId, traceFlags, traceState, isRemote } = link.context;
  return { traceId, spanId, traceFlags, traceState: traceState?.serialize(), isRemote: isRemote === true, attributes: link.attributes, droppedAttributesCount: link.droppedAttributesCount ?? 0 };
}

/**
 * The export thread (CommonJS, run with eval: no file of its own to ship, compile or resolve under
 * tsx and vitest): the SDK's BatchSpanProcessor (OTEL_BSP_* from its environment) in front of the
 * SDK's OTLP/HTTP exporter (OTEL_EXPORTER_OTLP_*), fed with spans rebuilt from the flat arrays. One
 * resource and one scope object for all, as the exporter groups spans by identity.
 */
const EXPORT_THREAD = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
const { BatchSpanProcessor } = require(workerData.modules.sdk);
const { resourceFromAttributes } = require(workerData.modules.resources);
const { OTLPTraceExporter } = require(workerData.modules.exporter);
const resource = resourceFromAttributes(workerData.resource);
const scope = workerData.scope;
const exporter = new OTLPTraceExporter({ url: workerData.url });
// Every span the request thread handed over counts against its queue bound until its export has succeeded or failed.
const finishing = {
  export(spans, done) {
    exporter.export(spans, (result) => {
      parentPort.postMessage({ finished: spans.length });
      done(result);
    });
  },
  shutdown: () => exporter.shutdown(),
  forceFlush: () => exporter.forceFlush(),
};
const processor = new BatchSpanProcessor(finishing);
const FIELDS = ${FIELDS.length};
const stateOf = (text) => (text ? { serialize: () => text } : undefined);
class ExportedSpan {
  // One span from the flat array at r[at…] (FIELDS' order, then the attributes).
  constructor(r, at) {
    this._context = { traceId: r[at], spanId: r[at + 1], traceFlags: r[at + 2], traceState: stateOf(r[at + 3]), isRemote: false };
    this.parentSpanContext = r[at + 4] ? { traceId: r[at], spanId: r[at + 4], traceFlags: r[at + 2], isRemote: r[at + 5] } : undefined;
    this.name = r[at + 6];
    this.kind = r[at + 7];
    this.startTime = [r[at + 8], r[at + 9]];
    this.endTime = [r[at + 10], r[at + 11]];
    this.droppedAttributesCount = r[at + 12];
    this.status = r[at + 14] === undefined ? { code: r[at + 13] } : { code: r[at + 13], message: r[at + 14] };
    this.events = r[at + 15] || [];
    this.droppedEventsCount = r[at + 16];
    this.links = (r[at + 17] || []).map((l) => ({ context: { traceId: l.traceId, spanId: l.spanId, traceFlags: l.traceFlags, traceState: stateOf(l.traceState), isRemote: l.isRemote }, attributes: l.attributes, droppedAttributesCount: l.droppedAttributesCount }));
    this.droppedLinksCount = r[at + 18];
    const attributes = {};
    let next = at + FIELDS + 1;
    for (let left = r[at + FIELDS]; left > 0; left--, next += 2) attributes[r[next]] = r[next + 1];
    this.attributes = attributes;
    this.next = next;
    this.resource = resource;
    this.instrumentationScope = scope;
    this.ended = true;
  }
  spanContext() { return this._context; }
  get duration() {
    const ns = (this.endTime[0] - this.startTime[0]) * 1e9 + (this.endTime[1] - this.startTime[1]);
    return [Math.floor(ns / 1e9), ns % 1e9];
  }
}
parentPort.on('message', (message) => {
  if (message.spans) {
    for (let i = 0, at = 0; i < message.count; i++) {
      const span = new ExportedSpan(message.spans, at);
      at = span.next;
      processor.onEnd(span);
    }
  } else if (message.flush) {
    processor.forceFlush().catch(() => undefined).then(() => parentPort.postMessage({ done: message.flush }));
  } else if (message.shutdown) {
    processor.shutdown().catch(() => undefined).then(() => parentPort.postMessage({ done: message.shutdown }));
  }
});
parentPort.postMessage({ ready: true });
`;
