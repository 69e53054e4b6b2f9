import { Field, Float, InputType, Int, ObjectType, registerEnumType, DateTimeISOResolver, JSONResolver } from '../type-graphql.ts';
import { ApprovalStatus, BROKEN_LIMIT, CheckpointFailure } from '../../store/index.ts';
import { PromotionStatus, RollbackRule } from '../../workflows/lifecycle.ts';
import { Stage } from '../common/enums.ts';
import { MetricType } from '../common/tag.type.ts';
import { ModelVersionType } from '../version/version.type.ts';
import { LIST_BOUND, boundedList } from '../pricing.ts';

export enum Goal {
  MAXIMIZE = 'MAXIMIZE',
  MINIMIZE = 'MINIMIZE',
}
registerEnumType(Goal, { name: 'Goal' });
registerEnumType(PromotionStatus, { name: 'PromotionStatus' });
registerEnumType(RollbackRule, { name: 'RollbackRule', description: 'Which rule chose the rollback target' });
registerEnumType(ApprovalStatus, { name: 'ApprovalStatus' });
registerEnumType(CheckpointFailure, { name: 'CheckpointFailure' });

@ObjectType('GateCheck')
export class GateCheckType {
  @Field(() => String, { description: 'metric, tag, description, currentStage, card or dependency' }) gate!: string;
  @Field(() => String) subject!: string;
  @Field(() => String) threshold!: string;
  @Field(() => String, { nullable: true }) actual!: string | null;
  @Field(() => Boolean) passed!: boolean;
  @Field(() => String) message!: string;
}

@ObjectType('GateReport')
export class GateReportType {
  @Field(() => Boolean) passed!: boolean;
  @Field(() => [GateCheckType]) checks!: GateCheckType[];
  @Field(() => Int) approvalsRequired!: number;
}

@ObjectType('ApprovalVote')
export class ApprovalVoteType {
  @Field(() => String) principal!: string;
  @Field(() => DateTimeISOResolver) at!: Date;
  @Field(() => String, { nullable: true }) comment!: string | null;
}

@ObjectType('ApprovalRequest')
export class ApprovalRequestType {
  @Field(() => String) id!: string;
  @Field(() => String) registry!: string;
  @Field(() => String) model!: string;
  @Field(() => String) version!: string;
  @Field(() => Stage) targetStage!: Stage;
  @Field(() => Stage, { nullable: true, description: 'The stage the version was in when the request was opened; leaving it supersedes the request' })
  fromStage!: Stage | null;
  @Field(() => DateTimeISOResolver, { nullable: true, description: "When an undecided request expires (the policy's approvalTtl)" }) expiresAt!: Date | null;
  @Field(() => String) requestedBy!: string;
  @Field(() => DateTimeISOResolver) requestedAt!: Date;
  @Field(() => String, { nullable: true }) comment!: string | null;
  @Field(() => ApprovalStatus) status!: ApprovalStatus;
  @Field(() => Int) requiredApprovals!: number;
  @Field(() => [ApprovalVoteType]) approvals!: ApprovalVoteType[];
  @Field(() => GateReportType, { nullable: true, description: 'The gate report when the request was opened' }) report!: GateReportType | null;
  @Field(() => String, { nullable: true }) decidedBy!: string | null;
  @Field(() => DateTimeISOResolver, { nullable: true }) decidedAt!: Date | null;
  @Field(() => String, { nullable: true, description: 'Why it was rejected, superseded or expired' }) reason!: string | null;
}

@ObjectType('PromotionResult')
export class PromotionResultType {
  @Field(() => PromotionStatus) status!: PromotionStatus;
  @Field(() => ModelVersionType) version!: ModelVersionType;
  @Field(() => GateReportType) report!: GateReportType;
  @Field(() => [ModelVersionType], { description: 'Versions archived because they were in PRODUCTION' }) archived!: ModelVersionType[];
  @Field(() => ApprovalRequestType, { nullable: true }) approvalRequest!: ApprovalRequestType | null;
  @Field(() => String, { nullable: true, description: 'For a dry run: PROMOTE, REQUIRE_APPROVAL or FAIL' }) wouldDo!: string | null;
  @Field(() => Boolean, { description: 'True when this is the stored outcome of an earlier call with the same idempotencyKey; nothing was done again' })
  replayed!: boolean;
}

@ObjectType('ApprovalOutcome')
export class ApprovalOutcomeType {
  @Field(() => ApprovalRequestType) request!: ApprovalRequestType;
  @Field(() => PromotionResultType, { nullable: true, description: 'Set when this approval completed the promotion' }) promotion!: PromotionResultType | null;
  @Field(() => Boolean, { description: 'True when this is the stored outcome of an earlier call with the same idempotencyKey; nothing was done again' }) replayed!: boolean;
}

