import { freePort } from './free-port.ts';
import { startPeerProcess } from './peer-process.ts';
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
  const peer = await startPeerProcess('moto_server', venvBin('moto_server'), ['-H', '127.0.0.1', '-p', String(port)], `${url}/moto-api/data.json`);
  return {
    url,
    async reset() {
      const response = await fetch(`${url}/moto-api/reset`, { method: 'POST' });
      if (!response.ok) throw new Error(`moto reset failed: HTTP ${response.status}`);
    },
    stop: () => peer.stop(),
  };
}
