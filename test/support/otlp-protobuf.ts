/**
 * Reads an OTLP ExportTraceServiceRequest in protobuf (what a collector receives with
 * `content-type: application/x-protobuf`) into the same shape as its JSON encoding, for the fields
 * the tests look at. Field numbers are those of opentelemetry/proto/trace/v1/trace.proto.
 */

type Field = { number: number; wire: number; value: bigint | Buffer };

function* fields(buffer: Buffer): Generator<Field> {
  let at = 0;
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const byte = buffer[at++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return result;
    }
  };
  while (at < buffer.length) {
    const tag = Number(varint());
    const number = tag >>> 3;
    const wire = tag & 7;
    if (wire === 0) yield { number, wire, value: varint() };
    else if (wire === 1) yield { number, wire, value: buffer.subarray(at, (at += 8)) };
    else if (wire === 5) yield { number, wire, value: buffer.subarray(at, (at += 4)) };
    else if (wire === 2) {
      const length = Number(varint());
      yield { number, wire, value: buffer.subarray(at, (at += length)) };
    } else throw new Error(`unexpected protobuf wire type ${wire}`);
  }
}

const bytes = (field: Field) => field.value as Buffer;
const text = (field: Field) => bytes(field).toString('utf8');

interface JsonValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string;
  doubleValue?: number;
  arrayValue?: { values: JsonValue[] };
}

function anyValue(buffer: Buffer): JsonValue {
  for (const field of fields(buffer)) {
    if (field.number === 1) return { stringValue: text(field) };
    if (field.number === 2) return { boolValue: field.value !== 0n };
    if (field.number === 3) return { intValue: BigInt.asIntN(64, field.value as bigint).toString() };
    if (field.number === 4) return { doubleValue: bytes(field).readDoubleLE(0) };
    if (field.number === 5) return { arrayValue: { values: [...fields(bytes(field))].filter((f) => f.number === 1).map((f) => anyValue(bytes(f))) } };
  }
  return {};
}

function keyValue(buffer: Buffer): { key: string; value: JsonValue } {
  let key = '';
  let value: JsonValue = {};
  for (const field of fields(buffer)) {
    if (field.number === 1) key = text(field);
    if (field.number === 2) value = anyValue(bytes(field));
  }
  return { key, value };
}

function span(buffer: Buffer) {
  const out: Record<string, unknown> & { attributes: { key: string; value: JsonValue }[]; status: { code?: number; message?: string } } = { attributes: [], status: {} };
  for (const field of fields(buffer)) {
    if (field.number === 1) out.traceId = bytes(field).toString('hex');
    else if (field.number === 2) out.spanId = bytes(field).toString('hex');
    else if (field.number === 3) out.traceState = text(field);
    else if (field.number === 4) out.parentSpanId = bytes(field).toString('hex');
    else if (field.number === 5) out.name = text(field);
    else if (field.number === 6) out.kind = Number(field.value);
    else if (field.number === 9) out.attributes.push(keyValue(bytes(field)));
    else if (field.number === 15) {
      for (const status of fields(bytes(field))) {
        if (status.number === 2) out.status.message = text(status);
        if (status.number === 3) out.status.code = Number(status.value);
      }
    }
  }
  return out;
}

/** The request as its JSON encoding would have it (resourceSpans → resource, scopeSpans → spans). */
export function decodeTraceRequest(buffer: Buffer) {
  const resourceSpans = [];
  for (const resource of fields(buffer)) {
    if (resource.number !== 1) continue;
    const entry: { resource: { attributes: { key: string; value: JsonValue }[] }; scopeSpans: { spans: ReturnType<typeof span>[] }[] } = { resource: { attributes: [] }, scopeSpans: [] };
    for (const part of fields(bytes(resource))) {
      if (part.number === 1) entry.resource.attributes = [...fields(bytes(part))].filter((f) => f.number === 1).map((f) => keyValue(bytes(f)));
      if (part.number === 2) entry.scopeSpans.push({ spans: [...fields(bytes(part))].filter((f) => f.number === 2).map((f) => span(bytes(f))) });
    }
    resourceSpans.push(entry);
  }
  return { resourceSpans };
}
