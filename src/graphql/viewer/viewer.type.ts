import { Field, ObjectType } from '../type-graphql.ts';

@ObjectType('Grant', { description: 'A role on some registries and model names (globs; * for all)' })
export class GrantType {
  @Field(() => String, { description: 'viewer, editor, approver or admin' }) role!: string;
  @Field(() => [String]) registries!: string[];
  @Field(() => [String]) models!: string[];
  @Field(() => [String], { description: 'What the role may do: read, edit, promote:staging, promote:production, approve, rollback, admin' })
  actions!: string[];
}

@ObjectType('ActionPermission', { description: 'Whether the caller may take one action on one model' })
export class ActionPermissionType {
  @Field(() => String) action!: string;
  @Field(() => Boolean) allowed!: boolean;
  @Field(() => String, { nullable: true, description: 'Why not, in words; null when allowed' }) reason!: string | null;
}

@ObjectType('Viewer', { description: 'The caller: who the gateway takes it for and what its grants allow' })
export class ViewerType {
  @Field(() => String, { description: 'As recorded in audit events; anonymous without authentication' }) principal!: string;
  @Field(() => String, { description: 'api-key, jwt or anonymous' }) via!: string;
  @Field(() => [GrantType]) grants!: GrantType[];
}
