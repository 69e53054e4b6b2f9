import { coerce, satisfies } from 'semver';
import { cardFieldValue, readCard, versionKeyId, type Capabilities, type CardView, type ModelVersion, type RegistryAdapter } from '../core/index.ts';
import type { EffectivePolicy, Gate } from './policy.ts';

export interface GateCheck {
  gate: 'metric' | 'tag' | 'description' | 'currentStage' | 'card' | 'dependency';
  subject: string;
  /** The rule, e.g. ">= 0.9", "present", "= true". */
  threshold: string;
  /** What the version has, or null when it has nothing there. */
  actual: string | null;
  passed: boolean;
  message: string;
}

export interface GateReport {
  passed: boolean;
  checks: GateCheck[];
  approvalsRequired: number;
}

/** Checks a version against a policy; every gate is reported, passing or not. */
export async function evaluateGates(registry: RegistryAdapter, version: ModelVersion, policy: EffectivePolicy): Promise<GateReport> {
  const needsMetrics = policy.gates.some((g) => g.kind === 'metric');
  const metrics = needsMetrics
    ? ((await registry.getMetrics([{ name: version.name, version: version.version, runId: version.runId, tags: version.tags }])).get(versionKeyId(version))?.metrics ?? EMPTY)
    : EMPTY;
  const capabilities = registry.capabilities();
  const card = readCard(version);
  const checks = policy.gates.map((gate) => check(gate, version, metrics, capabilities, card));
  return { passed: checks.every((c) => c.passed), checks, approvalsRequired: policy.approvals };
}

const EMPTY: Record<string, number> = Object.freeze(Object.create(null) as Record<string, number>);

/** Decimals a number needs, ignoring binary noise (0.1 + 0.2 needs 1). */
const decimals = (n: number): number => /^-?\d+\.(\d+)$/.exec(String(Number(n.toPrecision(12))))?.[1]?.length ?? 0;

/** Numbers shown with the same decimals, so "0.88 < min 0.90" reads at a glance; exponents stay as they are. */
function aligned(...numbers: number[]): string[] {
  const places = Math.max(...numbers.map(decimals));
  return numbers.map((n) => (/e/i.test(String(n)) ? String(n) : n.toFixed(places)));
}

/** The actual value beside a bound; never rounded into looking equal to a bound it breaks. */
function shownBeside(actual: number, bound: number): [string, string] {
  const [a, t] = aligned(actual, bound) as [string, string];
  return a === t && actual !== bound ? [String(actual), String(bound)] : [a, t];
}

/** "accuracy 0.88 < min 0.90" when failing, "accuracy 0.92 >= min 0.90" when passing: actual, comparator, threshold. */
function metricMessage(metric: string, actual: number, min: number | undefined, max: number | undefined): string {
  if (min !== undefined && actual < min) {
    const [a, t] = shownBeside(actual, min);
    return `${metric} ${a} < min ${t}`;
  }
  if (max !== undefined && actual > max) {
    const [a, t] = shownBeside(actual, max);
    return `${metric} ${a} > max ${t}`;
  }
  const bounds = [min, max].filter((n): n is number => n !== undefined);
  const [shown, ...limits] = aligned(actual, ...bounds);
  const parts = [min !== undefined ? `>= min ${limits[0]}` : null, max !== undefined ? `<= max ${limits.at(-1)}` : null];
  return `${metric} ${shown} ${parts.filter(Boolean).join(' and ')}`;
}

