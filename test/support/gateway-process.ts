import { freePort } from './peers/free-port.ts';
import { startPeerProcess, type PeerProcess } from './peers/peer-process.ts';

export interface GatewayProcess extends PeerProcess {
  url: string;
  port: number;
}

/** A real gateway process, `node --import tsx src/server/main.ts --config FILE`, as an operator runs it. */
export async function startGatewayProcess(config: string, options: { preload?: string[]; env?: Record<string, string>; port?: number } = {}): Promise<GatewayProcess> {
  const port = options.port ?? (await freePort());
  const preload = (options.preload ?? []).flatMap((module) => ['--import', module]);
  const peer = await startPeerProcess(
    'gateway',
    process.execPath,
    ['--import', 'tsx', ...preload, 'src/server/main.ts', '--config', config, '--port', String(port)],
    `http://127.0.0.1:${port}/healthz`,
    { env: { ...process.env, MODELGATE_CONFIG: '', ...options.env } },
  );
  return { ...peer, url: `http://127.0.0.1:${port}/graphql`, port };
}

/** Posts one GraphQL document; network failures (a killed gateway) come back as `null`. */
export async function graphql<T = any>(url: string, query: string, variables?: Record<string, unknown>): Promise<{ data?: T; errors?: { message: string; extensions?: Record<string, unknown> }[] } | null> {
  try {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
    return (await response.json()) as { data?: T; errors?: { message: string; extensions?: Record<string, unknown> }[] };
  } catch {
    return null;
  }
}
