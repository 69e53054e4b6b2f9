import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startGatewayProcess } from '../support/gateway-process.ts';
import { freePort } from '../support/peers/free-port.ts';
import { scaled } from '../support/time-scale.ts';

/** Runs `modelgate serve` to its exit and returns what it said. */
async function runToExit(config: string): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/main.ts', '--config', config, '--port', String(await freePort())], {
    env: { ...process.env, MODELGATE_CONFIG: '' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stderr };
}

describe('one gateway process per embedded data directory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'modelgate-owner-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a second process, naming the one that holds it, and frees the directory when the holder dies, even by kill -9', async () => {
    const config = join(dir, 'modelgate.yaml');
    writeFileSync(config, `log: { level: warn }\ndataDir: ${dir}\n`);
    const first = await startGatewayProcess(config);
    const holder = JSON.parse(readFileSync(join(dir, 'modelgate.owner.json'), 'utf8')) as { pid: number };
    const second = await runToExit(config);
    expect(second.code).toBe(2);
    expect(second.stderr).toContain(`Data directory ${dir} is in use by another modelgate process (pid ${holder.pid}`);
    expect(second.stderr).not.toMatch(/\n\s+at /);

    await first.kill('SIGKILL');
    const after = await startGatewayProcess(config);
    await after.stop();
  }, scaled(120_000));
});
