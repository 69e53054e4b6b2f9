import { describe, expect, it } from 'vitest';
import { ErrorCode, RegistryError, Stage, parseModelUri } from '../../src/core/index.ts';

describe('parseModelUri', () => {
  it.each([
    ['models:/Churn/3', { registry: null, name: 'Churn', selector: { kind: 'version', version: '3' } }],
    ['models:/Churn/Production', { registry: null, name: 'Churn', selector: { kind: 'stage', stage: Stage.PRODUCTION } }],
    ['models:/Churn/staging', { registry: null, name: 'Churn', selector: { kind: 'stage', stage: Stage.STAGING } }],
    ['models:/Churn/NONE', { registry: null, name: 'Churn', selector: { kind: 'stage', stage: Stage.NONE } }],
    ['models:/Churn/latest', { registry: null, name: 'Churn', selector: { kind: 'latest' } }],
    ['models:/Churn@champion', { registry: null, name: 'Churn', selector: { kind: 'alias', alias: 'champion' } }],
    ['prod-mlflow:models:/Churn/3', { registry: 'prod-mlflow', name: 'Churn', selector: { kind: 'version', version: '3' } }],
    ['aws:models:/Churn@canary', { registry: 'aws', name: 'Churn', selector: { kind: 'alias', alias: 'canary' } }],
    ['models:/team/churn model/2', { registry: null, name: 'team/churn model', selector: { kind: 'version', version: '2' } }],
    ['models:/a@b/3', { registry: null, name: 'a@b', selector: { kind: 'version', version: '3' } }],
    ['models:/a/b@c', { registry: null, name: 'a/b', selector: { kind: 'alias', alias: 'c' } }],
    ["models:/it's/1", { registry: null, name: "it's", selector: { kind: 'version', version: '1' } }],
  ])('reads %s', (uri, expected) => {
    expect(parseModelUri(uri)).toEqual(expected);
  });

  it.each([
    'Churn/3',
    'models:/Churn',
    'models:/Churn/',
    'models:/Churn@',
    'models:/@alias',
    'models:/Churn/0',
    'models:/Churn/007',
    'runs:/abc/model',
    'Prod:models:/Churn/3',
    '',
  ])('rejects %j with INVALID_INPUT naming the expected forms', (uri) => {
    let caught: unknown;
    try {
      parseModelUri(uri);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(RegistryError);
    expect((caught as RegistryError).code).toBe(ErrorCode.INVALID_INPUT);
    expect((caught as RegistryError).message).toContain('expected models:/<name>/<version>');
  });
});
