import { spawn, type SpawnOptions } from 'node:child_process';
import { waitForHttp } from './free-port.ts';
import { scaled } from '../time-scale.ts';

export interface PeerProcess {
  /** The peer's pid, which is also its process group's id (benches read the group's CPU time). */
  readonly pid: number;
  stop(): Promise<void>;
  /** Sends a signal (SIGKILL: no chance to clean up) and waits for the process to be gone. */
  kill(signal: NodeJS.Signals): Promise<void>;
}

/**
 * Starts a peer server and waits until `readyUrl` answers; its output is kept (last 4 kB)
 * to explain a failed start. The pipes are drained for the process's whole life.
 */
export async function startPeerProcess(label: string, command: string, args: string[], readyUrl: string, options: SpawnOptions = {}): Promise<PeerProcess> {
  // Its own process group: a peer that must be killed (MLflow's uvicorn and job runners) takes its children along, no orphans.
  const child = spawn(command, args, { ...options, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const killGroup = () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
  };
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
    // A hang guard only (a dead peer fails at once): MLflow's first start creates its database, minutes on a loaded machine.
    await waitForHttp(readyUrl, Number(process.env.MODELGATE_PEER_START_MS) || 300_000, () => exited);
  } catch (error) {
    killGroup();
    throw new Error(`Could not start ${label} for the tests: ${(error as Error).message}\n${output}`);
  }
  return {
    pid: child.pid!,
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
      const timer = setTimeout(killGroup, scaled(5_000));
      await gone;
      clearTimeout(timer);
    },
  };
}
