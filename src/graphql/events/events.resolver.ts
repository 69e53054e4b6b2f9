import { Arg, Ctx, Int, Mutation, Query, Resolver, Root, Subscription } from '../type-graphql.ts';
import { ErrorCode, RegistryError, pageRequest } from '../../core/index.ts';
import { RegistryEventType, type RegistryEvent } from '../../events/event.ts';
import { EventFollower } from '../../events/follow.ts';
import { DeliveryStatus } from '../../store/index.ts';
import { readable } from '../access.ts';
import type { GatewayContext } from '../context.ts';
import { RegistryEventObject, WebhookDeliveryObject } from './events.type.ts';

interface EventArgs {
  registry?: string | null;
  name?: string | null;
  types?: RegistryEventType[] | null;
  after?: number | null;
}

/** Checks the arguments and the caller's sight, then follows the log from `after` (or now). */
async function followEvents(args: EventArgs, ctx: GatewayContext): Promise<AsyncIterable<RegistryEvent>> {
  const registry = args.registry == null ? null : ctx.registries.get(args.registry).id;
  const name = args.name ?? null;
  if (registry !== null) ctx.authorize('read', registry, name);
  else if (name !== null && !ctx.registries.list().some((r) => readable(ctx.access, r.id, name))) ctx.authorize('read', ctx.registries.defaultId, name);
  const after = args.after ?? null;
  if (after !== null) {
    const head = (await ctx.store.auditHead())?.seq ?? 0;
    if (!Number.isInteger(after) || after < 0 || after > head) {
      throw new RegistryError(ErrorCode.INVALID_INPUT, `after must be a seq from this gateway's log, 0 to ${head}; got ${after}`, { details: { argument: 'after', head } });
    }
  }
  const types = args.types?.length ? new Set(args.types) : null;
  return new EventFollower(ctx.feed, ctx.store, {
    after,
    // Grants are checked on every event: what is out of the caller's sight is never sent.
    accept: (event) =>
      (registry === null || event.registry === registry) &&
      (name === null || event.model === name) &&
      (types === null || types.has(event.type)) &&
      readable(ctx.access, event.registry, event.model),
  });
}

@Resolver()
export class EventsResolver {
  @Subscription(() => RegistryEventObject, {
    description:
      'Changes as they happen, over WebSocket (graphql-ws) on /graphql. registry omitted: every registry; name omitted: every model in sight; ' +
      'after: resume right after this seq (the log is replayed from there, nothing missed, nothing repeated)',
    subscribe: ({ args, context }) => followEvents(args as EventArgs, context as GatewayContext),
  })
  registryEvents(
    @Root() event: RegistryEvent,
    @Arg('registry', () => String, { nullable: true }) _registry: string | null,
    @Arg('name', () => String, { nullable: true }) _name: string | null,
    @Arg('types', () => [RegistryEventType], { nullable: true, description: 'Only these types; omitted: all' }) _types: RegistryEventType[] | null,
    @Arg('after', () => Int, { nullable: true }) _after: number | null,
  ): RegistryEvent {
    return event;
  }

  @Query(() => [WebhookDeliveryObject], { description: 'Webhook deliveries, newest first (admin); page with `after` = the last seq seen' })
  async webhookDeliveries(
    @Arg('webhook', () => String, { nullable: true }) webhook: string | null,
    @Arg('status', () => DeliveryStatus, { nullable: true }) status: DeliveryStatus | null,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => Int, { nullable: true, description: 'Deliveries of events before this seq' }) after: number | null,
    @Ctx() ctx: GatewayContext,
  ) {
    ctx.authorize('admin', '*', null);
    if (webhook != null && !ctx.webhooks.ids().includes(webhook)) {
      throw new RegistryError(ErrorCode.NOT_FOUND, `No webhook '${webhook}'; configured: ${ctx.webhooks.ids().join(', ') || 'none'}`, { details: { argument: 'webhook' } });
    }
    return ctx.store.listDeliveries({ webhook: webhook ?? null, status: status ?? null, beforeSeq: after ?? null, limit: pageRequest(first).first });
  }

  @Mutation(() => WebhookDeliveryObject, { description: 'Sends a delivery again from its first attempt (admin), whatever its status' })
  redeliver(@Arg('id', () => String) id: string, @Ctx() ctx: GatewayContext) {
    return ctx.webhooks.redeliver(ctx.caller, id);
  }
}
