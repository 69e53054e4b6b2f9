import { Field, InputType, ObjectType, registerEnumType, DateTimeISOResolver } from '../type-graphql.ts';
import { SemverBump } from '../../workflows/semver.ts';

registerEnumType(SemverBump, { name: 'SemverBump' });

@ObjectType('SignatureField')
export class SignatureFieldType {
  @Field(() => String) name!: string;
  @Field(() => String) type!: string;
  @Field(() => Boolean) optional!: boolean;
}

@ObjectType('Signature', { description: 'What a version takes and returns' })
export class SignatureType {
  @Field(() => [SignatureFieldType]) inputs!: SignatureFieldType[];
  @Field(() => [SignatureFieldType]) outputs!: SignatureFieldType[];
}

@InputType('SignatureFieldInput')
export class SignatureFieldInput {
  @Field(() => String) name!: string;
  @Field(() => String) type!: string;
  @Field(() => Boolean, { defaultValue: false }) optional!: boolean;
}

@InputType('SignatureInput')
export class SignatureInput {
  @Field(() => [SignatureFieldInput]) inputs!: SignatureFieldInput[];
  @Field(() => [SignatureFieldInput]) outputs!: SignatureFieldInput[];
}
import { Stage, VersionStatus } from '../common/enums.ts';
import { connectionType } from '../common/connection.ts';
import { ModelType } from '../model/model.type.ts';

@ObjectType('ModelVersion')
export class ModelVersionType {
  @Field(() => String) registry!: string;
  @Field(() => String, { description: 'Name of the model' }) name!: string;
  @Field(() => String, { description: 'Version number, as a string on every backend' }) version!: string;
  @Field(() => Stage) stage!: Stage;
  @Field(() => [String], { description: 'Aliases pointing at this version' }) aliases!: string[];
  @Field(() => String, { nullable: true }) description!: string | null;
  @Field(() => String, { nullable: true, description: 'Where the model artifacts live' }) source!: string | null;
  @Field(() => String, { nullable: true }) runId!: string | null;
  @Field(() => VersionStatus) status!: VersionStatus;
  @Field(() => DateTimeISOResolver) createdAt!: Date;
  @Field(() => DateTimeISOResolver) updatedAt!: Date;
  @Field(() => String, { nullable: true }) createdBy!: string | null;
  @Field(() => String, { nullable: true, description: 'MAJOR.MINOR.PATCH, assigned at registration against the previous version' })
  semver!: string | null;
  @Field(() => SignatureType, { nullable: true }) signature!: SignatureType | null;
}

export const ModelVersionConnection = connectionType(ModelVersionType, 'ModelVersion');

@ObjectType('StageTransition')
export class StageTransitionType {
  @Field(() => ModelVersionType, { description: 'The version that moved' }) version!: ModelVersionType;
  @Field(() => [ModelVersionType], { description: 'Versions archived because they held the target stage' })
  archived!: ModelVersionType[];
}

@ObjectType('TagsPayload', { description: 'The model, and the version when the tags were on a version' })
export class TagsPayload {
  @Field(() => ModelType) model!: ModelType;
  @Field(() => ModelVersionType, { nullable: true }) version!: ModelVersionType | null;
}

@ObjectType('DeletedVersion')
export class DeletedVersionType {
  @Field(() => String) registry!: string;
  @Field(() => String) name!: string;
  @Field(() => String) version!: string;
}

