import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalRegistry } from '../../adapters/local/index.ts';
import { Stage, type Capabilities, type RegistryAdapter } from '../../src/core/index.ts';
import { describeCheck, evaluateGates } from '../../src/workflows/gates.ts';
import type { Gate } from '../../src/workflows/policy.ts';

describe('gate messages: actual, comparator, threshold', () => {
  const registry = new LocalRegistry({ id: 'local', path: ':memory:' });
  const policy = (gates: Gate[]) => ({ gates, approvals: 0, allowSelfApproval: false, approvalTtlMs: null });
  const messages = async (gates: Gate[], on: RegistryAdapter = registry, version = '1') => {
    const [found] = await on.getVersions([{ name: 'Gates', version }]);
    return (await evaluateGates(on, found!, policy(gates))).checks.map(describeCheck);
  };

  beforeAll(async () => {
    await registry.createModel({ name: 'Gates' });
    await registry.createVersion({ name: 'Gates', metrics: { accuracy: 0.88, latency_ms: 62, recall: 0.1 + 0.2, f1: 0.8999999 } });
  });
  afterAll(() => registry.close());

  it('says what failed and what passed, with both numbers to the same decimals', async () => {
    expect(
      await messages([
        { kind: 'metric', metric: 'accuracy', min: 0.9 },
        { kind: 'metric', metric: 'accuracy', min: 0.85, max: 0.95 },
        { kind: 'metric', metric: 'latency_ms', max: 50 },
        { kind: 'metric', metric: 'latency_ms', max: 62.5 },
        { kind: 'metric', metric: 'recall', min: 0.3 },
        { kind: 'metric', metric: 'f1', min: 0.9 },
        { kind: 'metric', metric: 'auc', min: 0.7 },
      ]),
    ).toEqual([
      'Failed: accuracy 0.88 < min 0.90',
      'Passed: accuracy 0.88 >= min 0.85 and <= max 0.95',
      'Failed: latency_ms 62 > max 50',
      'Passed: latency_ms 62.0 <= max 62.5',
      'Passed: recall 0.3 >= min 0.3',
      'Failed: f1 0.8999999 < min 0.9000000',
      'Failed: auc was not recorded (needs >= 0.7; metrics are recorded with registerVersion)',
    ]);
  });

  it('names the remedy, and says so when the backend itself stands in the way', async () => {
    const gates: Gate[] = [{ kind: 'description' }, { kind: 'tag', key: 'Validated' }, { kind: 'tag', key: 'team', value: 'risk' }, { kind: 'currentStage', stage: Stage.STAGING }];
    expect(await messages(gates)).toEqual([
      'Failed: description is empty (set one with updateVersion)',
      'Failed: tag Validated is missing (set it with setTags)',
      'Failed: tag team is missing (set it with setTags)',
      'Failed: version is in NONE, must be in STAGING',
    ]);
    // A backend that cannot change descriptions and holds only lowercase tag keys (as its capabilities declare).
    const strict = Object.create(registry) as RegistryAdapter;
    const capabilities = registry.capabilities();
    strict.capabilities = (): Capabilities => ({
      ...capabilities,
      versionDescriptionMutable: false,
      limits: { ...capabilities.limits, tagKey: { maxLength: 63, pattern: /^[a-z][a-z0-9_-]*$/, rule: 'lowercase letters, digits, _ and -' } },
    });
    expect((await messages(gates.slice(0, 2), strict)).map((m) => m.replace(/^Failed: /, ''))).toEqual([
      'description is empty (this registry cannot change a description after registration; register a new version with one)',
      "tag Validated is missing (this registry cannot hold tag key 'Validated' (lowercase letters, digits, _ and -); change the policy's tag gate)",
    ]);
  });
});
