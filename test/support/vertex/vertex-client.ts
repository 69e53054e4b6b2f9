import { v1 } from '@google-cloud/aiplatform';
import { credentials } from '@grpc/grpc-js';
import { PassThroughClient } from 'google-auth-library';
import type { VertexStandin } from './vertex-standin.ts';

/** Google's own ModelServiceClient, pointed at the stand-in without TLS or credentials. */
export function standinClientOptions(standin: VertexStandin) {
  return {
    apiEndpoint: standin.host,
    port: standin.port,
    sslCreds: credentials.createInsecure(),
    authClient: new PassThroughClient(),
  };
}

export function standinModelClient(standin: VertexStandin): v1.ModelServiceClient {
  return new v1.ModelServiceClient(standinClientOptions(standin) as never);
}

/** The Vertex adapter on a fresh stand-in, torn down together: the subject of the shared suites. */
export async function vertexSubject(id = 'vertex') {
  const { startVertexStandin } = await import('./vertex-standin.ts');
  const { VertexRegistry } = await import('../../../adapters/vertex/index.ts');
  const standin = await startVertexStandin();
  const adapter = new VertexRegistry({ id, project: 'test-project', location: 'us-central1', clientOptions: standinClientOptions(standin) });
  return {
    adapter,
    standin,
    /** RPCs the stand-in served, by method name (sorted), for read-cost pins. */
    backend: {
      get calls() {
        return [...standin.calls].flatMap(([method, count]) => Array.from({ length: count }, () => method)).sort();
      },
      reset: () => standin.calls.clear(),
    },
    teardown: async () => {
      await adapter.close();
      await standin.stop();
    },
  };
}
