import type { Caller } from '../../src/workflows/command.ts';

/** A caller allowed everything, as a workflow test's principal. */
export const as = (principal: string): Caller => ({ principal, authorize: () => undefined });
