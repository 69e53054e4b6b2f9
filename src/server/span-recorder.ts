import {
  INVALID_SPAN_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  context as contexts,
  diag,
  isSpanContextValid,
  trace,
  type Attributes,
  type AttributeValue,
  type Context,
  type Exception,
  type HrTime,
  type Link,
  type Span,
  type SpanContext,
  type SpanOptions,
  type SpanStatus,
  type TimeInput,
  type Tracer,
} from '@opentelemetry/api';
import { addHrTimes, hrTimeDuration, isAttributeValue, isTimeInput, isTimeInputHrTime, isTracingSuppressed, millisToHrTime, sanitizeAttributes } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import { SamplingDecision, type IdGenerator, type ReadableSpan, type Sampler, type SamplingResult, type SpanProcessor, type TimedEvent } from '@opentelemetry/sdk-trace-base';

/** The OpenTelemetry span limits (OTEL_SPAN_*_LIMIT), as the SDK applies them. */
export interface RecorderLimits {
  attributeCountLimit: number;
  /** Longest string (or string in an array) kept; longer ones are cut. */
  attributeValueLengthLimit: number;
  eventCountLimit: number;
  linkCountLimit: number;
  attributePerEventCountLimit: number;
  attributePerLinkCountLimit: number;
}

export interface RecorderOptions {
  /** Decides for a span without a valid parent, and for every span unless `parentBased`. */
  sampler: Sampler;
  /** The specification's ParentBased sampler with its default delegates: a valid parent's sampled flag decides (recorded and sampled, or not recorded). */
  parentBased: boolean;
  ids: IdGenerator;
  limits: RecorderLimits;
  /** Gets every recorded span at its start and end (the export thread's processor). */
  processor: SpanProcessor;
  resource: Resource;
  scope: { name: string; version?: string };
}

/** Marks span contexts this recorder made: their ids are valid by construction, so a child skips checking its parent's 48 hex digits. */
const MINTED = Symbol('modelgate.minted');
type Minted = SpanContext & { [MINTED]?: true };
const NO_ATTRIBUTES: Attributes = Object.freeze({});

/**
 * The request thread's Tracer: the SDK's samplers (from OTEL_TRACES_SAMPLER) and the SDK's span
 * semantics (limits, status, events, links), with spans that are plain objects handed to the span
 * processor as they end. What leaves the process is still made by the SDK's BatchSpanProcessor and
 * OTLP exporter in the export thread (span-export.ts), and a test holds these spans' export equal
 * to the SDK's own for the same calls. Cheaper where the SDK's Tracer is not: a child of one of its
 * spans skips validating the parent's ids (twice, with ParentBasedSampler), and start attributes
 * are not copied when there are none.
 */
export class SpanRecorder implements Tracer {
  constructor(readonly options: RecorderOptions) {}

  startSpan(name: string, options: SpanOptions = {}, context: Context = contexts.active()): Span {
    if (options.root) context = trace.deleteSpan(context);
    if (isTracingSuppressed(context)) return trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
    const parent = trace.getSpanContext(context) as Minted | undefined;
    const valid = parent !== undefined && (parent[MINTED] === true || isSpanContextValid(parent)) ? parent : undefined;
    const { sampler, ids, parentBased } = this.options;
    const traceId = valid ? valid.traceId : ids.generateTraceId();
    const kind = options.kind ?? SpanKind.INTERNAL;
    const links = options.links ?? [];
    const attributes = options.attributes ? sanitizeAttributes(options.attributes) : NO_ATTRIBUTES;
    const sampling: SamplingResult =
      valid && parentBased
        ? valid.traceFlags & TraceFlags.SAMPLED
          ? SAMPLED
          : NOT_SAMPLED
        : sampler.shouldSample(context, traceId, name, kind, attributes === NO_ATTRIBUTES ? {} : attributes, links);
    const spanContext: Minted = {
      traceId,
      spanId: ids.generateSpanId(),
      traceFlags: sampling.decision === SamplingDecision.RECORD_AND_SAMPLED ? TraceFlags.SAMPLED : TraceFlags.NONE,
      traceState: sampling.traceState ?? valid?.traceState,
      [MINTED]: true,
    };
    if (sampling.decision === SamplingDecision.NOT_RECORD) return trace.wrapSpanContext(spanContext);
    const span = new RecordedSpan(this.options, spanContext, valid, name, kind, options.startTime);
    for (const link of links) span.addLink(link);
    if (attributes !== NO_ATTRIBUTES) span.setAttributes(attributes);
    if (sampling.attributes) span.setAttributes(sampling.attributes);
    this.options.processor.onStart(span, context);
    return span;
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, ...rest: [F] | [SpanOptions, F] | [SpanOptions, Context, F]): ReturnType<F> {
    const fn = rest[rest.length - 1] as F;
    const options = rest.length > 1 ? (rest[0] as SpanOptions) : undefined;
    const parent = rest.length > 2 ? (rest[1] as Context) : contexts.active();
    const span = this.startSpan(name, options, parent);
    return contexts.with(trace.setSpan(parent, span), fn as (span: Span) => ReturnType<F>, undefined, span);
  }
}

