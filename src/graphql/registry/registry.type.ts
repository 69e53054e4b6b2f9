import { Field, Float, Int, ObjectType, registerEnumType } from '../type-graphql.ts';

export enum SupportLevel {
  NATIVE = 'native',
  EMULATED = 'emulated',
  NONE = 'none',
}
registerEnumType(SupportLevel, { name: 'Support', description: 'How a backend holds a concept' });

@ObjectType('Registry', { description: 'A configured backend registry' })
export class RegistryType {
  @Field(() => String) id!: string;
  @Field(() => String, { description: 'local, mlflow, sagemaker or vertex' }) kind!: string;
}

@ObjectType('Health')
export class HealthType {
  @Field(() => Boolean) ok!: boolean;
  @Field(() => Float) latencyMs!: number;
  @Field(() => String, { nullable: true }) message!: string | null;
}

@ObjectType('TextRule')
export class TextRuleType {
  @Field(() => Int) maxLength!: number;
  @Field(() => String, { nullable: true, description: 'Regular expression the value must match' }) pattern!: string | null;
  @Field(() => String, { nullable: true, description: 'The rule in words' }) rule!: string | null;
}

@ObjectType('Limits')
export class LimitsType {
  @Field(() => TextRuleType) modelName!: TextRuleType;
  @Field(() => TextRuleType) tagKey!: TextRuleType;
  @Field(() => TextRuleType) tagValue!: TextRuleType;
  @Field(() => TextRuleType) description!: TextRuleType;
  @Field(() => TextRuleType) source!: TextRuleType;
  @Field(() => TextRuleType, { nullable: true, description: 'A version description changed after registration, where tighter than description (SageMaker)' })
  versionDescriptionChange!: TextRuleType | null;
  @Field(() => TextRuleType, { nullable: true, description: 'One card field, where tighter than the card\'s own 1000 characters (SageMaker)' })
  cardValue!: TextRuleType | null;
  @Field(() => Int, { nullable: true }) maxVersionTags!: number | null;
}

@ObjectType('Capabilities', { description: 'What the backend does natively, what modelgate emulates, and its limits' })
export class CapabilitiesType {
  @Field(() => SupportLevel) stages!: SupportLevel;
  @Field(() => SupportLevel) aliases!: SupportLevel;
  @Field(() => SupportLevel) metrics!: SupportLevel;
  @Field(() => Boolean) archiveExistingAtomic!: boolean;
  @Field(() => Boolean) modelDescriptionMutable!: boolean;
  @Field(() => Boolean) modelRename!: boolean;
  @Field(() => Boolean, { description: 'createModel works without a version (false on Vertex)' }) modelWithoutVersions!: boolean;
  @Field(() => Boolean, { description: 'registerVersion needs a source' }) versionSourceRequired!: boolean;
  @Field(() => Boolean) versionDescriptionMutable!: boolean;
  @Field(() => Boolean, { description: 'updateCard works after registration (false on Vertex: version metadata is immutable)' }) cardMutable!: boolean;
  @Field(() => LimitsType) limits!: LimitsType;
}
