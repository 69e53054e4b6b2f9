import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.ts';
import { postGraphQL, startTestGateway, type TestGateway } from '../support/gateway.ts';

/** Runs `modelgate events tail ...` in-process until `lines` events were printed. */
async function tail(url: string, args: string[], lines: number, during: () => Promise<void> = async () => undefined) {
  const out: string[] = [];
  const err: string[] = [];
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const state = { exitCode: 0 };
  const io = {
    env: {},
    out: (text: string) => {
      out.push(text);
      if (out.length >= lines) stop();
    },
    err: (text: string) => err.push(text),
    stop: stopped,
  };
  // Usage errors surface as CommanderError, which the real entry point (src/cli/main.ts) turns into exit 2.
  const done = buildProgram(io, '0.0.0', state)
    .parseAsync(['--url', url, 'events', 'tail', ...args], { from: 'user' })
    .catch((error: { code?: string; message: string }) => {
      state.exitCode = error.code === 'commander.invalidArgument' ? 2 : 1;
      err.push(error.message);
      stop();
    });
  await new Promise((r) => setTimeout(r, 500));
  await during();
  const timer = setTimeout(stop, 20_000);
  await done;
  clearTimeout(timer);
  return { code: state.exitCode, out, err };
}

describe('modelgate events tail', () => {
  let test: TestGateway;
  const mutate = (query: string) => postGraphQL(test.url, query);

  beforeAll(async () => {
    test = await startTestGateway();
  });
  afterAll(() => test?.stop());

  it('follows the stream as JSON lines, filtered by model and type, and resumes with --after', async () => {
    const live = await tail(test.url, ['--model', 'Churn', '--types', 'stage_changed,version_registered', '--json'], 2, async () => {
      await mutate('mutation { registerVersion(name: "Other") { version } }');
      await mutate('mutation { registerVersion(name: "Churn") { version } }');
      await mutate('mutation { setAlias(name: "Churn", alias: "champion", version: "1") { version } }');
      await mutate('mutation { transitionStage(name: "Churn", version: "1", stage: STAGING) { version { stage } } }');
    });
    expect(live.code).toBe(0);
    const events = live.out.map((line) => JSON.parse(line));
    expect(events.map((e) => [e.type, e.model, e.version])).toEqual([['VERSION_REGISTERED', 'Churn', '1'], ['STAGE_CHANGED', 'Churn', '1']]);
    expect(live.err.join('\n')).toContain(`resume with --after ${events[1].seq}`);

    await mutate('mutation { registerVersion(name: "Churn") { version } }');
    const resumed = await tail(test.url, ['--model', 'Churn', '--after', String(events[1].seq)], 1);
    expect(resumed.out[0]).toMatch(/VERSION_REGISTERED\s+local\/Churn v2\s+by anonymous/);
  });

  it('refuses a bad type before connecting, and an after beyond the log from the gateway', async () => {
    const badType = await tail(test.url, ['--types', 'stage_moved'], 1);
    expect(badType.code).toBe(2);
    expect(badType.err.join('\n')).toMatch(/must be one of VERSION_REGISTERED.*not 'stage_moved'/);
    const beyond = await tail(test.url, ['--after', '999999'], 1);
    expect(beyond.code).toBe(2);
    expect(beyond.err.join('\n')).toMatch(/after must be a seq.*INVALID_INPUT/);
  });
});
