import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/server/config.ts';
import { startGateway } from '../../src/server/gateway.ts';
import { postGraphQL } from '../support/gateway.ts';

describe('/metrics', () => {
  it('exposes HTTP traffic and backend calls by registry, method and result for Prometheus', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'modelgate-metrics-'));
    const gateway = await startGateway(resolveConfig({ server: { port: 0 } }, { dataDir: dir }), { log: pino({ level: 'silent' }) });
    try {
      await postGraphQL(gateway.url, 'mutation { registerVersion(name: "m") { version } }');
      await postGraphQL(gateway.url, 'mutation { createModel(name: "m") { name } }');
      await fetch(gateway.url.replace('/graphql', '/wp-admin.php'));
      const response = await fetch(gateway.url.replace('/graphql', '/metrics'));
      expect(response.headers.get('content-type')).toContain('text/plain');
      const text = await response.text();
      expect(text).toMatch(/modelgate_http_requests_total\{path="\/graphql",status="200"\} 2/);
      expect(text).toMatch(/modelgate_http_requests_total\{path="other",status="404"\} 1/);
      expect(text).toMatch(/modelgate_registry_calls_total\{registry="local",method="createVersion",result="ok"\} 1/);
      expect(text).toMatch(/modelgate_registry_calls_total\{registry="local",method="createModel",result="ALREADY_EXISTS"\} 1/);
      expect(text).toContain('modelgate_registry_call_duration_seconds_bucket');
      expect(text).toContain('modelgate_process_resident_memory_bytes');
    } finally {
      await gateway.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
