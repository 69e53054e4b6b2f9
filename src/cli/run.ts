import { readFileSync } from 'node:fs';
import { CommanderError } from 'commander';
import { EXIT, UsageError, reportError } from './exit.ts';
import { buildProgram, type Io } from './program.ts';

/** The package's version, from src/cli or from a compiled dist/cli or dist/src/cli. */
function packageVersion(): string {
  for (const path of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as { name?: string; version: string };
      if (pkg.name === 'modelgate') return pkg.version;
    } catch {
      // not at this depth
    }
  }
  return 'unknown';
}
const VERSION = packageVersion();

/** Whether errors should be a JSON object, decided before parsing so parse errors follow it too. */
const wantsJson = (argv: string[]) => argv.includes('--json') || argv.some((a, i) => a === '--output=json' || a === '-ojson' || ((a === '-o' || a === '--output') && argv[i + 1] === 'json'));

/** One `modelgate ARGV` run: the exit code, or -1 when `serve` started a server that keeps the process alive. */
export async function run(argv: string[], io: Io): Promise<number> {
  if (argv[0] === 'serve') {
    process.argv = [process.argv[0]!, 'modelgate', ...argv.slice(1)];
    await import('../server/main.ts');
    return -1; // the server keeps the process alive
  }
  const json = wantsJson(argv);
  // Old scripts passed a model version as --version: refuse them loudly rather than print our version and exit 0.
  if (argv.length > 1 && (argv.includes('--version') || argv.includes('-V') || argv.some((a) => a.startsWith('--version=')))) {
    return reportError(new UsageError('--version prints modelgate\'s version and takes no value; give a model version with --model-version (or -v)'), json, io.err);
  }
  if (argv[0] === '-v') return reportError(new UsageError("-v is a command's --model-version; modelgate's own version is --version (-V)"), json, io.err);
  const state = { exitCode: EXIT.OK as number };
  const program = buildProgram(io, VERSION, state, json);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return state.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return EXIT.OK; // --help, --version
      const message = error.code === 'commander.help' ? 'a command is needed (usage above)' : error.message.replace(/^(error|modelgate): /, '');
      if (json) io.err(JSON.stringify({ code: 'USAGE', message, registry: null, details: null }));
      return EXIT.UNUSABLE;
    }
    return reportError(error, json, io.err);
  }
}
