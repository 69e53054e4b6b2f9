import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MlflowRegistry } from '../../adapters/mlflow/index.ts';
import { postGraphQL, startTestGateway, type TestGateway } from '../support/gateway.ts';
import { venvBin } from '../support/peers/python-env.ts';
import { subscribe, wsClient } from './support.ts';

const script = fileURLToPath(new URL('../support/mlflow/move_stage.py', import.meta.url));

/** The official MLflow client moves a stage directly, behind the gateway's back. */
const moveInMlflow = (model: string, version: string, stage: string) =>
  promisify(execFile)(venvBin('python'), [script, inject('mlflowUrl'), model, version, stage], { encoding: 'utf8', timeout: 120_000 });

describe('the backend watcher on a real MLflow server', () => {
  const model = `watched-${randomUUID().slice(0, 8)}`;
  let test: TestGateway;
  const gql = async (query: string, variables: Record<string, unknown> = {}) => {
    const { body } = await postGraphQL(test.url, query, { name: model, ...variables });
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  };

  beforeAll(async () => {
    test = await startTestGateway({
      adapters: () => [new MlflowRegistry({ id: 'mlflow', trackingUri: inject('mlflowUrl') })],
      config: { watch: { intervalSeconds: 1, models: ['watched-*'] } } as never,
    });
  });
  afterAll(() => test?.stop());

  it('turns stage moves made with the MLflow client into EXTERNAL_CHANGE events, and rollback uses them', async () => {
    for (let i = 0; i < 3; i++) await gql('mutation($name: String!) { registerVersion(name: $name, source: "s3://m/watched") { version } }');
    await gql('mutation($name: String!) { transitionStage(name: $name, version: "1", stage: PRODUCTION, archiveExisting: true) { version { stage } } }');
    const stream = subscribe(wsClient(test.url), { name: model, types: ['EXTERNAL_CHANGE'] });
    // The gateway's own changes are never reported as external.
    await new Promise((r) => setTimeout(r, 2_500));
    expect(stream.events).toEqual([]);

    await moveInMlflow(model, '2', 'Production');
    const seen = await stream.until(2);
    expect(seen.map((e) => [e.version, e.after])).toEqual([
      ['1', { change: 'STAGE_CHANGED', stage: 'ARCHIVED' }],
      ['2', { change: 'STAGE_CHANGED', stage: 'PRODUCTION' }],
    ]);
    expect(seen[1]).toMatchObject({ type: 'EXTERNAL_CHANGE', registry: 'mlflow', principal: 'external', before: { stage: 'NONE' } });

    await moveInMlflow(model, '3', 'Production');
    await stream.until(4);
    // History now reads 3, 2, 1: rolling back from 3 goes to 2, which only the watcher saw enter PRODUCTION.
    const rolled = await gql('mutation($name: String!) { rollback(name: $name, reason: "bad deploy") { rule to { version stage } } }');
    expect(rolled.rollback).toEqual({ rule: 'PRODUCTION_HISTORY', to: { version: '2', stage: 'PRODUCTION' } });
    await new Promise((r) => setTimeout(r, 2_500));
    // The rollback itself is the gateway's: still four external changes.
    expect(stream.events).toHaveLength(4);
    stream.stop();
  });
});
