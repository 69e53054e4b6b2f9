import { spawn } from 'node:child_process';
import { freePort, waitForHttp } from './free-port.ts';
import { ensureMoto, venvBin } from './python-env.ts';

export interface MotoServer {
  url: string;
  /** Forgets every resource (POST /moto-api/reset). */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/** A real moto_server on a free 127.0.0.1 port: the SageMaker API as moto implements it. */
export async function startMotoServer(): Promise<MotoServer> {
  ensureMoto();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(venvBin('moto_server'), ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited: string | null = null;
  child.once('exit', (code, signal) => {
    exited = `moto_server exited (code ${code}, signal ${signal}):\n${output}`;
  });
  try {
    await waitForHttp(`${url}/moto-api/data.json`, 60_000, () => exited);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`Could not start moto_server for the tests: ${(error as Error).message}`);
  }
  return {
    url,
    async reset() {
      const response = await fetch(`${url}/moto-api/reset`, { method: 'POST' });
      if (!response.ok) throw new Error(`moto reset failed: HTTP ${response.status}`);
    },
    async stop() {
      if (child.exitCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await gone;
      clearTimeout(timer);
    },
  };
}
