import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForHttp } from './free-port.ts';
import { ensureMlflow, venvBin } from './python-env.ts';

export interface MlflowServer {
  url: string;
  dir: string;
  stop(): Promise<void>;
}

/** A real `mlflow server` on a free 127.0.0.1 port with a SQLite store in a temp dir. */
export async function startMlflowServer(): Promise<MlflowServer> {
  ensureMlflow();
  const dir = mkdtempSync(join(tmpdir(), 'modelgate-mlflow-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    venvBin('mlflow'),
    [
      'server',
      '--backend-store-uri', `sqlite:///${join(dir, 'mlflow.db')}`,
      '--default-artifact-root', join(dir, 'artifacts'),
      '--host', '127.0.0.1',
      '--port', String(port),
      '--workers', '1',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MLFLOW_TRACKING_URI: '' } },
  );
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited: string | null = null;
  child.once('exit', (code, signal) => {
    exited = `mlflow server exited (code ${code}, signal ${signal}) before it was ready:\n${output}`;
  });
  try {
    await waitForHttp(`${url}/health`, 120_000, () => exited);
  } catch (error) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`Could not start a real MLflow server for the tests: ${(error as Error).message}\n${output}`);
  }
  return {
    url,
    dir,
    async stop() {
      if (child.exitCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await gone;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
