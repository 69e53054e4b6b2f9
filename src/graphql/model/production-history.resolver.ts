import { Arg, Ctx, Field, FieldResolver, Int, ObjectType, Resolver, Root, DateTimeISOResolver } from '../type-graphql.ts';
import { ErrorCode, RegistryError, type Model } from '../../core/index.ts';
import type { ProductionRecord } from '../../store/index.ts';
import type { GatewayContext } from '../context.ts';
import { paged } from '../pricing.ts';
import { ModelType } from './model.type.ts';

@ObjectType('ProductionRecord', { description: 'A version entering PRODUCTION, by any path (promote, approve, transitionStage, rollback, checkDegradation)' })
export class ProductionRecordType {
  @Field(() => String) version!: string;
  @Field(() => DateTimeISOResolver) at!: Date;
  @Field(() => String, { description: 'The principal whose command moved it' }) by!: string;
}

@Resolver(() => ModelType)
export class ProductionHistoryResolver {
  @FieldResolver(() => [ProductionRecordType], { complexity: paged, description: 'Versions that entered PRODUCTION, newest first (what rollback reads)' })
  async productionHistory(
    @Root() model: Model,
    @Arg('first', () => Int, { nullable: true, description: '1 to 200 (default 20)' }) first: number | null,
    @Ctx() ctx: GatewayContext,
  ): Promise<ProductionRecord[]> {
    const count = first ?? 20;
    if (!Number.isInteger(count) || count < 1 || count > 200) throw new RegistryError(ErrorCode.INVALID_INPUT, `first must be 1 to 200, got ${count}`);
    return (await ctx.store.productionHistory(model.registry, model.name)).slice(0, count);
  }
}
