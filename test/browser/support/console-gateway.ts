import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_POLICIES } from '../../../src/server/demo.ts';
import { freePort } from '../../support/peers/free-port.ts';
import { startPeerProcess } from '../../support/peers/peer-process.ts';

/** The API keys of the console tests: a viewer, an editor, an approver and an administrator for setup. */
export const KEYS = {
  viewer: 'console-viewer-4b1e7a',
  editor: 'console-editor-93c0d2',
  approver: 'console-approver-1f8a65',
  admin: 'console-admin-7d2c90',
} as const;
export type Role = keyof typeof KEYS;

export interface ConsoleGateway {
  origin: string;
  graphqlUrl: string;
  /** Posts GraphQL as one of the keys (test setup and checks, not what the browser does). */
  as(role: Role, query: string, variables?: Record<string, unknown>): Promise<{ data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[] }>;
  stop(): Promise<void>;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * A gateway process with the demo (ChurnPredictionModel and the tutorial's policies, but no
 * self-approval) and four API keys; `extraPolicies` add to the demo's.
 */
export async function startConsoleGateway(options: { extraPolicies?: unknown[]; introspection?: boolean } = {}): Promise<ConsoleGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'modelgate-console-'));
  const config = {
    dataDir: join(dir, 'data'),
    log: { level: 'warn' },
    server: { introspection: options.introspection ?? true },
    auth: {
      apiKeys: (Object.keys(KEYS) as Role[]).map((role) => ({ name: role, sha256: sha256(KEYS[role]), grants: [{ role, registries: ['*'], models: ['*'] }] })),
    },
    policies: [...DEMO_POLICIES.map((p) => ({ ...p, allowSelfApproval: false })), ...(options.extraPolicies ?? [])],
  };
  const file = join(dir, 'modelgate.json');
  writeFileSync(file, JSON.stringify(config));
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const peer = await startPeerProcess('gateway', process.execPath, ['--import', 'tsx', 'src/server/main.ts', '--config', file, '--port', String(port), '--demo'], `${origin}/healthz`, {
    env: { ...process.env, MODELGATE_CONFIG: '' },
  });
  const graphqlUrl = `${origin}/graphql`;
  return {
    origin,
    graphqlUrl,
    async as(role, query, variables) {
      const response = await fetch(graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS[role]}` },
        body: JSON.stringify({ query, variables }),
      });
      return (await response.json()) as never;
    },
    async stop() {
      await peer.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
