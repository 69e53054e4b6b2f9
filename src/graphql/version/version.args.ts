import { ArgsType, Field, Int } from '../type-graphql.ts';
import { Stage, VersionOrder } from '../common/enums.ts';
import { MetricInput, ParamInput, TagInput } from '../common/tag.type.ts';
import { ModelRefArgs } from '../model/model.args.ts';
import { SemverBump } from '../../workflows/semver.ts';
import { SignatureInput } from './version.type.ts';
import { CardInput } from '../card/card.type.ts';

@ArgsType()
export class VersionsArgs {
  @Field(() => [Stage], { nullable: true, description: 'Only versions in these stages' }) stages?: Stage[] | null;
  @Field(() => VersionOrder, { nullable: true, description: 'Default NEWEST_FIRST' }) order?: VersionOrder | null;
  @Field(() => Int, { nullable: true, description: 'Page size, 1 to 200 (default 20)' }) first?: number | null;
  @Field(() => String, { nullable: true }) after?: string | null;
}

@ArgsType()
export class VersionRefArgs extends ModelRefArgs {
  @Field(() => String) version!: string;
}

@ArgsType()
export class RegisterVersionArgs extends ModelRefArgs {
  @Field(() => String, { nullable: true, description: 'Artifact location, e.g. s3://bucket/model' }) source?: string | null;
  @Field(() => String, { nullable: true }) runId?: string | null;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => [TagInput], { nullable: true }) tags?: TagInput[] | null;
  @Field(() => [MetricInput], { nullable: true }) metrics?: MetricInput[] | null;
  @Field(() => [ParamInput], { nullable: true }) params?: ParamInput[] | null;
  @Field(() => SignatureInput, { nullable: true, description: 'Inputs and outputs; compared with the previous version to assign semver' })
  signature?: SignatureInput | null;
  @Field(() => SemverBump, { nullable: true, description: 'Force this bump instead of deriving it from the signature' })
  bump?: SemverBump | null;
  @Field(() => CardInput, { nullable: true, description: 'The model card: training, dependencies, deployment, parent version' })
  card?: CardInput | null;
}

@ArgsType()
export class UpdateVersionArgs extends VersionRefArgs {
  @Field(() => String, { nullable: true, description: 'New description; null clears it' }) description?: string | null;
}

@ArgsType()
export class TagTargetArgs extends ModelRefArgs {
  @Field(() => String, { nullable: true, description: 'Tag this version; the model itself when omitted' })
  version?: string | null;
}

@ArgsType()
export class SetTagsArgs extends TagTargetArgs {
  @Field(() => [TagInput]) tags!: TagInput[];
}

@ArgsType()
export class DeleteTagsArgs extends TagTargetArgs {
  @Field(() => [String]) keys!: string[];
}

@ArgsType()
export class SetAliasArgs extends VersionRefArgs {
  @Field(() => String) alias!: string;
}

@ArgsType()
export class DeleteAliasArgs extends ModelRefArgs {
  @Field(() => String) alias!: string;
}

@ArgsType()
export class TransitionStageArgs extends VersionRefArgs {
  @Field(() => Stage) stage!: Stage;
  @Field(() => Boolean, { defaultValue: false, description: 'Archive the other versions in STAGING or PRODUCTION' })
  archiveExisting!: boolean;
}
