import { invalidInput } from './errors.ts';

/** The unified lifecycle: NONE → STAGING → PRODUCTION → ARCHIVED. */
export enum Stage {
  NONE = 'NONE',
  STAGING = 'STAGING',
  PRODUCTION = 'PRODUCTION',
  ARCHIVED = 'ARCHIVED',
}

export const ALL_STAGES: readonly Stage[] = [Stage.NONE, Stage.STAGING, Stage.PRODUCTION, Stage.ARCHIVED];

/** Stages in which `archiveExisting` makes sense (as in MLflow's transition-stage). */
export const EXCLUSIVE_STAGES: readonly Stage[] = [Stage.STAGING, Stage.PRODUCTION];

/** Accepts our names and MLflow's ("Production", "none", ...), case-insensitively. */
export function parseStage(text: string): Stage | null {
  const upper = text.trim().toUpperCase();
  return (ALL_STAGES as readonly string[]).includes(upper) ? (upper as Stage) : null;
}

export function requireStage(text: string): Stage {
  const stage = parseStage(text);
  if (!stage) {
    throw invalidInput(`Unknown stage '${text}'; expected one of None, Staging, Production, Archived`);
  }
  return stage;
}
