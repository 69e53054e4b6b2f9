import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/server/config.ts';
import { startGateway, type RunningGateway } from '../../src/server/gateway.ts';
import { postGraphQL } from '../support/gateway.ts';
import { freePort } from '../support/peers/free-port.ts';
import { sample } from '../support/prometheus-text.ts';

describe('/metrics: what operators alert on', () => {
  let gateway: RunningGateway;
  let dataDir: string;
  let metricsUrl: string;
  const gql = async (query: string) => (await postGraphQL(gateway.url, query)).body;
  const scrape = async () => (await fetch(metricsUrl)).text();
  const ok = async (query: string) => {
    const body = await gql(query);
    expect(body.errors).toBeUndefined();
    return body.data;
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'modelgate-metrics-'));
    const closed = await freePort();
    const config = resolveConfig(
      {
        server: { port: 0 },
        registries: [
          { id: 'local', kind: 'local' },
          { id: 'gone', kind: 'mlflow', trackingUri: `http://127.0.0.1:${closed}`, readAttempts: 1, resilience: { deadlineMs: 10_000, failureThreshold: 1, cooldownMs: 600_000 } },
        ],
        policies: [
          { models: 'Churn*', stage: 'STAGING', gates: { tags: ['validated'] } },
          { models: 'Churn*', stage: 'PRODUCTION', approvals: 1, allowSelfApproval: true },
        ],
        metrics: { auditCheckIntervalMs: 0 },
      },
      { dataDir },
    );
    gateway = await startGateway(config, { log: pino({ level: 'silent' }) });
    metricsUrl = gateway.url.replace(/\/graphql$/, '/metrics');
  }, 120_000);
  afterAll(async () => {
    await gateway?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('counts requests by operation name and type, anonymous ones as "-"', async () => {
    await ok('query CatalogPage { models(first: 5) { nodes { name } } }');
    await ok('query CatalogPage { models(first: 5) { nodes { name } } }');
    await ok('{ registries { id } }');
    const text = await scrape();
    expect(sample(text, 'modelgate_graphql_requests_total', { operation: 'CatalogPage', type: 'query' })).toBe(2);
    expect(sample(text, 'modelgate_graphql_requests_total', { operation: '-', type: 'query' })).toBeGreaterThanOrEqual(1);
  });

  it('keeps at most 200 operation names as labels; a caller inventing names cannot grow the scrape without bound', async () => {
    for (let i = 0; i < 210; i++) await gql(`query Invented${i} { registries { id } }`);
    const text = await scrape();
    const names = new Set([...text.matchAll(/^modelgate_graphql_requests_total\{operation="([^"]*)"/gm)].map((m) => m[1]));
    expect(names.size).toBeLessThanOrEqual(202); // 200 names, "-" and "other"
    expect(sample(text, 'modelgate_graphql_requests_total', { operation: 'other', type: 'query' })).toBeGreaterThanOrEqual(10);
    expect(sample(text, 'modelgate_graphql_requests_total', { operation: 'Invented209' })).toBeUndefined();
  });

  it('counts GraphQL errors by the code the client saw', async () => {
    const before = await scrape();
    const missing = await gql('mutation { promote(name: "NoSuchModel", version: "1", targetStage: STAGING) { status } }');
    expect(missing.errors![0].extensions.code).toBe('NOT_FOUND');
    const broken = await gql('{ models(first: 5) { nodes { name }');
    expect(broken.errors![0].extensions.code).toBe('INVALID_INPUT');
    const after = await scrape();
    for (const code of ['NOT_FOUND', 'INVALID_INPUT']) {
      expect(sample(after, 'modelgate_graphql_errors_total', { code })).toBe((sample(before, 'modelgate_graphql_errors_total', { code }) ?? 0) + 1);
    }
  });

  it('shows each circuit breaker state per registry, and an open one after the backend fails', async () => {
    let text = await scrape();
    expect(sample(text, 'modelgate_registry_circuit_state', { registry: 'gone', state: 'closed' })).toBe(1);
    const down = await gql('{ model(registry: "gone", name: "Churn") { name } }');
    expect(down.errors![0].extensions.code).toBe('BACKEND_UNAVAILABLE');
    text = await scrape();
    expect(sample(text, 'modelgate_registry_circuit_state', { registry: 'gone', state: 'open' })).toBe(1);
    expect(sample(text, 'modelgate_registry_circuit_state', { registry: 'gone', state: 'closed' })).toBe(0);
    expect(sample(text, 'modelgate_registry_circuit_state', { registry: 'local', state: 'closed' })).toBe(1);
    expect(sample(text, 'modelgate_registry_calls_total', { registry: 'gone', result: 'BACKEND_UNAVAILABLE' })).toBeGreaterThanOrEqual(1);
  });

  it('counts promotions, gate failures, rollbacks and auto-rollbacks by registry and policy pattern; open approvals; lock waits', async () => {
    const labels = { registry: 'local', model_pattern: 'Churn*' };
    const register = (name: string, tags: string, accuracy: number) =>
      ok(`mutation { registerVersion(name: "${name}", source: "s3://b/${name}", tags: [${tags}], metrics: [{ key: "accuracy", value: ${accuracy} }]) { version } }`);
    await register('ChurnModel', '{ key: "validated", value: "yes" }', 0.9); // 1
    await register('ChurnModel', '', 0.8); // 2: no tag
    await register('ChurnModel', '{ key: "validated", value: "yes" }', 0.95); // 3
    await register('Forecast', '', 0.7);
    const promote = (name: string, version: string, stage: string) => gql(`mutation { promote(name: "${name}", version: "${version}", targetStage: ${stage}) { status approvalRequest { id } } }`);
    const approve = async (id: string) => expect((await ok(`mutation { approve(id: "${id}") { promotion { status } } }`)).approve.promotion.status).toBe('PROMOTED');

    expect((await promote('ChurnModel', '2', 'STAGING')).errors![0].extensions.code).toBe('GATE_FAILED');
    expect((await promote('ChurnModel', '1', 'STAGING')).data.promote.status).toBe('PROMOTED');
    const pending = (await promote('ChurnModel', '1', 'PRODUCTION')).data.promote;
    expect(pending.status).toBe('PENDING_APPROVAL');
    let text = await scrape();
    expect(sample(text, 'modelgate_approval_requests_open', { registry: 'local' })).toBe(1);
    await approve(pending.approvalRequest.id);
    text = await scrape();
    expect(sample(text, 'modelgate_approval_requests_open', { registry: 'local' }) ?? 0).toBe(0);

    expect((await promote('ChurnModel', '3', 'STAGING')).data.promote.status).toBe('PROMOTED');
    await approve((await promote('ChurnModel', '3', 'PRODUCTION')).data.promote.approvalRequest.id);
    // Version 3 in production (recorded 0.95); observing 0.5 rolls back to version 1 automatically.
    const degraded = await ok('mutation { checkDegradation(name: "ChurnModel", metric: "accuracy", observed: 0.5, tolerance: 0.01, autoRollback: true) { rollback { to { version } } } }');
    expect(degraded.checkDegradation.rollback.to.version).toBe('1');
    await ok('mutation { rollback(name: "ChurnModel", toVersion: "3", reason: "the alert was wrong") { to { version } } }');
    // A model outside every policy pattern counts as "other".
    expect((await promote('Forecast', '1', 'STAGING')).data.promote.status).toBe('PROMOTED');

    text = await scrape();
    expect(sample(text, 'modelgate_gate_failures_total', labels)).toBe(1);
    expect(sample(text, 'modelgate_promotions_total', { ...labels, stage: 'STAGING' })).toBe(2);
    expect(sample(text, 'modelgate_promotions_total', { ...labels, stage: 'PRODUCTION' })).toBe(2);
    expect(sample(text, 'modelgate_promotions_total', { registry: 'local', model_pattern: 'other', stage: 'STAGING' })).toBe(1);
    expect(sample(text, 'modelgate_rollbacks_total', labels)).toBe(1);
    expect(sample(text, 'modelgate_auto_rollbacks_total', labels)).toBe(1);
    // Every command above took its model's lock once.
    expect(sample(text, 'modelgate_lock_wait_seconds_count', { registry: 'local' })).toBeGreaterThanOrEqual(13);
  });

  it('says whether the audit chain verifies, and that it broke after a row was edited behind the store', async () => {
    let text = await scrape();
    expect(sample(text, 'modelgate_audit_chain_intact')).toBe(1);
    expect(sample(text, 'modelgate_audit_chain_events')).toBeGreaterThan(10);
    expect(sample(text, 'modelgate_audit_chain_broken_events')).toBe(0);
    const db = new Database(join(dataDir, 'modelgate-store.db'));
    try {
      db.exec("DROP TRIGGER audit_no_update; UPDATE audit_events SET detail = 'rewritten' WHERE seq = 2");
    } finally {
      db.close();
    }
    text = await scrape();
    expect(sample(text, 'modelgate_audit_chain_intact')).toBe(0);
    expect(sample(text, 'modelgate_audit_chain_broken_events')).toBeGreaterThanOrEqual(1);
  });
});
