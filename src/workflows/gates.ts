import { versionKeyId, type ModelVersion, type RegistryAdapter } from '../core/index.ts';
import type { EffectivePolicy, Gate } from './policy.ts';

export interface GateCheck {
  gate: 'metric' | 'tag' | 'description' | 'currentStage';
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
    ? ((await registry.getMetrics([{ name: version.name, version: version.version, runId: version.runId }])).get(versionKeyId(version))?.metrics ?? {})
    : {};
  const checks = policy.gates.map((gate) => check(gate, version, metrics));
  return { passed: checks.every((c) => c.passed), checks, approvalsRequired: policy.approvals };
}

function check(gate: Gate, version: ModelVersion, metrics: Record<string, number>): GateCheck {
  switch (gate.kind) {
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
        message: actual === null ? `${gate.metric} was not recorded` : `${gate.metric} = ${actual} ${bounds}`,
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
        message: !present ? `tag ${gate.key} is missing` : `tag ${gate.key} = ${actual}${gate.value === undefined ? '' : ` (needs ${gate.value})`}`,
      };
    }
    case 'description': {
      const passed = Boolean(version.description?.trim());
      return { gate: 'description', subject: 'description', threshold: 'not empty', actual: version.description, passed, message: passed ? 'has a description' : 'description is empty' };
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

/** The report as the seed printed it: "Passed: accuracy = 0.92 >= 0.9". */
export const describeCheck = (c: GateCheck): string => `${c.passed ? 'Passed' : 'Failed'}: ${c.message}`;
