import { Field, Float, InputType, ObjectType, registerEnumType } from '../type-graphql.ts';
import { ParamInput, ParamType } from '../common/tag.type.ts';
import { SignatureType } from '../version/version.type.ts';

export enum CardFormat {
  MARKDOWN = 'MARKDOWN',
}
registerEnumType(CardFormat, { name: 'CardFormat', description: 'How modelCard renders a card' });

@ObjectType('Dependency')
export class DependencyType {
  @Field(() => String) name!: string;
  @Field(() => String) version!: string;
}

@ObjectType('TrainingInfo')
export class TrainingInfoType {
  @Field(() => String, { nullable: true }) framework!: string | null;
  @Field(() => String, { nullable: true }) algorithm!: string | null;
  @Field(() => [ParamType], { description: 'Sorted by key' }) hyperparameters!: ParamType[];
  @Field(() => String, { nullable: true, description: 'Where the training data is (a URI)' }) trainingData!: string | null;
  @Field(() => String, { nullable: true }) dataVersion!: string | null;
  @Field(() => String, { nullable: true, description: 'The code that trained it, e.g. a git commit' }) codeVersion!: string | null;
}

@ObjectType('DeploymentInfo')
export class DeploymentInfoType {
  @Field(() => String, { nullable: true }) servingFramework!: string | null;
  @Field(() => String, { nullable: true }) endpoint!: string | null;
  @Field(() => Float, { nullable: true }) latencyP99Ms!: number | null;
  @Field(() => Float, { nullable: true }) throughputRps!: number | null;
}

@ObjectType('Lineage', { description: 'Which run, data and code produced a version, and the version it came from' })
export class LineageType {
  @Field(() => String, { nullable: true }) runId!: string | null;
  @Field(() => String, { nullable: true }) trainingData!: string | null;
  @Field(() => String, { nullable: true }) dataVersion!: string | null;
  @Field(() => String, { nullable: true }) codeVersion!: string | null;
  @Field(() => String, { nullable: true, description: 'A model URI (registry:models:/name/3): stored on the card, or the modelgate.copied_from tag' })
  parentVersion!: string | null;
}

@ObjectType('ModelCard', { description: 'The model card: stored fields, filled where empty from the metric_*/features_schema/dependencies tags and the Markdown description' })
export class ModelCardType {
  @Field(() => TrainingInfoType) training!: TrainingInfoType;
  @Field(() => SignatureType, { nullable: true, description: 'Inputs and outputs: the signature, or the features_schema tag' }) features!: SignatureType | null;
  @Field(() => [DependencyType], { description: 'Sorted by name' }) dependencies!: DependencyType[];
  @Field(() => DeploymentInfoType) deployment!: DeploymentInfoType;
  @Field(() => LineageType) lineage!: LineageType;
}

@InputType('DependencyInput')
export class DependencyInput {
  @Field(() => String) name!: string;
  @Field(() => String) version!: string;
}

@InputType('TrainingInput')
export class TrainingInput {
  @Field(() => String, { nullable: true }) framework?: string | null;
  @Field(() => String, { nullable: true }) algorithm?: string | null;
  @Field(() => [ParamInput], { nullable: true }) hyperparameters?: ParamInput[] | null;
  @Field(() => String, { nullable: true }) trainingData?: string | null;
  @Field(() => String, { nullable: true }) dataVersion?: string | null;
  @Field(() => String, { nullable: true }) codeVersion?: string | null;
}

@InputType('DeploymentInput')
export class DeploymentInput {
  @Field(() => String, { nullable: true }) servingFramework?: string | null;
  @Field(() => String, { nullable: true }) endpoint?: string | null;
  @Field(() => Float, { nullable: true }) latencyP99Ms?: number | null;
  @Field(() => Float, { nullable: true }) throughputRps?: number | null;
}

@InputType('CardInput', { description: 'A card, or on updateCard an edit: each section given replaces that section; null clears it; left out keeps it' })
export class CardInput {
  @Field(() => TrainingInput, { nullable: true }) training?: TrainingInput | null;
  @Field(() => [DependencyInput], { nullable: true }) dependencies?: DependencyInput[] | null;
  @Field(() => DeploymentInput, { nullable: true }) deployment?: DeploymentInput | null;
  @Field(() => String, { nullable: true, description: 'The version this one was copied or fine-tuned from, as a model URI' }) parentVersion?: string | null;
}
