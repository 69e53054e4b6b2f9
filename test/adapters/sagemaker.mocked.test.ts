/*
 * What moto_server does not implement, proven with aws-sdk-client-mock. Response shapes
 * follow the SageMaker API model (the types of @aws-sdk/client-sagemaker).
 */
import {
  AddTagsCommand,
  DeleteModelPackageCommand,
  DeleteModelPackageGroupCommand,
  DeleteTagsCommand,
  DescribeModelPackageCommand,
  DescribeModelPackageGroupCommand,
  ListModelPackagesCommand,
  ListTagsCommand,
  SageMakerClient,
  SageMakerServiceException,
  UpdateModelPackageCommand,
  type DescribeModelPackageCommandOutput,
} from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SageMakerRegistry } from '../../adapters/sagemaker/index.ts';
import { ErrorCode, Stage, enforceInputRules } from '../../src/core/index.ts';
import { expectCode } from '../contract/adapter-contract.ts';

const GROUP_ARN = 'arn:aws:sagemaker:eu-west-1:111122223333:model-package-group/Churn';
const packageArn = (v: number) => `arn:aws:sagemaker:eu-west-1:111122223333:model-package/churn/${v}`;
const meta = { $metadata: {} };

function packageOf(version: number, extra: Partial<DescribeModelPackageCommandOutput> = {}): DescribeModelPackageCommandOutput {
  return {
    ...meta,
    ModelPackageName: 'churn',
    ModelPackageGroupName: 'Churn',
    ModelPackageVersion: version,
    ModelPackageArn: packageArn(version),
    ModelPackageDescription: `v${version}`,
    CreationTime: new Date('2026-01-01T00:00:00Z'),
    ModelPackageStatus: 'Completed',
    ModelPackageStatusDetails: { ValidationStatuses: [] },
    ModelApprovalStatus: 'PendingManualApproval',
    CustomerMetadataProperties: { 'modelgate.stage': 'STAGING', 'metric.accuracy': '0.91', team: 'risk' },
    ...extra,
  };
}

function awsError(name: string, message: string, fault: 'client' | 'server' = 'client', status = 400) {
  return new SageMakerServiceException({ name, message, $fault: fault, $metadata: { httpStatusCode: status } });
}

