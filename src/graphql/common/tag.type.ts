import { Field, Float, InputType, ObjectType, registerEnumType } from '../type-graphql.ts';

export enum MetricSourceEnum {
  RUN = 'RUN',
  TAGS = 'TAGS',
}
registerEnumType(MetricSourceEnum, {
  name: 'MetricSource',
  description: "Where a metric's value came from: the backend's own metrics (MLflow run, SageMaker metric entries, Vertex evaluations, local) or a metric_* tag",
});
import { invalidInput, type Tags } from '../../core/index.ts';

@ObjectType('Tag')
export class TagType {
  @Field(() => String) key!: string;
  @Field(() => String) value!: string;
}

@InputType('TagInput')
export class TagInput {
  @Field(() => String) key!: string;
  @Field(() => String) value!: string;
}

@ObjectType('Param')
export class ParamType {
  @Field(() => String) key!: string;
  @Field(() => String) value!: string;
}

@InputType('ParamInput')
export class ParamInput {
  @Field(() => String) key!: string;
  @Field(() => String) value!: string;
}

@ObjectType('Metric')
export class MetricType {
  @Field(() => String) key!: string;
  @Field(() => Float) value!: number;
  @Field(() => MetricSourceEnum, { description: 'Where the value came from (the registry\'s metricSources decide which wins)' }) source!: MetricSourceEnum;
}

@InputType('MetricInput')
export class MetricInput {
  @Field(() => String) key!: string;
  @Field(() => Float) value!: number;
}

@ObjectType('Alias', { description: 'A named pointer to one version of a model' })
export class AliasType {
  @Field(() => String) alias!: string;
  @Field(() => String) version!: string;
}

@InputType('TagFilter')
export class TagFilter {
  @Field(() => String) key!: string;
  @Field(() => String, { nullable: true, description: 'Omit to match any value' })
  value?: string | null;
}

/** Sorted by key, so output is stable whatever order the backend keeps. */
export function entries<V>(record: Record<string, V>): { key: string; value: V }[] {
  return Object.keys(record)
    .sort()
    .map((key) => ({ key, value: record[key]! }));
  // Object.keys lists own keys only, so a `__proto__` own key is listed and inherited names never are.
}

/** A key/value list from a client as a prototype-free record (any key is data); a key given twice is ambiguous, so refused. */
export function toRecord<V>(list: readonly { key: string; value: V }[] | null | undefined, what: string): Record<string, V> {
  const record: Record<string, V> = Object.create(null);
  for (const { key, value } of list ?? []) {
    if (Object.hasOwn(record, key)) throw invalidInput(`${what} '${key}' is given more than once`);
    record[key] = value;
  }
  return record;
}

export const toTagList = (tags: Tags) => entries(tags);
