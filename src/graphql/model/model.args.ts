import { ArgsType, Field, InputType, Int } from '../type-graphql.ts';
import { TagFilter, TagInput } from '../common/tag.type.ts';

@InputType('ModelFilter')
export class ModelFilter {
  @Field(() => String, { nullable: true, description: 'Names starting with this text (case-sensitive)' })
  namePrefix?: string | null;
  @Field(() => String, { nullable: true, description: 'Names containing this text (case-insensitive for ASCII)' })
  nameContains?: string | null;
  @Field(() => [TagFilter], { nullable: true, description: 'Every listed tag must be present' })
  tags?: TagFilter[] | null;
}

@ArgsType()
export class ModelsArgs {
  @Field(() => String, { nullable: true, description: 'Registry id; the default registry when omitted' })
  registry?: string | null;
  @Field(() => ModelFilter, { nullable: true }) filter?: ModelFilter | null;
  @Field(() => Int, { nullable: true, description: 'Page size, 1 to 200 (default 20)' }) first?: number | null;
  @Field(() => String, { nullable: true }) after?: string | null;
}

@ArgsType()
export class ModelRefArgs {
  @Field(() => String, { nullable: true }) registry?: string | null;
  @Field(() => String) name!: string;
}

@ArgsType()
export class CreateModelArgs extends ModelRefArgs {
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => [TagInput], { nullable: true }) tags?: TagInput[] | null;
}

@ArgsType()
export class RenameModelArgs extends ModelRefArgs {
  @Field(() => String) newName!: string;
}

@ArgsType()
export class UpdateModelArgs extends ModelRefArgs {
  @Field(() => String, { nullable: true, description: 'New description; null clears it' }) description?: string | null;
}