@ObjectType('RollbackResult')
export class RollbackResultType {
  @Field(() => RollbackRule) rule!: RollbackRule;
  @Field(() => [ModelVersionType], { description: 'Versions taken out of PRODUCTION (now ARCHIVED)' }) from!: ModelVersionType[];
  @Field(() => ModelVersionType, { description: 'The version now in PRODUCTION' }) to!: ModelVersionType;
}

@ObjectType('DegradationResult')
export class DegradationResultType {
  @Field(() => ModelVersionType) productionVersion!: ModelVersionType;
  @Field(() => String) metric!: string;
  @Field(() => Float) recorded!: number;
  @Field(() => Float) observed!: number;
  @Field(() => Float) tolerance!: number;
  @Field(() => Goal) goal!: Goal;
  @Field(() => Boolean) degraded!: boolean;
  @Field(() => RollbackResultType, { nullable: true }) rollback!: RollbackResultType | null;
}

@ObjectType('AuditEvent')
export class AuditEventType {
  @Field(() => Int) seq!: number;
  @Field(() => DateTimeISOResolver) at!: Date;
  @Field(() => String) principal!: string;
  @Field(() => String) action!: string;
  @Field(() => String, { nullable: true }) registry!: string | null;
  @Field(() => String, { nullable: true }) model!: string | null;
  @Field(() => String, { nullable: true }) version!: string | null;
  @Field(() => JSONResolver, { nullable: true }) before!: unknown;
  @Field(() => JSONResolver, { nullable: true }) after!: unknown;
  @Field(() => String) result!: string;
  @Field(() => String, { nullable: true }) detail!: string | null;
  @Field(() => String) prevHash!: string;
  @Field(() => String) hash!: string;
}

@ObjectType('CheckpointCheck', { description: 'Whether the audit log still extends a signed checkpoint' })
export class CheckpointCheckType {
  @Field(() => Int) seq!: number;
  @Field(() => Boolean) holds!: boolean;
  @Field(() => CheckpointFailure, { nullable: true, description: 'Why the checkpoint does not hold' }) reason!: CheckpointFailure | null;
}

@ObjectType('AuditVerification')
export class AuditVerificationType {
  @Field(() => Boolean, { description: 'The chain holds and, when a checkpoint was given, the log still extends it' }) ok!: boolean;
  @Field(() => Int) checked!: number;
  @Field(() => Int, { nullable: true, description: 'Sequence number of the first event that does not follow from the chain' }) brokenAt!: number | null;
  @Field(() => [Int], { description: `Every event that does not follow from its stored predecessor, in order; at most ${BROKEN_LIMIT}` }) broken!: number[];
  @Field(() => Boolean, { description: 'More events are broken than `broken` lists' }) truncated!: boolean;
  @Field(() => Int, { nullable: true, description: 'Seq of the last event; null for an empty log' }) headSeq!: number | null;
  @Field(() => String, { nullable: true, description: 'Hash of the last event' }) headHash!: string | null;
  @Field(() => CheckpointCheckType, { nullable: true, description: 'Set when a checkpoint was given' }) checkpoint!: CheckpointCheckType | null;
}

@ObjectType('AuditCheckpoint', { description: 'A signed statement that the audit log had `hash` at `seq`; keep it outside the gateway' })
export class AuditCheckpointType {
  @Field(() => Int) seq!: number;
  @Field(() => String) hash!: string;
  @Field(() => String, { description: 'ISO-8601 time of issue, exactly as signed' }) at!: string;
  @Field(() => String, { description: 'HMAC-SHA256 (hex) with MODELGATE_AUDIT_KEY' }) signature!: string;
}

@InputType('AuditCheckpointInput', { description: 'A checkpoint as auditCheckpoint returned it' })
export class AuditCheckpointInput {
  @Field(() => Int) seq!: number;
  @Field(() => String) hash!: string;
  @Field(() => String) at!: string;
  @Field(() => String) signature!: string;
}

@ObjectType('BestVersion')
export class BestVersionResultType {
  @Field(() => ModelVersionType) version!: ModelVersionType;
  @Field(() => Float) value!: number;
}

@ObjectType('RegistryError')
export class RegistryErrorType {
  @Field(() => String) code!: string;
  @Field(() => String) message!: string;
}

@ObjectType('RegistrySlot', { description: "One registry's view of a model in compareRegistries" })
export class RegistrySlotType {
  @Field(() => String) registry!: string;
  @Field(() => String) kind!: string;
  @Field(() => Boolean) found!: boolean;
  @Field(() => Int, { nullable: true, description: 'Null when the model has more than 200 versions' }) versionCount!: number | null;
  @Field(() => ModelVersionType, { nullable: true }) production!: ModelVersionType | null;
  @Field(() => [MetricType], { nullable: true, complexity: boundedList(LIST_BOUND.metrics) }) productionMetrics!: MetricType[] | null;
  @Field(() => ModelVersionType, { nullable: true }) latest!: ModelVersionType | null;
  @Field(() => RegistryErrorType, { nullable: true, description: 'Why this registry could not answer; the others still do' }) error!: RegistryErrorType | null;
}
