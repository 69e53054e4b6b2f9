import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.ts';
import { startPeerProcess } from './peer-process.ts';
import { ensureMlflow, venvBin } from './python-env.ts';

export interface MlflowServer {
  url: string;
  dir: string;
  /** Process group of the server and its workers. */
  pid: number;
  stop(): Promise<void>;
}

/** A real `mlflow server` on a free 127.0.0.1 port with a SQLite store in a temp dir. */
export async function startMlflowServer(): Promise<MlflowServer> {
  ensureMlflow();
  const dir = mkdtempSync(join(tmpdir(), 'modelgate-mlflow-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = [
    'server',
    '--backend-store-uri', `sqlite:///${join(dir, 'mlflow.db')}`,
    '--default-artifact-root', join(dir, 'artifacts'),
    '--host', '127.0.0.1',
    '--port', String(port),
    '--workers', '1',
  ];
  let peer;
  try {
    peer = await startPeerProcess('mlflow server', venvBin('mlflow'), args, `${url}/health`, { env: { ...process.env, MLFLOW_TRACKING_URI: '' } });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url,
    dir,
    pid: peer.pid,
    async stop() {
      await peer.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
