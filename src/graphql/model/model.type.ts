import { Field, ObjectType, DateTimeISOResolver } from '../type-graphql.ts';
import { connectionType } from '../common/connection.ts';

/** A registered model: MLflow registered model, SageMaker model package group, Vertex Model. */
@ObjectType('Model')
export class ModelType {
  @Field(() => String, { description: 'Id of the registry that holds it' }) registry!: string;
  @Field(() => String) name!: string;
  @Field(() => String, { nullable: true }) description!: string | null;
  @Field(() => DateTimeISOResolver) createdAt!: Date;
  @Field(() => DateTimeISOResolver) updatedAt!: Date;
}

export const ModelConnection = connectionType(ModelType, 'Model');