function check(gate: Gate, version: ModelVersion, metrics: Record<string, number>, capabilities: Capabilities, card: CardView): GateCheck {
  switch (gate.kind) {
    case 'card': {
      const actual = cardFieldValue(card, gate.field);
      const remedy = capabilities.cardMutable ? 'set it with updateCard' : 'this registry keeps the card as registered; register a new version with it';
      return { gate: 'card', subject: gate.field, threshold: 'present', actual, passed: actual !== null, message: actual !== null ? `card ${gate.field} = ${actual}` : `card ${gate.field} is missing (${remedy})` };
    }
    case 'dependency':
      return dependencyCheck(gate.name, gate.range, card);
    case 'metric': {
      const actual = Object.hasOwn(metrics, gate.metric) ? metrics[gate.metric]! : null;
      const bounds = [gate.min !== undefined ? `>= ${gate.min}` : null, gate.max !== undefined ? `<= ${gate.max}` : null].filter(Boolean).join(' and ');
      const passed = actual !== null && (gate.min === undefined || actual >= gate.min) && (gate.max === undefined || actual <= gate.max);
      return {
        gate: 'metric',
        subject: gate.metric,
        threshold: bounds,
        actual: actual === null ? null : String(actual),
        passed,
        message: actual === null ? `${gate.metric} was not recorded (needs ${bounds}; metrics are recorded with registerVersion)` : metricMessage(gate.metric, actual, gate.min, gate.max),
      };
    }
    case 'tag': {
      const present = Object.hasOwn(version.tags, gate.key);
      const actual = present ? version.tags[gate.key]! : null;
      const passed = present && (gate.value === undefined || actual === gate.value);
      return {
        gate: 'tag',
        subject: gate.key,
        threshold: gate.value === undefined ? 'present' : `= ${gate.value}`,
        actual,
        passed,
        message: !present
          ? `tag ${gate.key} is missing (${tagRemedy(gate.key, capabilities)})`
          : passed
            ? `tag ${gate.key} = ${actual}`
            : `tag ${gate.key} = ${actual}, needs ${gate.value} (${tagRemedy(gate.key, capabilities)})`,
      };
    }
    case 'description': {
      const passed = Boolean(version.description?.trim());
      // The remedy depends on what the backend can change, which its capabilities say.
      const remedy = capabilities.versionDescriptionMutable
        ? 'set one with updateVersion'
        : `this registry cannot change a description after registration; register a new version with one`;
      return { gate: 'description', subject: 'description', threshold: 'not empty', actual: version.description, passed, message: passed ? 'has a description' : `description is empty (${remedy})` };
    }
    case 'currentStage':
      return {
        gate: 'currentStage',
        subject: 'stage',
        threshold: `= ${gate.stage}`,
        actual: version.stage,
        passed: version.stage === gate.stage,
        message: `version is in ${version.stage}${version.stage === gate.stage ? '' : `, must be in ${gate.stage}`}`,
      };
  }
}

/** A key the backend cannot hold (a Vertex label is lowercase) can never be set: the policy must change. */
function tagRemedy(key: string, capabilities: Capabilities): string {
  const rule = capabilities.limits.tagKey;
  const holdable = key.length <= rule.maxLength && (!rule.pattern || rule.pattern.test(key));
  return holdable ? 'set it with setTags' : `this registry cannot hold tag key '${key}' (${rule.rule ?? rule.pattern?.source ?? `at most ${rule.maxLength}`}); change the policy's tag gate`;
}

/** One line per check: "Failed: accuracy 0.88 < min 0.90". */
export const describeCheck = (c: GateCheck): string => `${c.passed ? 'Passed' : 'Failed'}: ${c.message}`;

/** A dependency listed on the card, its version (coerced: 1.3 is 1.3.0) inside the npm semver range when one is given. */
function dependencyCheck(name: string, range: string | undefined, card: CardView): GateCheck {
  const actual = cardFieldValue(card, `dependencies.${name}`);
  const base = { gate: 'dependency' as const, subject: name, threshold: range ?? 'present', actual };
  if (actual === null) return { ...base, passed: false, message: `dependency ${name} is not on the card${range ? ` (needs ${range})` : ''}` };
  if (range === undefined) return { ...base, passed: true, message: `dependency ${name} ${actual}` };
  const version = coerce(actual);
  if (!version) return { ...base, passed: false, message: `dependency ${name} ${actual} is not a version that can be compared with ${range}` };
  const passed = satisfies(version, range);
  return { ...base, passed, message: `dependency ${name} ${actual} ${passed ? 'satisfies' : 'does not satisfy'} ${range}` };
}
