import { join } from 'node:path';
import Database from 'better-sqlite3';
import { toCardPatch } from '../../src/graphql/card/card.resolver.ts';
import { argumentsHash } from '../../src/workflows/idempotency.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalRegistry } from '../../adapters/local/index.ts';
import { VertexRegistry } from '../../adapters/vertex/index.ts';
import { AuditLogDocument, GetVersionCardDocument, RegisterVersionDocument, UpdateCardDocument, type GatewayClient } from '@modelgate/client';
import { expectGatewayCode, startTestGateway, type TestGateway } from '../support/gateway.ts';
import { standinClientOptions } from '../support/vertex/vertex-client.ts';
import { startVertexStandin, type VertexStandin } from '../support/vertex/vertex-standin.ts';

/* updateCard(merge: true) attacked as an ordinary hostile user would: odd keys, odd text, replayed keys, races. */
describe('updateCard(merge: true) under attack', () => {
  let test: TestGateway;
  let standin: VertexStandin;
  let client: GatewayClient;
  const card = async (name: string, version: string, registry?: string) =>
    (await client.request(GetVersionCardDocument, { registry, name, version })).modelVersion!.card;

  beforeAll(async () => {
    standin = await startVertexStandin();
    test = await startTestGateway({
      adapters: (dir) => [
        new LocalRegistry({ id: 'local', path: join(dir, 'local.db') }),
        new VertexRegistry({ id: 'vertex', project: 'test-project', location: 'us-central1', clientOptions: standinClientOptions(standin) }),
      ],
    });
    client = test.client;
  });
  afterAll(async () => {
    await test?.stop();
    await standin?.stop();
  });

  it('__proto__ and constructor are ordinary hyperparameter keys and dependency names: stored, read back, merged by name', async () => {
    // A dependency name starts with a letter or digit, so __proto__ is refused as a name, plainly.
    const { version: refusedVersion } = (await client.request(RegisterVersionDocument, { registry: 'local', name: 'ProtoDep' })).registerVersion;
    await expectGatewayCode(client.request(UpdateCardDocument, { registry: 'local', name: 'ProtoDep', version: refusedVersion, merge: true, card: { dependencies: [{ name: '__proto__', version: '1' }] } }), 'INVALID_INPUT');
    expect((await card('ProtoDep', refusedVersion, 'local')).dependencies).toEqual([]);
    const { version } = (await client.request(RegisterVersionDocument, { registry: 'local', name: 'ProtoKeys', card: { training: { framework: 'sklearn' } } })).registerVersion;
    await client.request(UpdateCardDocument, {
      registry: 'local', name: 'ProtoKeys', version, merge: true,
      card: { training: { hyperparameters: [{ key: '__proto__', value: 'p' }, { key: 'constructor', value: 'c' }] }, dependencies: [{ name: 'constructor', version: '2' }, { name: 'toString', version: '1' }] },
    });
    await client.request(UpdateCardDocument, {
      registry: 'local', name: 'ProtoKeys', version, merge: true,
      card: { training: { hyperparameters: [{ key: '__proto__', value: 'p2' }] }, dependencies: [{ name: 'CONSTRUCTOR', version: '3' }] },
    });
    const read = await card('ProtoKeys', version, 'local');
    expect(read.training.framework).toBe('sklearn');
    expect(read.training.hyperparameters).toEqual([{ key: '__proto__', value: 'p2' }, { key: 'constructor', value: 'c' }]);
    expect(read.dependencies).toEqual([{ name: 'CONSTRUCTOR', version: '3' }, { name: 'toString', version: '1' }]);
  });

  it('a lone surrogate in a merged field is INVALID_INPUT and nothing changes', async () => {
    const { version } = (await client.request(RegisterVersionDocument, { registry: 'local', name: 'Surrogate', card: { training: { framework: 'sklearn' } } })).registerVersion;
    for (const patch of [
      { training: { framework: 'sk\uD800learn' } },
      { training: { hyperparameters: [{ key: 'lr', value: '\uDC000.1' }] } },
      { training: { hyperparameters: [{ key: 'l\uD800r', value: '0.1' }] } },
      { dependencies: [{ name: 'numpy', version: '1.\uD83D' }] },
    ]) {
      await expectGatewayCode(client.request(UpdateCardDocument, { registry: 'local', name: 'Surrogate', version, merge: true, card: patch }), 'INVALID_INPUT');
    }
    const read = await card('Surrogate', version, 'local');
    expect(read.training).toMatchObject({ framework: 'sklearn', hyperparameters: [] });
    expect(read.dependencies).toEqual([]);
  });

  it('one idempotency key used with merge true and then merge false is CONFLICT, not a replay', async () => {
    const { version } = (await client.request(RegisterVersionDocument, { registry: 'local', name: 'MergeKey', card: { training: { framework: 'sklearn', algorithm: 'gbm' } } })).registerVersion;
    const args = { registry: 'local', name: 'MergeKey', version, card: { training: { dataVersion: 'v7' } }, idempotencyKey: 'merge-key-1' };
    await client.request(UpdateCardDocument, { ...args, merge: true });
    const replay = await client.request(UpdateCardDocument, { ...args, merge: true });
    expect(replay.updateCard.card.training).toMatchObject({ framework: 'sklearn', algorithm: 'gbm', dataVersion: 'v7' });
    // Without merge the same card would clear framework and algorithm: replaying the merge's answer would hide that.
    await expectGatewayCode(client.request(UpdateCardDocument, { ...args, merge: false }), 'CONFLICT');
    // merge is Boolean! = false: an explicit null through a nullable variable is the caller's mistake, named as such (was a masked INTERNAL).
    const nullMerge = await expectGatewayCode(client.request(UpdateCardDocument, { ...args, merge: null as never }), 'INVALID_INPUT');
    expect(nullMerge.message).toContain('"merge"');
    expect((await card('MergeKey', version, 'local')).training).toMatchObject({ framework: 'sklearn', algorithm: 'gbm', dataVersion: 'v7' });
  });

  it('a merge on Vertex is UNSUPPORTED, nothing changes, and the refusal is audited without an intent', async () => {
    const { version } = (await client.request(RegisterVersionDocument, { registry: 'vertex', name: 'vertex-merge', source: 'gs://b/m/1', card: { training: { framework: 'sklearn' } } })).registerVersion;
    await expectGatewayCode(
      client.request(UpdateCardDocument, { registry: 'vertex', name: 'vertex-merge', version, merge: true, card: { training: { dataVersion: 'v2' } } }),
      'UNSUPPORTED',
    );
    expect((await card('vertex-merge', version, 'vertex')).training).toMatchObject({ framework: 'sklearn', dataVersion: null });
    const audit = (await client.request(AuditLogDocument, { registry: 'vertex', name: 'vertex-merge' })).auditLog;
    // Refused before the write-ahead intent: one refusal, nothing for the reconciler to read back.
    expect(audit.filter((e) => e.action !== 'registerVersion').map((e) => [e.action, e.result])).toEqual([['updateCard', 'UNSUPPORTED']]);
  });

  it('a merge can clear nothing: null, empty lists and an empty card keep what is stored; an empty text is refused', async () => {
    const full = { training: { framework: 'sklearn', hyperparameters: [{ key: 'lr', value: '0.1' }] }, dependencies: [{ name: 'numpy', version: '1.26.0' }], deployment: { endpoint: 'https://serve/x' }, parentVersion: 'local:models:/X/1' };
    const { version } = (await client.request(RegisterVersionDocument, { registry: 'local', name: 'MergeKeeps', card: full })).registerVersion;
    const before = await card('MergeKeeps', version, 'local');
    for (const patch of [{}, { training: null, dependencies: null, deployment: null, parentVersion: null }, { training: { hyperparameters: [] }, dependencies: [] }, { training: { framework: null }, deployment: {} }]) {
      await client.request(UpdateCardDocument, { registry: 'local', name: 'MergeKeeps', version, merge: true, card: patch });
      expect(await card('MergeKeeps', version, 'local')).toEqual(before);
    }
    await expectGatewayCode(client.request(UpdateCardDocument, { registry: 'local', name: 'MergeKeeps', version, merge: true, card: { training: { framework: '' } } }), 'INVALID_INPUT');
    expect(await card('MergeKeeps', version, 'local')).toEqual(before);
  });

  it('concurrent merges on different versions of one model and on different models all land', async () => {
    const names = ['RaceA', 'RaceB'];
    const versions: Record<string, string[]> = {};
    for (const name of names) {
      versions[name] = [];
      for (let i = 0; i < 3; i++) versions[name]!.push((await client.request(RegisterVersionDocument, { registry: 'local', name, card: { training: { framework: 'sklearn' } } })).registerVersion.version);
    }
    await Promise.all(
      names.flatMap((name) =>
        versions[name]!.flatMap((version) => [
          client.request(UpdateCardDocument, { registry: 'local', name, version, merge: true, card: { training: { dataVersion: `${name}-${version}` } } }),
          client.request(UpdateCardDocument, { registry: 'local', name, version, merge: true, card: { dependencies: [{ name: 'numpy', version }] } }),
          client.request(UpdateCardDocument, { registry: 'local', name, version, merge: true, card: { training: { hyperparameters: [{ key: 'seed', value: version }] } } }),
        ]),
      ),
    );
    for (const name of names) {
      for (const version of versions[name]!) {
        const read = await card(name, version, 'local');
        expect(read.training).toMatchObject({ framework: 'sklearn', dataVersion: `${name}-${version}`, hyperparameters: [{ key: 'seed', value: version }] });
        expect(read.dependencies).toEqual([{ name: 'numpy', version }]);
      }
    }
  });

  it('a key stored by a gateway from before merge existed still replays a call without merge', async () => {
    const { version } = (await client.request(RegisterVersionDocument, { registry: 'local', name: 'OldKey', card: { training: { framework: 'sklearn' } } })).registerVersion;
    const cardInput = { deployment: { endpoint: 'https://serve/old' } };
    const args = { registry: 'local', name: 'OldKey', version, card: cardInput, idempotencyKey: 'old-key-1' };
    await client.request(UpdateCardDocument, args);
    // What the earlier gateway stored for this call: the hash of { card } alone.
    const store = new Database(join(test.dataDir, 'modelgate-store.db'), { timeout: 5_000 });
    try {
      const updated = store.prepare("UPDATE idempotency SET args_hash = ? WHERE scope LIKE '%old-key-1%'").run(argumentsHash({ card: toCardPatch(cardInput as never) }));
      expect(updated.changes).toBe(1);
    } finally {
      store.close();
    }
    expect((await client.request(UpdateCardDocument, args)).updateCard.card.deployment.endpoint).toBe('https://serve/old');
    expect((await client.request(UpdateCardDocument, { ...args, merge: false })).updateCard.card.deployment.endpoint).toBe('https://serve/old');
    await expectGatewayCode(client.request(UpdateCardDocument, { ...args, merge: true }), 'CONFLICT');
  });
});
