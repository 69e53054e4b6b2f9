import { Arg, Ctx, FieldResolver, Query, Resolver, Root } from '../type-graphql.ts';
import { ROLE_ACTIONS, can, readable, type Action, type Principal } from '../access.ts';
import type { GatewayContext } from '../context.ts';
import { ActionPermissionType, GrantType, ViewerType } from './viewer.type.ts';

/** Every action a grant can give, in the order a console shows them. */
const ACTIONS: readonly Action[] = ['read', 'edit', 'promote:staging', 'promote:production', 'approve', 'rollback', 'admin'];

@Resolver(() => ViewerType)
export class ViewerResolver {
  @Query(() => ViewerType, { description: 'The caller and its grants, so a frontend can disable what it may not do' })
  viewer(@Ctx() ctx: GatewayContext): Principal {
    return ctx.access;
  }

  @FieldResolver(() => String)
  principal(@Root() principal: Principal): string {
    return principal.id;
  }

  @FieldResolver(() => [GrantType])
  grants(@Root() principal: Principal): GrantType[] {
    return principal.grants.map((g) => ({ role: g.role, registries: g.registries, models: g.models, actions: [...ROLE_ACTIONS[g.role]] }));
  }

  @FieldResolver(() => [ActionPermissionType], {
    description: 'Each action on this model (any model when name is omitted) of this registry (the default when omitted): allowed, or why not',
  })
  permissions(
    @Root() principal: Principal,
    @Arg('registry', () => String, { nullable: true }) registry: string | null,
    @Arg('name', () => String, { nullable: true }) name: string | null,
    @Ctx() ctx: GatewayContext,
  ): ActionPermissionType[] {
    const id = ctx.registries.get(registry).id;
    // A model out of sight is, to this caller, absent: every action is refused alike, saying nothing more.
    const hidden = name !== null && !readable(principal, id, name);
    return ACTIONS.map((action) => {
      const allowed = !hidden && can(principal, action, id, name);
      const reason = allowed ? null : `${principal.id} may not ${action} on ${id}${name === null ? '' : `/${name}`}: no grant gives it`;
      return { action, allowed, reason };
    });
  }
}
