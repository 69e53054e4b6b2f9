import { createHash } from 'node:crypto';
import { postGraphQL, startTestGateway, type TestGateway } from '../support/gateway.ts';

/** The two callers the event tests use: `ops` (admin everywhere) and `team-a` (a viewer of TeamA* only). */
export interface EventKeys {
  admin: string;
  scoped: string;
}

const sha = (key: string) => createHash('sha256').update(key).digest('hex');

/** An embedded gateway with the two API keys, answering only to 127.0.0.1. */
export const startKeyedGateway = (keys: EventKeys): Promise<TestGateway> =>
  startTestGateway({
    config: {
      auth: {
        apiKeys: [
          { name: 'ops', sha256: sha(keys.admin), grants: [{ role: 'admin', registries: ['*'], models: ['*'] }] },
          { name: 'team-a', sha256: sha(keys.scoped), grants: [{ role: 'viewer', registries: ['*'], models: ['TeamA*'] }] },
        ],
      } as never,
      server: { allowedHosts: ['127.0.0.1'] } as never,
    },
  });

/** A GraphQL call with `key` that throws on any error; `register` adds a version of a model. */
export function caller(test: () => TestGateway, key: string) {
  const request = (query: string, variables: Record<string, unknown> = {}) =>
    postGraphQL(test().url, query, variables, { authorization: `Bearer ${key}` }).then((r) => {
      if (r.body.errors) throw new Error(JSON.stringify(r.body.errors));
      return r.body.data;
    });
  return { request, register: (name: string) => request('mutation($n: String!) { registerVersion(name: $n) { version } }', { n: name }) };
}
