// Attack on "one owner per embedded data directory" (issue 11): two gateways started at the same instant.
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { claimDataDir } from '../../src/store/data-dir.ts';
import { scaled } from '../support/time-scale.ts';

type Round = { round: number; ok: boolean; from: number; to: number; error?: string };

const child = (dir: string, start: number, rounds: number, period: number) =>
  new Promise<Round[]>((resolve, reject) =>
    execFile(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'support/claim-rounds.ts'), dir, String(start), String(rounds), String(period)], { timeout: scaled(50_000) }, (error, stdout) =>
      error ? reject(error) : resolve(JSON.parse(stdout) as Round[]),
    ),
  );

describe('attack: one owner per data directory', () => {
  it('of two processes claiming one (already used) data directory at the same instant, exactly one gets it', { timeout: scaled(60_000) }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mg-attack-dd-'));
    claimDataDir(dir).release(); // a directory a gateway used before: modelgate.owner.db and its table exist
    const rounds = 200;
    const period = 100;
    const start = Date.now() + scaled(6_000); // both children are up by then
    const [a, b] = await Promise.all([child(dir, start, rounds, period), child(dir, start, rounds, period)]);
    const bad = a!.flatMap((x, i) => {
      const y = b![i]!;
      // Two owners at once, whenever it happens, is the worst failure.
      if (x.ok && y.ok && x.from < y.to && y.from < x.to) return [{ round: i, both: 'OWNED BY BOTH', a: x, b: y }];
      // Only rounds where the two really ran together (a loaded machine can make one child late).
      if (Math.abs(x.from - y.from) > 25) return [];
      if (!x.ok && !y.ok) return [{ round: i, both: 'REFUSED BY BOTH', a: x, b: y }];
      return [];
    });
    expect(bad).toEqual([]);
  });
});
