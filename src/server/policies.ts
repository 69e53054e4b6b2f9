import { Stage, type CardField } from '../core/index.ts';
import type { Gate, Policy } from '../workflows/policy.ts';
import type { PolicyConfig } from './config.ts';

type CardGatesConfig = NonNullable<PolicyConfig['gates']['card']>;

/** `card: {dataVersion: true, dependencies: [sklearn] | {sklearn: ">=1.2 <2"}}` as gates. */
function cardGates(card: CardGatesConfig | undefined): Gate[] {
  if (!card) return [];
  const gates: Gate[] = [];
  for (const [field, required] of Object.entries(card)) {
    if (field !== 'dependencies' && required === true) gates.push({ kind: 'card', field: field as CardField });
  }
  const dependencies = card.dependencies ?? [];
  const pairs: [string, string | undefined][] = Array.isArray(dependencies) ? dependencies.map((name) => [name, undefined]) : Object.entries(dependencies);
  for (const [name, range] of pairs) gates.push({ kind: 'dependency', name, range });
  return gates;
}

/** Policies as written in modelgate.yaml, as the workflows read them. */
export function toPolicies(configured: readonly PolicyConfig[]): Policy[] {
  return configured.map((p) => {
    const gates: Gate[] = [];
    if (p.gates.currentStage) gates.push({ kind: 'currentStage', stage: p.gates.currentStage as Stage });
    for (const tag of p.gates.tags) gates.push(typeof tag === 'string' ? { kind: 'tag', key: tag } : { kind: 'tag', key: tag.key, value: tag.value });
    if (p.gates.description) gates.push({ kind: 'description' });
    for (const [metric, bounds] of Object.entries(p.gates.metrics)) gates.push({ kind: 'metric', metric, min: bounds.min, max: bounds.max });
    gates.push(...cardGates(p.gates.card));
    return {
      models: p.models,
      registries: p.registries,
      stage: p.stage as Stage,
      gates,
      approvals: p.approvals,
      allowSelfApproval: p.allowSelfApproval,
      approvalTtlMs: p.approvalTtl ? durationMs(p.approvalTtl) : null,
    };
  });
}

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `90m`, `72h`, `7d` in milliseconds (the config schema has checked the form). */
export const durationMs = (text: string): number => Number(text.slice(0, -1)) * UNIT_MS[text.slice(-1) as keyof typeof UNIT_MS];
