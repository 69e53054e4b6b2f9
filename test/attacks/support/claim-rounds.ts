// Child process for the data-directory attack: at each agreed instant, claim the directory, hold it a moment, release it.
import { claimDataDir } from '../../../src/store/data-dir.ts';

const [dir, startArg, roundsArg, periodArg] = process.argv.slice(2);
const start = Number(startArg);
const period = Number(periodArg);
const results: { round: number; ok: boolean; from: number; to: number; error?: string }[] = [];
for (let round = 0; round < Number(roundsArg); round++) {
  const at = start + round * period;
  while (Date.now() < at) {
    // spin: both processes try at the same instant
  }
  const from = Date.now();
  try {
    const claim = claimDataDir(dir!);
    // Owned from the moment the claim returned (a loser may have waited for the winner to let go).
    const got = Date.now();
    const hold = got + period / 2;
    while (Date.now() < hold) {
      // hold the claim
    }
    results.push({ round, ok: true, from: got, to: Date.now() });
    claim.release();
  } catch (error) {
    results.push({ round, ok: false, from, to: Date.now(), error: (error as Error).name });
  }
}
process.stdout.write(JSON.stringify(results));