const SAMPLED: SamplingResult = { decision: SamplingDecision.RECORD_AND_SAMPLED };
const NOT_SAMPLED: SamplingResult = { decision: SamplingDecision.NOT_RECORD };

/** One recorded span: what the SDK's SpanImpl keeps and how it limits it, readable by any SpanProcessor. */
class RecordedSpan implements Span, ReadableSpan {
  readonly attributes: Attributes = {};
  readonly events: TimedEvent[] = [];
  readonly links: Link[] = [];
  status: SpanStatus = { code: SpanStatusCode.UNSET };
  readonly startTime: HrTime;
  endTime: HrTime = [0, 0];
  duration: HrTime = [-1, -1];
  ended = false;
  droppedAttributesCount = 0;
  droppedEventsCount = 0;
  droppedLinksCount = 0;
  readonly resource: Resource;
  readonly instrumentationScope: { name: string; version?: string };
  private attributeCount = 0;
  /** performance.now() at the start, to time the span on the monotonic clock from its wall-clock start. */
  private readonly startedAt = performance.now();
  /** Wall clock minus performance clock at the start: maps a performance.now() timestamp given later. */
  private readonly clockOffset: number;
  private readonly startGiven: boolean;

  constructor(
    private readonly options: RecorderOptions,
    private readonly context: SpanContext,
    readonly parentSpanContext: SpanContext | undefined,
    public name: string,
    readonly kind: SpanKind,
    startTime: TimeInput | undefined,
  ) {
    this.resource = options.resource;
    this.instrumentationScope = options.scope;
    const now = Date.now();
    this.clockOffset = now - (this.startedAt + performance.timeOrigin);
    this.startGiven = startTime !== undefined;
    this.startTime = this.startGiven ? this.timeOf(startTime) : millisToHrTime(now);
  }

  spanContext(): SpanContext {
    return this.context;
  }

  setAttribute(key: string, value?: AttributeValue): this {
    if (value == null || this.endedAlready()) return this;
    if (key.length === 0) {
      diag.warn(`Invalid attribute key: ${key}`);
      return this;
    }
    if (!isAttributeValue(value)) {
      diag.warn(`Invalid attribute value set for key: ${key}`);
      return this;
    }
    const isNew = !Object.prototype.hasOwnProperty.call(this.attributes, key);
    if (isNew && this.attributeCount >= this.options.limits.attributeCountLimit) {
      this.droppedAttributesCount++;
      return this;
    }
    this.attributes[key] = this.cut(value);
    if (isNew) this.attributeCount++;
    return this;
  }

  setAttributes(attributes: Attributes): this {
    for (const key in attributes) if (Object.prototype.hasOwnProperty.call(attributes, key)) this.setAttribute(key, attributes[key]);
    return this;
  }

  addEvent(name: string, attributesOrTime?: Attributes | TimeInput, time?: TimeInput): this {
    if (this.endedAlready()) return this;
    const { eventCountLimit, attributePerEventCountLimit } = this.options.limits;
    if (eventCountLimit === 0) {
      this.droppedEventsCount++;
      return this;
    }
    if (this.events.length >= eventCountLimit) {
      this.events.shift();
      this.droppedEventsCount++;
    }
    if (isTimeInput(attributesOrTime)) {
      if (!isTimeInput(time)) time = attributesOrTime;
      attributesOrTime = undefined;
    }
    const [attributes, droppedAttributesCount] = this.limited(attributesOrTime, attributePerEventCountLimit);
    this.events.push({ name, attributes, time: this.timeOf(time), droppedAttributesCount });
    return this;
  }

