import { GatewayError, GatewayUnreachable } from '@modelgate/client';

/** The one table of exit codes; the README and `modelgate --help` print the same. */
export const EXIT = {
  OK: 0,
  /** Gates failed, a check failed, or the gateway refused (NOT_FOUND, CONFLICT, …). */
  FAILED: 1,
  /** Bad usage, or the gateway cannot be reached. */
  UNUSABLE: 2,
  APPROVAL_PENDING: 3,
  /** UNAUTHENTICATED or FORBIDDEN: the token, not the model, is the problem. */
  NOT_PERMITTED: 4,
  DEGRADED: 5,
  ROLLED_BACK: 6,
} as const;

export const EXIT_CODES_HELP = `Exit codes:
  0  done
  1  refused: gates failed, a check failed, or the gateway said NOT_FOUND, CONFLICT, …
  2  unusable: bad usage, or the gateway cannot be reached
  3  approval pending (promote opened an approval request)
  4  not permitted: UNAUTHENTICATED or FORBIDDEN
  5  degraded (degradation check, no rollback)
  6  degraded and rolled back (degradation check --auto-rollback)`;

/** A command cannot run as asked; nothing was sent to the gateway. */
export class UsageError extends Error {}

/** A refusal the CLI itself decides (e.g. versions list on a model that does not exist). */
export class CliRefusal extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode: number = EXIT.FAILED,
  ) {
    super(message);
  }
}

export interface ErrorReport {
  code: string;
  message: string;
  registry: string | null;
  details: unknown;
  exitCode: number;
}

export function describeError(error: unknown): ErrorReport {
  if (error instanceof UsageError) return { code: 'USAGE', message: error.message, registry: null, details: null, exitCode: EXIT.UNUSABLE };
  if (error instanceof GatewayUnreachable) return { code: 'UNREACHABLE', message: error.message, registry: null, details: null, exitCode: EXIT.UNUSABLE };
  if (error instanceof CliRefusal) return { code: error.code, message: error.message, registry: null, details: null, exitCode: error.exitCode };
  if (error instanceof GatewayError) {
    const permission = error.code === 'UNAUTHENTICATED' || error.code === 'FORBIDDEN';
    const details = error.errors[0]?.extensions?.details ?? null;
    return { code: error.code, message: error.message, registry: error.registry ?? null, details, exitCode: permission ? EXIT.NOT_PERMITTED : EXIT.FAILED };
  }
  return { code: 'INTERNAL', message: (error as Error)?.message ?? String(error), registry: null, details: null, exitCode: EXIT.FAILED };
}

/** Errors always go to stderr: one `modelgate: CODE: message` line, or one JSON object with -o json. */
export function reportError(error: unknown, json: boolean, err: (line: string) => void): number {
  const r = describeError(error);
  if (json) err(JSON.stringify({ code: r.code, message: r.message, registry: r.registry, details: r.details }));
  else err(r.code === 'USAGE' || r.code === 'UNREACHABLE' ? `modelgate: ${r.message}` : `modelgate: ${r.code}: ${r.message}`);
  return r.exitCode;
}
