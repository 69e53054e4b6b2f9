import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalRegistry } from '../../adapters/local/index.ts';
import { CopyVersionDocument, GetVersionCardDocument, RegisterVersionDocument } from '@modelgate/client';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';

/* Copy carries the stored card; the copy's lineage must still name the version it was copied from. */
describe('a copied version\'s lineage', () => {
  let test: TestGateway;
  beforeAll(async () => {
    test = await startTestGateway({
      adapters: (dir) => [new LocalRegistry({ id: 'laptop', path: join(dir, 'laptop.db') }), new LocalRegistry({ id: 'team', path: join(dir, 'team.db') })],
    });
  });
  afterAll(() => test?.stop());

  it('names the source version as parent, not the parent the source\'s card names; the rest of the card arrives', async () => {
    const card = { training: { framework: 'sklearn' }, parentVersion: 'laptop:models:/base/4' };
    const { version } = (await test.client.request(RegisterVersionDocument, { registry: 'laptop', name: 'tuned', source: 's3://a/tuned/1', card })).registerVersion;
    const copied = (await test.client.request(CopyVersionDocument, { from: { registry: 'laptop', name: 'tuned', version }, to: { registry: 'team' } })).copyVersion;
    expect(copied.status).toBe('CREATED');
    const read = (await test.client.request(GetVersionCardDocument, { registry: 'team', name: 'tuned', version: copied.version!.version })).modelVersion!.card;
    expect(read.lineage.parentVersion).toBe(`laptop:models:/tuned/${version}`);
    expect(read.training.framework).toBe('sklearn');
    // The source keeps its own lineage.
    expect((await test.client.request(GetVersionCardDocument, { registry: 'laptop', name: 'tuned', version })).modelVersion!.card.lineage.parentVersion).toBe('laptop:models:/base/4');
  });
});
