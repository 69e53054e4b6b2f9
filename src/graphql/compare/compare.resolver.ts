import { Args, Ctx, Query, Resolver } from '../type-graphql.ts';
import { compareVersions } from '../../workflows/compare.ts';
import type { GatewayContext } from '../context.ts';
import { CompareVersionsArgs, VersionComparisonType } from './compare.type.ts';
import { comparedVersions } from '../pricing.ts';

@Resolver()
export class CompareResolver {
  @Query(() => VersionComparisonType, { complexity: comparedVersions, description: "Versions of one model side by side, with each metric's best version" })
  async compareVersions(@Args(() => CompareVersionsArgs) args: CompareVersionsArgs, @Ctx() ctx: GatewayContext) {
    const loaders = ctx.loaders.for(args.registry);
    ctx.authorize('read', loaders.registry.id, args.name);
    const comparison = await compareVersions(loaders.cached(), args.name, args);
    loaders.primeVersions(comparison.rows.map((row) => row.version));
    return comparison;
  }
}
