import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/server/config.ts';
import { tracingEndpoint, tracingProtocol } from '../../src/server/tracing.ts';

describe('tracing is configured by the standard OTEL_* variables', () => {
  it('stays off without an endpoint, or when disabled', () => {
    expect(tracingEndpoint({})).toBeNull();
    expect(tracingEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: '  ' })).toBeNull();
    expect(tracingEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'TRUE' })).toBeNull();
    expect(tracingEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' })).toBeNull();
  });

  it('sends to <endpoint>/v1/traces, or to the traces endpoint exactly as given', () => {
    expect(tracingEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe('http://collector:4318/v1/traces');
    expect(tracingEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otel.example.com/base/' })).toBe('https://otel.example.com/base/v1/traces');
    expect(tracingEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:9999/custom' })).toBe('http://b:9999/custom');
    expect(tracingEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'otlp' })).toBe('http://c:4318/v1/traces');
  });

  it('refuses an endpoint that is not an http(s) URL, and gRPC, naming the variable', () => {
    expect(() => tracingEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(ConfigError);
    expect(() => tracingEndpoint({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'not a url' })).toThrow(/OTEL_EXPORTER_OTLP_TRACES_ENDPOINT/);
    expect(() => tracingEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://c:4318' })).toThrow(/http/);
    expect(() => tracingEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(/grpc/);
  });

  it('exports OTLP protobuf unless http/json is asked for; anything else stops start-up naming the variable', () => {
    expect(tracingProtocol({})).toBe('http/protobuf');
    expect(tracingProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' })).toBe('http/json');
    expect(tracingProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' })).toBe('http/protobuf');
    expect(() => tracingProtocol({ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'thrift' })).toThrow(/OTEL_EXPORTER_OTLP_TRACES_PROTOCOL must be http\/protobuf or http\/json/);
    expect(() => tracingEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'json' })).toThrow(ConfigError);
  });
});
