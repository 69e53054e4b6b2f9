import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, enforceInputRules, isRegistryError, type RegistryAdapter } from '../../src/core/index.ts';
import type { ContractSubject } from './adapter-contract.ts';
import { artifactUri } from '../support/artifacts.ts';
import { scaled } from '../support/time-scale.ts';

/** Inputs that break naive adapters: injection, control characters, huge and malformed strings. */
const HOSTILE = [
  `x' OR '1'='1`,
  'a"b\\c',
  '%_*?[]{}',
  'tab\tnewline\ncr\r',
  'nul\u0000byte',
  'bell\u0007',
  'lone\ud800surrogate',
  '\udfffreversed',
  'x'.repeat(10_000),
  '🚀'.repeat(300),
  '   ',
  '',
  '../../etc/passwd',
  'name@alias/3',
  'models:/x/1',
];

/** Codes a hostile input may end in: a clear refusal or a clean miss, never INTERNAL or a raw exception. */
const DEFINED = new Set<string>([ErrorCode.INVALID_INPUT, ErrorCode.NOT_FOUND, ErrorCode.UNSUPPORTED, ErrorCode.ALREADY_EXISTS]);

export function defineFuzzSuite(label: string, setup: () => Promise<ContractSubject>): void {
  describe(`hostile input: ${label}`, () => {
    let subject: ContractSubject;
    let registry: RegistryAdapter;
    const anchor = `fuzz-${randomUUID().slice(0, 8)}`;

    beforeAll(async () => {
      subject = await setup();
      registry = enforceInputRules(subject.adapter);
      await registry.createVersion({ name: anchor, source: artifactUri(registry, 'fuzz/model'), createModel: {}, tags: { keep: 'yes' } });
    }, scaled(120_000));
    afterAll(async () => {
      await subject?.teardown?.();
    });

    /** Runs a call; it may succeed, or fail with a defined code. Anything else fails the test. */
    async function settle(call: () => Promise<unknown>, what: string): Promise<string> {
      try {
        await call();
        return 'OK';
      } catch (error) {
        if (!isRegistryError(error)) throw new Error(`${what} threw a non-registry error: ${(error as Error)?.stack ?? error}`);
        expect([what, DEFINED.has(error.code) ? 'defined' : error.code]).toEqual([what, 'defined']);
        return error.code;
      }
    }

    it('answers every hostile name and value with a defined code, and changes nothing it refused', async () => {
      for (const text of HOSTILE) {
        const shown = JSON.stringify(text.slice(0, 30));
        await settle(() => registry.getModel(text), `getModel ${shown}`);
        await settle(() => registry.listModels({ nameContains: text }, { first: 5 }), `listModels contains ${shown}`);
        await settle(() => registry.listModels({ namePrefix: text }, { first: 5 }), `listModels prefix ${shown}`);
        await settle(() => registry.getVersions([{ name: text, version: '1' }]), `getVersions ${shown}`);
        await settle(() => registry.getVersions([{ name: anchor, version: text }]), `getVersions version ${shown}`);
        await settle(() => registry.getVersionByAlias(anchor, text), `getVersionByAlias ${shown}`);
        const created = await settle(() => registry.createModel({ name: text }), `createModel ${shown}`);
        if (created === ErrorCode.INVALID_INPUT) expect(await registry.getModel(text).catch(() => null)).toBeNull();
        await settle(() => registry.setTags({ name: anchor, version: '1' }, { [text || 'empty']: text }, []), `setTags ${shown}`);
        await settle(() => registry.setAlias(anchor, text, '1'), `setAlias ${shown}`);
        await settle(() => registry.updateVersion({ name: anchor, version: '1' }, { description: text }), `updateVersion ${shown}`);
      }
    }, scaled(300_000));

    it('refuses tags it cannot hold without touching the ones it has', async () => {
      const before = (await registry.getVersions([{ name: anchor, version: '1' }]))[0]!.tags;
      await settle(() => registry.setTags({ name: anchor, version: '1' }, { keep: 'changed', ['bad\u0000key']: 'x' }, []), 'mixed tag batch');
      const after = (await registry.getVersions([{ name: anchor, version: '1' }]))[0]!.tags;
      expect(after.keep).toBe(before.keep);
    });
  });
}
