import { CreateModelPackageCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SageMakerRegistry } from '../../adapters/sagemaker/index.ts';
import { VertexRegistry } from '../../adapters/vertex/index.ts';
import { postGraphQL, startTestGateway, type TestGateway } from '../support/gateway.ts';
import { startMotoServer, type MotoServer } from '../support/peers/moto-server.ts';
import { standinClientOptions, standinModelClient } from '../support/vertex/vertex-client.ts';
import { startVertexStandin, type VertexStandin } from '../support/vertex/vertex-standin.ts';
import { subscribe, wsClient } from './support.ts';

const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

describe('the backend watcher on SageMaker (moto_server) and Vertex AI (the stand-in)', () => {
  let moto: MotoServer;
  let standin: VertexStandin;
  let test: TestGateway;
  const gql = async (query: string, variables: Record<string, unknown>) => {
    const { body } = await postGraphQL(test.url, query, variables);
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  };
  const register = (registry: string, name: string, source: string) =>
    gql('mutation($r: String!, $n: String!, $s: String!) { registerVersion(registry: $r, name: $n, source: $s) { version } }', { r: registry, n: name, s: source });

  beforeAll(async () => {
    [moto, standin] = await Promise.all([startMotoServer(), startVertexStandin()]);
    test = await startTestGateway({
      adapters: () => [
        new SageMakerRegistry({ id: 'sagemaker', region: 'us-east-1', endpoint: moto.url, credentials: CREDENTIALS, maxAttempts: 1 }),
        new VertexRegistry({ id: 'vertex', project: 'test-project', location: 'us-central1', clientOptions: standinClientOptions(standin) }),
      ],
      config: { watch: { intervalSeconds: 1, models: ['watched-*'] } } as never,
    });
  });
  afterAll(async () => {
    await test?.stop();
    await Promise.all([moto?.stop(), standin?.stop()]);
  });

  it('reports a version registered directly in SageMaker (a pipeline step) as EXTERNAL_CHANGE', async () => {
    await register('sagemaker', 'watched-sm', 's3://m/watched/1');
    const stream = subscribe(wsClient(test.url), { registry: 'sagemaker', name: 'watched-sm', types: ['EXTERNAL_CHANGE'] });
    await new Promise((r) => setTimeout(r, 2_500));
    expect(stream.events).toEqual([]); // the gateway's own registration is not external

    const sagemaker = new SageMakerClient({ region: 'us-east-1', endpoint: moto.url, credentials: CREDENTIALS });
    await sagemaker.send(new CreateModelPackageCommand({ ModelPackageGroupName: 'watched-sm', ModelApprovalStatus: 'PendingManualApproval', SourceUri: 's3://m/watched/2' }));
    const [found] = await stream.until(1);
    expect(found).toMatchObject({ type: 'EXTERNAL_CHANGE', registry: 'sagemaker', model: 'watched-sm', version: '2', principal: 'external', after: { change: 'VERSION_REGISTERED', stage: 'NONE' } });
    sagemaker.destroy();
    stream.stop();
  });

  it('reports an alias moved directly in Vertex AI (mergeVersionAliases) as EXTERNAL_CHANGE', async () => {
    await register('vertex', 'watched-vx', 'gs://m/watched/1');
    await register('vertex', 'watched-vx', 'gs://m/watched/2');
    const stream = subscribe(wsClient(test.url), { registry: 'vertex', name: 'watched-vx', types: ['EXTERNAL_CHANGE'] });
    await new Promise((r) => setTimeout(r, 2_500));
    expect(stream.events).toEqual([]);

    const client = standinModelClient(standin);
    const [models] = await client.listModels({ parent: 'projects/test-project/locations/us-central1', filter: 'display_name="watched-vx"' });
    await client.mergeVersionAliases({ name: `${models[0]!.name}@2`, versionAliases: ['champion'] });
    const [found] = await stream.until(1);
    expect(found).toMatchObject({ type: 'EXTERNAL_CHANGE', registry: 'vertex', model: 'watched-vx', version: '2', principal: 'external', after: { change: 'ALIAS_CHANGED' } });
    expect(JSON.stringify(found!.after)).toContain('champion');
    await client.close();
    stream.stop();
  });
});
