import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalRegistry } from '../../adapters/local/index.ts';
import { GatewayError, RegisterVersionDocument, ResolveVersionDocument } from '@modelgate/client';
import type { Signature } from '../../src/core/index.ts';
import { SemverBump, bump, classifyChange } from '../../src/workflows/semver.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';

const field = (name: string, type = 'double', optional = false) => ({ name, type, optional });
const sig = (inputs: ReturnType<typeof field>[], outputs: ReturnType<typeof field>[] = [field('score')]): Signature => ({ inputs, outputs });

describe('semantic version rules', () => {
  const base = sig([field('age', 'long'), field('income')]);
  it.each([
    ['the same signature', base, SemverBump.PATCH],
    ['a new optional input', sig([field('age', 'long'), field('income'), field('region', 'string', true)]), SemverBump.MINOR],
    ['a new output', sig([field('age', 'long'), field('income')], [field('score'), field('reason', 'string')]), SemverBump.MINOR],
    ['a new required input', sig([field('age', 'long'), field('income'), field('region', 'string')]), SemverBump.MAJOR],
    ['a removed input', sig([field('age', 'long')]), SemverBump.MAJOR],
    ['a retyped input', sig([field('age', 'double'), field('income')]), SemverBump.MAJOR],
    ['a removed output', sig([field('age', 'long'), field('income')], []), SemverBump.MAJOR],
    ['a retyped output', sig([field('age', 'long'), field('income')], [field('score', 'float')]), SemverBump.MAJOR],
  ])('%s is %s', (_label, next, expected) => {
    expect(classifyChange(base, next)).toBe(expected);
  });

  it('compares nothing without both signatures', () => {
    expect(classifyChange(null, base)).toBe(SemverBump.PATCH);
    expect(classifyChange(base, null)).toBe(SemverBump.PATCH);
  });

  it('bumps by semver rules', () => {
    expect([bump('1.4.2', SemverBump.MAJOR), bump('1.4.2', SemverBump.MINOR), bump('1.4.2', SemverBump.PATCH)]).toEqual(['2.0.0', '1.5.0', '1.4.3']);
  });
});

describe('semantic versions through the gateway', () => {
  let test: TestGateway;
  beforeAll(async () => {
    test = await startTestGateway({ adapters: (dir) => [new LocalRegistry({ id: 'local', path: join(dir, 'local.db') })] });
  });
  afterAll(() => test.stop());

  const register = async (signature: Signature | null, extra: { bump?: 'MAJOR' | 'MINOR' | 'PATCH' } = {}) =>
    (await test.client.request(RegisterVersionDocument, { name: 'scorer', source: 's3://m', signature, ...extra })).registerVersion;

  it('assigns 1.0.0 first, then bumps by the signature change or as asked', async () => {
    const first = await register(sig([field('age', 'long')]));
    expect(first).toMatchObject({ version: '1', semver: '1.0.0', signature: { inputs: [{ name: 'age', type: 'long', optional: false }] } });
    expect((await register(sig([field('age', 'long'), field('zip', 'string', true)]))).semver).toBe('1.1.0');
    expect((await register(sig([field('age', 'long'), field('zip', 'string', true)]))).semver).toBe('1.1.1');
    expect((await register(sig([field('zip', 'string', true)]))).semver).toBe('2.0.0');
    expect((await register(null, { bump: 'MINOR' })).semver).toBe('2.1.0');
  });

  it('resolves models:/Name/semver:<range> to the highest matching version', async () => {
    const caret = await test.client.request(ResolveVersionDocument, { uri: 'models:/scorer/semver:^1' });
    expect(caret.resolveVersion).toMatchObject({ version: '3', semver: '1.1.1' });
    const tilde = await test.client.request(ResolveVersionDocument, { uri: 'models:/scorer/semver:~1.1.0' });
    expect(tilde.resolveVersion.semver).toBe('1.1.1');
    const any = await test.client.request(ResolveVersionDocument, { uri: 'models:/scorer/semver:*' });
    expect(any.resolveVersion.semver).toBe('2.1.0');
    const none = await test.client.request(ResolveVersionDocument, { uri: 'models:/scorer/semver:^9' }).catch((e: GatewayError) => e);
    expect((none as GatewayError).code).toBe('NOT_FOUND');
    const bad = await test.client.request(ResolveVersionDocument, { uri: 'models:/scorer/semver:not-a-range' }).catch((e: GatewayError) => e);
    expect((bad as GatewayError).code).toBe('INVALID_INPUT');
  });

  it('refuses a malformed signature and registers nothing', async () => {
    const error = await register(sig([field('a'), field('a')])).catch((e: GatewayError) => e);
    expect((error as GatewayError).code).toBe('INVALID_INPUT');
    const latest = await test.client.request(ResolveVersionDocument, { uri: 'models:/scorer/latest' });
    expect(latest.resolveVersion.version).toBe('5');
  });
});
