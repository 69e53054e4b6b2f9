import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { LocalRegistry } from '../../adapters/local/index.ts';
import { createClient, GatewayError, type GatewayClient } from '@modelgate/client';
import { expect } from 'vitest';
import { DEFAULT_METRIC_SOURCING, RegistrySet, enforceInputRules, withMetricSources, type MetricSourcing, type RegistryAdapter } from '../../src/core/index.ts';
import { resolveConfig, type GatewayConfig } from '../../src/server/config.ts';
import { startGateway, type RunningGateway } from '../../src/server/gateway.ts';

export interface TestGateway {
  gateway: RunningGateway;
  client: GatewayClient;
  url: string;
  /** Everything the gateway logged, one JSON line each. */
  logs: string[];
  dataDir: string;
  stop(): Promise<void>;
}

export interface TestGatewayOptions {
  /** Raw adapters to serve (wrapped with the input rules like the real factory does). */
  adapters?: (dataDir: string) => RegistryAdapter[];
  config?: Partial<GatewayConfig>;
  /** Where metrics come from on every registry (the factory takes it from each registry's config); default run, then tags. */
  metricSourcing?: MetricSourcing;
}

/** A gateway on a free 127.0.0.1 port with its own data directory, capturing its logs. */
export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const dataDir = mkdtempSync(join(tmpdir(), 'modelgate-gw-'));
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const config = resolveConfig({ ...options.config, server: { port: 0, ...options.config?.server } }, { dataDir });
  const adapters = options.adapters?.(dataDir) ?? [new LocalRegistry({ id: 'local', path: join(dataDir, 'local.db') })];
  const sourcing = options.metricSourcing ?? DEFAULT_METRIC_SOURCING;
  const registries = new RegistrySet(adapters.map((adapter) => enforceInputRules(withMetricSources(adapter, sourcing))), adapters[0]!.id);
  const gateway = await startGateway(config, { log: pino({ level: 'debug' }, sink), registries });
  return {
    gateway,
    client: createClient({ url: gateway.url }),
    url: gateway.url,
    logs,
    dataDir,
    async stop() {
      await gateway.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Posts raw GraphQL and returns the parsed body and status, for tests about the wire itself. */
export async function postGraphQL(url: string, query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as { data?: any; errors?: any[] } };
}

/** Rejects unless the call fails with `code`; returns the error. */
export async function expectGatewayCode(promise: Promise<unknown>, code: string): Promise<GatewayError> {
  const error = await promise.then(
    () => {
      throw new Error(`expected ${code}, but the call succeeded`);
    },
    (e: unknown) => e,
  );
  if (!(error instanceof GatewayError)) throw error;
  expect(error.code, error.message).toBe(code);
  return error;
}
