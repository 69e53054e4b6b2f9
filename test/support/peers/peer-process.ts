import { spawn, type SpawnOptions } from 'node:child_process';
import { waitForHttp } from './free-port.ts';

export interface PeerProcess {
  stop(): Promise<void>;
  /** Sends a signal (SIGKILL: no chance to clean up) and waits for the process to be gone. */
  kill(signal: NodeJS.Signals): Promise<void>;
}

/**
 * Starts a peer server and waits until `readyUrl` answers; its output is kept (last 4 kB)
 * to explain a failed start. The pipes are drained for the process's whole life.
 */
export async function startPeerProcess(label: string, command: string, args: string[], readyUrl: string, options: SpawnOptions = {}): Promise<PeerProcess> {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exited: string | null = null;
  child.once('exit', (code, signal) => {
    exited = `${label} exited (code ${code}, signal ${signal}) before it was ready:\n${output}`;
  });
  try {
    // A machine shared with other suites can take longer: MODELGATE_PEER_START_MS raises the wait.
    await waitForHttp(readyUrl, Number(process.env.MODELGATE_PEER_START_MS) || 120_000, () => exited);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`Could not start ${label} for the tests: ${(error as Error).message}\n${output}`);
  }
  return {
    async kill(signal) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill(signal);
      await gone;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await gone;
      clearTimeout(timer);
    },
  };
}
