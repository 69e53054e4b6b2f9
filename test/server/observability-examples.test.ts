import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { GatewayMetrics } from '../../src/server/metrics.ts';
import { openStore, type GatewayStore } from '../../src/store/index.ts';

const EXAMPLES = join(import.meta.dirname, '../../examples/observability');
const PROMQL_FUNCTIONS = new Set(['sum', 'max', 'min', 'avg', 'count', 'rate', 'increase', 'histogram_quantile', 'by', 'without', 'and', 'or', 'unless', 'le']);

interface Rule {
  alert: string;
  expr: string;
  labels: { severity: string };
  annotations: { summary: string };
}

/** Each metric named in a PromQL expression, with the labels its selector uses. */
function selectors(expr: string): { metric: string; labels: string[] }[] {
  return [...expr.matchAll(/\b(modelgate_[a-z0-9_]+)(?:\{([^}]*)\})?/g)].map((m) => ({
    metric: m[1]!,
    labels: [...(m[2] ?? '').matchAll(/([a-z_]+)\s*(?:=~|!=|!~|=)/g)].map((l) => l[1]!),
  }));
}

/** Labels named in `by (...)` clauses. */
const groupings = (expr: string) => [...expr.matchAll(/\bby\s*\(([^)]*)\)/g)].flatMap((m) => m[1]!.split(',').map((l) => l.trim()));

describe('examples/observability: the dashboard and alert rules reference only metrics that exist', () => {
  let store: GatewayStore;
  let dir: string;
  /** Every sample name the gateway can expose, with the labels it carries. */
  const exposed = new Map<string, Set<string>>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'modelgate-examples-'));
    store = await openStore(undefined, join(dir, 'store.db'));
    const metrics = new GatewayMetrics();
    metrics.watchStore(store, 60_000);
    for (const metric of await metrics.registry.getMetricsAsJSON()) {
      const labels = new Set<string>(((metrics.registry.getSingleMetric(metric.name) as unknown as { labelNames?: string[] }).labelNames ?? []));
      exposed.set(metric.name, labels);
      if (String(metric.type) === 'histogram') {
        exposed.set(`${metric.name}_bucket`, new Set([...labels, 'le']));
        for (const suffix of ['_sum', '_count']) exposed.set(metric.name + suffix, labels);
      }
    }
  });
  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const check = (where: string, expr: string) => {
    const used = selectors(expr);
    expect(used.length, `${where}: ${expr}`).toBeGreaterThan(0);
    for (const { metric, labels } of used) {
      expect(exposed.has(metric), `${where}: ${metric} is not a metric of the gateway`).toBe(true);
      for (const label of labels) expect([...exposed.get(metric)!], `${where}: ${metric} has no label ${label}`).toContain(label);
    }
    // A grouping label must come from at least one of the metrics aggregated.
    for (const label of groupings(expr)) {
      expect(used.some(({ metric }) => exposed.get(metric)?.has(label)), `${where}: no metric in ${expr} has label ${label}`).toBe(true);
    }
    // Nothing that looks like a metric name hides outside the modelgate_ prefix (a typo such as modelgate-…).
    const identifiers = [...expr.replace(/\{[^}]*\}|\[[^\]]*\]|"[^"]*"/g, '').matchAll(/\b([a-z_][a-z0-9_]*)\b/g)].map((m) => m[1]!);
    const unknown = identifiers.filter((id) => !id.startsWith('modelgate_') && !PROMQL_FUNCTIONS.has(id) && !groupings(expr).includes(id));
    expect(unknown, `${where}: ${expr}`).toEqual([]);
  };

  it('alert rules: backend down, circuit open, gate-failure spike and audit chain broken, each on real metrics and labels', () => {
    const file = parseYaml(readFileSync(join(EXAMPLES, 'alerts.yaml'), 'utf8')) as { groups: { name: string; rules: Rule[] }[] };
    const rules = file.groups.flatMap((group) => group.rules);
    expect(rules.map((rule) => rule.alert)).toEqual(
      expect.arrayContaining(['ModelgateBackendDown', 'ModelgateCircuitOpen', 'ModelgateGateFailureSpike', 'ModelgateAuditChainBroken']),
    );
    for (const rule of rules) {
      expect(rule.labels.severity, rule.alert).toMatch(/^(critical|warning|info)$/);
      expect(rule.annotations.summary, rule.alert).toBeTruthy();
      check(rule.alert, rule.expr);
    }
  });

  it('the Grafana dashboard: every panel queries real metrics and labels', () => {
    const dashboard = JSON.parse(readFileSync(join(EXAMPLES, 'grafana-dashboard.json'), 'utf8')) as { uid: string; panels: { title: string; targets: { expr: string }[] }[] };
    expect(dashboard.uid).toBeTruthy();
    expect(dashboard.panels.length).toBeGreaterThan(5);
    for (const panel of dashboard.panels) {
      expect(panel.targets.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets) check(panel.title, target.expr);
    }
  });

  it('a reference to a metric that does not exist is caught (the check itself can fail)', () => {
    expect(() => check('typo', 'sum by (registry) (rate(modelgate_registry_call_total[5m]))')).toThrow();
    expect(() => check('wrong label', 'modelgate_registry_circuit_state{circuit="open"}')).toThrow();
  });
});
