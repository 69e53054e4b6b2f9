import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalRegistry } from '../../adapters/local/index.ts';
import type { RegistryAdapter } from '../../src/core/index.ts';
import { postGraphQL, startTestGateway, type TestGateway } from '../support/gateway.ts';

/** A registry whose getModel hits a bug: the kind of failure clients must never see the inside of. */
function brokenRegistry(inner: RegistryAdapter): RegistryAdapter {
  return new Proxy(inner, {
    get(target, property, receiver) {
      if (property === 'getModel') {
        return async () => {
          throw new TypeError('secret-internal-detail: cannot read properties of undefined (reading "rows")');
        };
      }
      return Reflect.get(target, property, receiver);
    },
  });
}

describe('error masking', () => {
  let test: TestGateway;

  beforeAll(async () => {
    test = await startTestGateway({
      adapters: (dir) => [brokenRegistry(new LocalRegistry({ id: 'local', path: join(dir, 'local.db') }))],
    });
  });
  afterAll(() => test.stop());

  it('masks an unexpected error as INTERNAL with a request id, and logs the detail', async () => {
    const { status, body, headers } = await postGraphQL(test.url, '{ model(name: "any") { name } }', undefined, {
      'x-request-id': 'req-abc-123',
    });
    expect(status).toBe(200);
    expect(headers.get('x-request-id')).toBe('req-abc-123');
    const [error] = body.errors!;
    expect(error.extensions).toEqual({ code: 'INTERNAL', requestId: 'req-abc-123' });
    expect(error.message).toBe('Internal error; request id req-abc-123');
    expect(JSON.stringify(body)).not.toContain('secret-internal-detail');
    expect(JSON.stringify(body)).not.toMatch(/at .*\.ts:\d+/);
    const logged = test.logs.map((line) => JSON.parse(line)).find((entry) => entry.requestId === 'req-abc-123' && entry.level === 50);
    expect(logged?.err?.message).toContain('secret-internal-detail');
  });

  it('keeps other fields answering when one fails', async () => {
    const { body } = await postGraphQL(test.url, '{ registries { id } model(name: "any") { name } }');
    expect(body.data.registries).toEqual([{ id: 'local' }]);
    expect(body.data.model).toBeNull();
    expect(body.errors?.[0]?.extensions?.code).toBe('INTERNAL');
  });

  it('an explicit null through a nullable variable into a non-null argument with a default is INVALID_INPUT naming it, logged as a refusal', async () => {
    const { body } = await postGraphQL(test.url, 'query($goal: Goal, $format: CardFormat) { registries { id } best: bestVersion(metric: "auc", name: "m", goal: $goal) { value } card: modelCard(name: "m", version: "1", format: $format) }', { goal: null, format: null });
    expect(body.data.registries).toEqual([{ id: 'local' }]);
    expect(body.errors!.map((e) => [e.path, e.extensions])).toEqual([
      [['best'], { code: 'INVALID_INPUT', reason: 'BAD_USER_INPUT' }],
      [['card'], { code: 'INVALID_INPUT', reason: 'BAD_USER_INPUT' }],
    ]);
    expect(body.errors![0]!.message).toBe('Argument "goal" of non-null type "Goal!" must not be null.');
    expect(test.logs.map((line) => JSON.parse(line)).filter((entry) => entry.level === 50 && /must not be null/.test(JSON.stringify(entry)))).toEqual([]);
  });
});
