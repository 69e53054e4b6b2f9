import { ArgsType, Field, Float, Int, ObjectType } from '../type-graphql.ts';
import { ModelVersionType } from '../version/version.type.ts';
import { LIST_BOUND, boundedList } from '../pricing.ts';
import { MetricSourceEnum } from '../common/tag.type.ts';

@ObjectType('MetricValue')
export class MetricValueType {
  @Field(() => String) key!: string;
  @Field(() => Float, { nullable: true, description: 'Null when the version did not record this metric (never 0)' })
  value!: number | null;
  @Field(() => MetricSourceEnum, { nullable: true, description: 'Where the value came from; null with the value' }) source!: MetricSourceEnum | null;
}

@ObjectType('CardValue')
export class CardValueType {
  @Field(() => String) field!: string;
  @Field(() => String, { nullable: true, description: 'Null when the card has nothing there' }) value!: string | null;
}

@ObjectType('ComparisonRow')
export class ComparisonRowType {
  @Field(() => ModelVersionType) version!: ModelVersionType;
  @Field(() => [MetricValueType], { complexity: boundedList(LIST_BOUND.metrics), description: 'One per compared metric, in the order of `metrics`' })
  values!: MetricValueType[];
  @Field(() => [CardValueType], { complexity: boundedList(LIST_BOUND.metrics), description: 'One per requested card field, in the order of `cardFields`' })
  card!: CardValueType[];
}

@ObjectType('MetricBest', { description: 'The best compared version for one metric' })
export class BestVersionType {
  @Field(() => String) metric!: string;
  @Field(() => String, { description: 'MAXIMIZE or MINIMIZE' }) goal!: string;
  @Field(() => String, { nullable: true, description: 'Null when no compared version recorded the metric' })
  version!: string | null;
  @Field(() => Float, { nullable: true }) value!: number | null;
}

@ObjectType('VersionComparison')
export class VersionComparisonType {
  @Field(() => String) registry!: string;
  @Field(() => String) name!: string;
  @Field(() => [String], { complexity: boundedList(LIST_BOUND.metrics), description: 'The compared metrics, in column order' }) metrics!: string[];
  // Priced once per row by compareVersions.
  @Field(() => [String], { description: 'The compared card fields, in column order' }) cardFields!: string[];
  @Field(() => [ComparisonRowType], { complexity: 1, description: 'One row per version, oldest first' }) rows!: ComparisonRowType[];
  @Field(() => [BestVersionType], { complexity: boundedList(LIST_BOUND.metrics) }) best!: BestVersionType[];
}

@ArgsType()
export class CompareVersionsArgs {
  @Field(() => String, { nullable: true }) registry?: string | null;
  @Field(() => String) name!: string;
  @Field(() => [String], { nullable: true, description: 'Versions to compare; the newest `last` when omitted' })
  versions?: string[] | null;
  @Field(() => Int, { nullable: true, description: 'How many of the newest versions to compare (default 50, at most 200)' })
  last?: number | null;
  @Field(() => [String], { nullable: true, description: 'Metrics to compare; all recorded ones when omitted' })
  metrics?: string[] | null;
  @Field(() => [String], { nullable: true, description: 'Metrics where lower is better' })
  minimize?: string[] | null;
  @Field(() => [String], { nullable: true, description: 'Card fields beside the metrics: framework, algorithm, trainingData, dataVersion, codeVersion, servingFramework, endpoint, latencyP99Ms, throughputRps, parentVersion, runId, features, or dependencies.<name>' })
  cardFields?: string[] | null;
}
