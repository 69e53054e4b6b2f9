import { run } from '../../../src/cli/run.ts';

/** Runs `modelgate ARGS` in this process, through the CLI's own entry point; `tty` gives it a terminal status line. */
export async function modelgate(url: string, args: string[], tty = false) {
  const out: string[] = [];
  const err: string[] = [];
  const frames: (string | null)[] = [];
  const io = { env: { MODELGATE_URL: url }, out: (s: string) => out.push(s), err: (s: string) => err.push(s), ...(tty ? { progress: (line: string | null) => frames.push(line) } : {}) };
  const code = await run(args, io);
  return { code, out, err, frames };
}
