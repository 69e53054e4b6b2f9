import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, waitForHttp } from '../support/peers/free-port.ts';
import { modelgateOnPath, runBash } from './support/run-cli.ts';
import { ensureBuilt } from '../support/build.ts';
import { scaled } from '../support/time-scale.ts';

// The commands run the compiled dist/: rebuilt first if a source changed since (under the build lock other files share).
beforeAll(() => ensureBuilt(), scaled(600_000));

interface Step {
  line: string;
  command: string;
  exit: number;
  expect: string[];
}

/** The README's CLI walkthrough: the first sh block of "The `modelgate` command". */
function walkthrough(): Step[] {
  const readme = readFileSync('README.md', 'utf8');
  const section = readme.slice(readme.indexOf('## The `modelgate` command'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)![1]!;
  const steps: Step[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('#   ')) steps.at(-1)!.expect.push(line.slice(4));
    else if (line.trim() && !line.startsWith('#')) {
      const exit = /#\s*exit (\d+)\s*$/.exec(line);
      steps.push({ line, command: line.replace(/\s+#.*$/, ''), exit: exit ? Number(exit[1]) : 0, expect: [] });
    }
  }
  return steps;
}

const squeeze = (text: string) => text.replace(/[ \t]+/g, ' ');

describe("the README's CLI walkthrough, verbatim against `modelgate serve --demo`", () => {
  let dir: string;
  let server: ChildProcess;
  let url: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'modelgate-readme-'));
    const port = await freePort();
    url = `http://127.0.0.1:${port}/graphql`;
    server = spawn(process.execPath, [resolve('bin/modelgate.js'), 'serve', '--demo', '--port', String(port), '--data-dir', dir], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    server.stdout!.on('data', (c: Buffer) => (output += c));
    server.stderr!.on('data', (c: Buffer) => (output += c));
    await waitForHttp(`http://127.0.0.1:${port}/healthz`, 60_000, () => (server.exitCode !== null ? `serve exited: ${output}` : null));
  }, scaled(90_000));
  afterAll(async () => {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs every command with the documented exit code and output', async () => {
    const steps = walkthrough();
    expect(steps[0]!.command).toBe('modelgate serve --demo');
    expect(steps.length).toBeGreaterThan(15);
    const path = `${modelgateOnPath()}:${process.env.PATH}`;
    for (const step of steps.slice(1)) {
      const result = await runBash(step.command, { PATH: path, MODELGATE_URL: url, MODELGATE_TOKEN: '' }, dir);
      const seen = squeeze(result.stdout + result.stderr);
      expect({ line: step.line, code: result.code, output: seen }).toMatchObject({ line: step.line, code: step.exit });
      for (const wanted of step.expect) expect(seen, step.line).toContain(squeeze(wanted));
    }
  }, scaled(240_000));
});
