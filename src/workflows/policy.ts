import { Stage, type CardField } from '../core/index.ts';

/** A gate a version must pass to enter a stage. */
export type Gate =
  | { kind: 'metric'; metric: string; min?: number; max?: number }
  | { kind: 'tag'; key: string; value?: string }
  | { kind: 'description' }
  | { kind: 'currentStage'; stage: Stage }
  /** A card field must be filled (stored, or read from the tutorial's conventions). */
  | { kind: 'card'; field: CardField }
  /** A dependency must be listed, and its version in `range` (npm semver) when one is given. */
  | { kind: 'dependency'; name: string; range?: string };

/** Gates and approvals for models whose names match `models` (a glob), entering `stage`. */
export interface Policy {
  models: string;
  /** Registry ids it applies to; all when omitted. */
  registries?: string[];
  stage: Stage;
  gates: Gate[];
  approvals: number;
  allowSelfApproval: boolean;
  /** An undecided approval request expires after this long; null: never. */
  approvalTtlMs?: number | null;
}

export interface EffectivePolicy {
  gates: Gate[];
  approvals: number;
  allowSelfApproval: boolean;
  approvalTtlMs: number | null;
}

/** Every matching policy applies: their gates add up, the strictest approval count wins. */
export function policyFor(policies: readonly Policy[], registry: string, model: string, stage: Stage): EffectivePolicy {
  const matching = policies.filter(
    (p) => p.stage === stage && (!p.registries || p.registries.includes(registry)) && globMatches(p.models, model),
  );
  return {
    gates: matching.flatMap((p) => p.gates),
    approvals: Math.max(0, ...matching.map((p) => p.approvals)),
    allowSelfApproval: matching.length > 0 && matching.every((p) => p.allowSelfApproval),
    // The strictest expiry of the matching policies.
    approvalTtlMs: matching.reduce<number | null>((ttl, p) => (p.approvalTtlMs ? Math.min(ttl ?? Infinity, p.approvalTtlMs) : ttl), null),
  };
}

/** `*` matches any run of characters, `?` one; everything else literally. */
export function globMatches(glob: string, text: string): boolean {
  if (glob === '*') return true;
  if (!glob.includes('*') && !glob.includes('?')) return glob === text;
  return compiled(glob).test(text);
}

/** Globs come from configuration (grants, policies, metric patterns): a few, asked on every request. */
const GLOBS_KEPT = 512;
const globs = new Map<string, RegExp>();

function compiled(glob: string): RegExp {
  let regex = globs.get(glob);
  if (!regex) {
    const pattern = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
    if (globs.size >= GLOBS_KEPT) globs.clear();
    globs.set(glob, (regex = new RegExp(`^${pattern}$`, 's')));
  }
  return regex;
}
