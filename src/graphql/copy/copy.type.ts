import { Field, InputType, Int, ObjectType, registerEnumType, DateTimeISOResolver } from '../type-graphql.ts';
import { CopyStatus } from '../../workflows/copy.ts';
import { MetricType, ParamType, TagType } from '../common/tag.type.ts';
import { PromotionResultType } from '../lifecycle/lifecycle.type.ts';
import { ModelVersionType, SignatureType } from '../version/version.type.ts';

registerEnumType(CopyStatus, { name: 'CopyStatus' });

@InputType('VersionRefInput', { description: 'One version in one registry' })
export class VersionRefInput {
  @Field(() => String, { nullable: true, description: 'Registry id; the default registry when omitted' }) registry?: string | null;
  @Field(() => String) name!: string;
  @Field(() => String) version!: string;
}

@InputType('ModelRefInput', { description: 'A model in one registry' })
export class ModelRefInput {
  @Field(() => String, { nullable: true, description: 'Registry id; the default registry when omitted' }) registry?: string | null;
  @Field(() => String, { nullable: true, description: "The model's name there; the source's name when omitted" }) name?: string | null;
}

@InputType('ModelSourceInput', { description: 'The model a migration reads' })
export class ModelSourceInput {
  @Field(() => String, { nullable: true }) registry?: string | null;
  @Field(() => String) name!: string;
}

@ObjectType('FieldChange', { description: 'A value a copy could not carry as it was: transformed (to is set) or dropped (to is null), and why' })
export class FieldChangeType {
  @Field(() => String, { description: 'tag, metric, param, description, source, runId, signature or card' }) field!: string;
  @Field(() => String, { nullable: true, description: 'The tag, metric or param key' }) key!: string | null;
  @Field(() => String, { nullable: true }) from!: string | null;
  @Field(() => String, { nullable: true }) to!: string | null;
  @Field(() => String) reason!: string;
}

@ObjectType('PlannedCopy', { description: 'What the target registry is (or would be) asked to create' })
export class PlannedCopyType {
  @Field(() => String) name!: string;
  @Field(() => String, { nullable: true }) source!: string | null;
  @Field(() => String, { nullable: true }) runId!: string | null;
  @Field(() => String, { nullable: true }) description!: string | null;
  @Field(() => [TagType]) tags!: TagType[];
  @Field(() => [MetricType]) metrics!: MetricType[];
  @Field(() => [ParamType]) params!: ParamType[];
  @Field(() => String, { nullable: true }) semver!: string | null;
  @Field(() => SignatureType, { nullable: true }) signature!: SignatureType | null;
}

@ObjectType('CopyError')
export class CopyErrorType {
  @Field(() => String) code!: string;
  @Field(() => String) message!: string;
}

@ObjectType('CopyResult')
export class CopyResultType {
  @Field(() => CopyStatus) status!: CopyStatus;
  @Field(() => ModelVersionType, { nullable: true, description: 'The copy in the target registry; null on a dry run' }) version!: ModelVersionType | null;
  @Field(() => PlannedCopyType) planned!: PlannedCopyType;
  @Field(() => [FieldChangeType]) transformed!: FieldChangeType[];
  @Field(() => [FieldChangeType]) dropped!: FieldChangeType[];
  @Field(() => PromotionResultType, { nullable: true, description: 'The move to `stage`, when one was asked for' }) promotion!: PromotionResultType | null;
  @Field(() => CopyErrorType, { nullable: true, description: 'Why the copy stayed in its stage when the move was refused (gates failed)' }) promotionError!: CopyErrorType | null;
  @Field(() => Boolean) replayed!: boolean;
}

@ObjectType('MigrationItem')
export class MigrationItemType {
  @Field(() => String, { description: 'The source version' }) version!: string;
  @Field(() => String, { description: 'PENDING, CREATED, EXISTING or FAILED' }) status!: string;
  @Field(() => String, { nullable: true, description: "The copy's version in the target" }) target!: string | null;
  @Field(() => Int) transformed!: number;
  @Field(() => Int) dropped!: number;
  @Field(() => String, { nullable: true }) error!: string | null;
}

@ObjectType('Migration', { description: 'A migrateModel job and how far it got' })
export class MigrationType {
  @Field(() => String) id!: string;
  @Field(() => String, { description: 'RUNNING, DONE (every version copied or already there) or FAILED (some versions failed; see items)' }) status!: string;
  @Field(() => String) principal!: string;
  @Field(() => String) fromRegistry!: string;
  @Field(() => String) fromName!: string;
  @Field(() => String) toRegistry!: string;
  @Field(() => String) toName!: string;
  @Field(() => Int) total!: number;
  @Field(() => Int, { description: 'Versions finished: created, existing or failed' }) done!: number;
  @Field(() => Int) created!: number;
  @Field(() => Int) existing!: number;
  @Field(() => Int) failed!: number;
  @Field(() => DateTimeISOResolver) createdAt!: Date;
  @Field(() => DateTimeISOResolver) updatedAt!: Date;
  @Field(() => [MigrationItemType], { description: 'One per source version, in order' }) items!: MigrationItemType[];
}