  addLink(link: Link): this {
    if (this.endedAlready()) return this;
    const { linkCountLimit, attributePerLinkCountLimit } = this.options.limits;
    if (linkCountLimit === 0) {
      this.droppedLinksCount++;
      return this;
    }
    if (this.links.length >= linkCountLimit) {
      this.links.shift();
      this.droppedLinksCount++;
    }
    const [attributes, droppedAttributesCount] = this.limited(link.attributes, attributePerLinkCountLimit);
    const kept: Link = { context: link.context };
    if (Object.keys(attributes).length > 0) kept.attributes = attributes;
    if (droppedAttributesCount > 0) kept.droppedAttributesCount = droppedAttributesCount;
    this.links.push(kept);
    return this;
  }

  addLinks(links: Link[]): this {
    for (const link of links) this.addLink(link);
    return this;
  }

  /** UNSET changes nothing and OK is final, as the specification says; only an ERROR keeps a message. */
  setStatus(status: SpanStatus): this {
    if (this.endedAlready() || status.code === SpanStatusCode.UNSET || this.status.code === SpanStatusCode.OK) return this;
    this.status = status.code === SpanStatusCode.ERROR && typeof status.message === 'string' ? { code: status.code, message: status.message } : { code: status.code };
    return this;
  }

  updateName(name: string): this {
    if (!this.endedAlready()) this.name = name;
    return this;
  }

  end(endTime?: TimeInput): void {
    if (this.ended) {
      diag.error(`${this.name} ${this.context.traceId}-${this.context.spanId} - You can only call end() on a span once.`);
      return;
    }
    this.endTime = this.timeOf(endTime);
    this.duration = hrTimeDuration(this.startTime, this.endTime);
    if (this.duration[0] < 0) {
      this.endTime = [...this.startTime];
      this.duration = [0, 0];
    }
    this.options.processor.onEnding?.(this);
    this.ended = true;
    this.options.processor.onEnd(this);
  }

  isRecording(): boolean {
    return !this.ended;
  }

  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: Attributes = {};
    if (typeof exception === 'string') attributes['exception.message'] = exception;
    else if (exception) {
      const type = exception.code ? String(exception.code) : exception.name;
      if (type) attributes['exception.type'] = type;
      if (exception.message) attributes['exception.message'] = exception.message;
      if (exception.stack) attributes['exception.stacktrace'] = exception.stack;
    }
    if (attributes['exception.type'] || attributes['exception.message']) this.addEvent('exception', attributes, time);
  }

  private endedAlready(): boolean {
    if (this.ended) diag.warn(`Cannot execute the operation on ended Span {traceId: ${this.context.traceId}, spanId: ${this.context.spanId}}`);
    return this.ended;
  }

  /** The SDK's clock: a given time as given; else the monotonic time since the wall-clock start. */
  private timeOf(time: TimeInput | undefined): HrTime {
    if (typeof time === 'number') return time <= performance.now() ? addHrTimes(millisToHrTime(performance.timeOrigin), millisToHrTime(time + this.clockOffset)) : millisToHrTime(time);
    if (time instanceof Date) return millisToHrTime(time.getTime());
    if (isTimeInputHrTime(time)) return time;
    if (this.startGiven) return millisToHrTime(Date.now());
    return addHrTimes(this.startTime, millisToHrTime(performance.now() - this.startedAt));
  }

  /** Strings (and strings in arrays) longer than the limit are cut to it. */
  private cut(value: AttributeValue): AttributeValue {
    const limit = this.options.limits.attributeValueLengthLimit;
    if (typeof value === 'string') return value.length > limit ? value.substring(0, limit) : value;
    if (Array.isArray(value)) return value.map((item) => (typeof item === 'string' && item.length > limit ? item.substring(0, limit) : item)) as AttributeValue;
    return value;
  }

  /** An event's or link's attributes, at most `limit` of them (and how many were dropped). */
  private limited(attributes: Attributes | undefined, limit: number): [Attributes, number] {
    const kept: Attributes = {};
    let count = 0;
    let dropped = 0;
    const sanitized = sanitizeAttributes(attributes);
    for (const key in sanitized) {
      if (!Object.prototype.hasOwnProperty.call(sanitized, key)) continue;
      if (count >= limit) dropped++;
      else (kept[key] = this.cut(sanitized[key]!)), count++;
    }
    return [kept, dropped];
  }
}