describe('SageMaker adapter, what moto lacks (aws-sdk-client-mock)', () => {
  const mock = mockClient(SageMakerClient);
  const client = new SageMakerClient({ region: 'eu-west-1' });
  const registry = enforceInputRules(new SageMakerRegistry({ id: 'aws', region: 'eu-west-1', client }));

  beforeEach(() => {
    mock.reset();
    mock.on(DescribeModelPackageGroupCommand).resolves({
      ...meta,
      ModelPackageGroupName: 'Churn',
      ModelPackageGroupArn: GROUP_ARN,
      CreationTime: new Date('2026-01-01T00:00:00Z'),
      CreatedBy: {},
      ModelPackageGroupStatus: 'Completed',
    });
    mock.on(ListTagsCommand).resolves({ ...meta, Tags: [{ Key: 'modelgate.alias.champion', Value: '2' }] });
  });

  it('reads the stage from ModelLifeCycle first, over the metadata mirror', async () => {
    mock.on(DescribeModelPackageCommand).resolves(packageOf(2, { ModelLifeCycle: { Stage: 'Production', StageStatus: 'Approved' } }));
    const [version] = await registry.getVersions([{ name: 'Churn', version: '2' }]);
    expect(version).toMatchObject({ stage: Stage.PRODUCTION, aliases: ['champion'], tags: { team: 'risk' } });
    expect(mock.commandCalls(DescribeModelPackageCommand)[0]!.args[0].input).toEqual({ ModelPackageName: packageArn(2) });
  });

  it('writes ModelLifeCycle, approval and the full metadata on a stage change', async () => {
    mock.on(DescribeModelPackageCommand).resolves(packageOf(2));
    mock.on(UpdateModelPackageCommand).resolves({ ...meta, ModelPackageArn: packageArn(2) });
    await registry.setStage({ name: 'Churn', version: '2' }, Stage.PRODUCTION);
    const [call] = mock.commandCalls(UpdateModelPackageCommand);
    expect(call!.args[0].input).toEqual({
      ModelPackageArn: packageArn(2),
      ModelApprovalStatus: 'Approved',
      ApprovalDescription: 'Promoted to production (modelgate)',
      CustomerMetadataProperties: { 'modelgate.stage': 'PRODUCTION', 'metric.accuracy': '0.91', team: 'risk' },
      CustomerMetadataPropertiesToRemove: undefined,
      ModelLifeCycle: { Stage: 'Production', StageStatus: 'Approved', StageDescription: 'Promoted to production (modelgate)' },
    });
  });

  it('archives as Rejected with a reason', async () => {
    mock.on(DescribeModelPackageCommand).resolves(packageOf(1));
    mock.on(UpdateModelPackageCommand).resolves({ ...meta, ModelPackageArn: packageArn(1) });
    await registry.setStage({ name: 'Churn', version: '1' }, Stage.ARCHIVED);
    expect(mock.commandCalls(UpdateModelPackageCommand)[0]!.args[0].input).toMatchObject({
      ModelApprovalStatus: 'Rejected',
      ApprovalDescription: expect.stringContaining('Archived'),
      ModelLifeCycle: { Stage: 'Archived', StageStatus: 'Archived' },
    });
  });

  it('deletes a version with DeleteModelPackage and drops the aliases that pointed at it', async () => {
    mock.on(DescribeModelPackageCommand).resolves(packageOf(2));
    mock.on(DeleteModelPackageCommand).resolves(meta);
    mock.on(DeleteTagsCommand).resolves(meta);
    await registry.deleteVersion({ name: 'Churn', version: '2' });
    expect(mock.commandCalls(DeleteModelPackageCommand)[0]!.args[0].input).toEqual({ ModelPackageName: packageArn(2) });
    expect(mock.commandCalls(DeleteTagsCommand)[0]!.args[0].input).toEqual({ ResourceArn: GROUP_ARN, TagKeys: ['modelgate.alias.champion'] });
  });

  it('deletes a model: every version, then the group', async () => {
    mock.on(ListModelPackagesCommand).resolves({
      ...meta,
      ModelPackageSummaryList: [1, 2].map((v) => ({
        ModelPackageArn: packageArn(v),
        ModelPackageVersion: v,
        CreationTime: new Date(),
        ModelPackageStatus: 'Completed',
      })),
    });
    mock.on(DeleteModelPackageCommand).resolves(meta);
    mock.on(DeleteModelPackageGroupCommand).resolves(meta);
    await registry.deleteModel('Churn');
    expect(mock.commandCalls(DeleteModelPackageCommand).map((c) => c.args[0].input.ModelPackageName)).toEqual([packageArn(1), packageArn(2)]);
    expect(mock.commandCalls(DeleteModelPackageGroupCommand)).toHaveLength(1);
    expect(mock.commandCalls(ListModelPackagesCommand)[0]!.args[0].input).toMatchObject({ ModelPackageType: 'Versioned', ModelPackageGroupName: 'Churn' });
  });

  it('maps AWS rejecting a version tag to INVALID_INPUT', async () => {
    mock.on(DescribeModelPackageCommand).resolves(packageOf(1));
    mock.on(UpdateModelPackageCommand).rejects(
      awsError('ValidationException', "1 validation error detected: Value at 'customerMetadataProperties' failed to satisfy constraint"),
    );
    const error = await expectCode(registry.setTags({ name: 'Churn', version: '1' }, { 'odd key': 'x' }, []), ErrorCode.INVALID_INPUT);
    expect(error.registry).toBe('aws');
  });

  it.each([
    ['ConflictException', 'client', 409, ErrorCode.CONFLICT],
    ['ResourceLimitExceeded', 'client', 400, ErrorCode.INVALID_INPUT],
    ['ThrottlingException', 'client', 400, ErrorCode.BACKEND_UNAVAILABLE],
    ['AccessDeniedException', 'client', 403, ErrorCode.FORBIDDEN],
    ['UnrecognizedClientException', 'client', 400, ErrorCode.UNAUTHENTICATED],
    ['InternalFailure', 'server', 500, ErrorCode.BACKEND_UNAVAILABLE],
  ] as const)('maps %s to its code', async (name, fault, status, code) => {
    mock.on(DescribeModelPackageCommand).resolves(packageOf(1));
    mock.on(UpdateModelPackageCommand).rejects(awsError(name, `${name} happened`, fault, status));
    await expectCode(registry.setStage({ name: 'Churn', version: '1' }, Stage.STAGING), code);
  });

  it('maps ValidationException "does not exist" to NOT_FOUND', async () => {
    mock.on(DescribeModelPackageGroupCommand).rejects(awsError('ValidationException', 'ModelPackageGroup arn:... does not exist.'));
    expect(await registry.getModel('Churn')).toBeNull();
    await expectCode(registry.setAlias('Churn', 'x', '1'), ErrorCode.NOT_FOUND);
  });

  it('turns a non-JSON answer into BACKEND_UNAVAILABLE, never a SyntaxError', async () => {
    mock.on(DescribeModelPackageCommand).rejects(new SyntaxError('Unexpected token < in JSON at position 0'));
    const error = await expectCode(registry.getVersions([{ name: 'Churn', version: '1' }]), ErrorCode.BACKEND_UNAVAILABLE);
    expect(error.message).toContain('not JSON');
  });

  it('sets an alias as one tag on the group, so it sits on one version', async () => {
    mock.on(DescribeModelPackageCommand).resolves(packageOf(3));
    mock.on(AddTagsCommand).resolves({ ...meta, Tags: [] });
    await registry.setAlias('Churn', 'champion', '3');
    expect(mock.commandCalls(AddTagsCommand)[0]!.args[0].input).toEqual({
      ResourceArn: GROUP_ARN,
      Tags: [{ Key: 'modelgate.alias.champion', Value: '3' }],
    });
  });
});
