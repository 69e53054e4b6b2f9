/**
 * Every test timeout and wait deadline in one setting: MODELGATE_TEST_TIME_SCALE (default 1)
 * multiplies them, so a slow or loaded machine (or CI) gives the whole suite more time at once.
 * Only limits scale: a deadline the gateway itself enforces (deadlineMs in a config) does not.
 */
function readScale(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return 1;
  const scale = Number(raw);
  if (!Number.isFinite(scale) || scale <= 0) throw new Error(`MODELGATE_TEST_TIME_SCALE must be a positive number, got "${raw}"`);
  return scale;
}

export const TIME_SCALE = readScale(process.env.MODELGATE_TEST_TIME_SCALE);

/** `ms` times MODELGATE_TEST_TIME_SCALE: use it for every hard-coded test timeout, wait deadline or time bound. */
export const scaled = (ms: number): number => Math.round(ms * TIME_SCALE);

/** Polls `check` every `everyMs` until it holds or `withinMs` (scaled) passes; true when it held. */
export async function until(check: () => boolean | Promise<boolean>, withinMs: number, everyMs = 25): Promise<boolean> {
  const deadline = Date.now() + scaled(withinMs);
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
