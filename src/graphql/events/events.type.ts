import { Field, Int, ObjectType, registerEnumType, DateTimeISOResolver, JSONResolver } from '../type-graphql.ts';
import { RegistryEventType } from '../../events/event.ts';
import { DeliveryStatus } from '../../store/index.ts';

registerEnumType(RegistryEventType, { name: 'RegistryEventType', description: 'What changed; EXTERNAL_CHANGE is a change made directly in a backend' });
registerEnumType(DeliveryStatus, { name: 'DeliveryStatus', description: 'PENDING (being retried), DELIVERED, or DEAD (every attempt failed)' });

@ObjectType('RegistryEvent', { description: 'One change, derived from one audit event' })
export class RegistryEventObject {
  @Field(() => String, { description: "Unique and stable (the audit event's hash): de-duplicate on it" }) id!: string;
  @Field(() => Int, { description: "The audit event's seq: pass it as `after` to resume right after this event" }) seq!: number;
  @Field(() => RegistryEventType) type!: RegistryEventType;
  @Field(() => String) registry!: string;
  @Field(() => String) model!: string;
  @Field(() => String, { nullable: true }) version!: string | null;
  @Field(() => JSONResolver, { nullable: true }) before!: unknown;
  @Field(() => JSONResolver, { nullable: true }) after!: unknown;
  @Field(() => String) principal!: string;
  @Field(() => DateTimeISOResolver) at!: Date;
  @Field(() => String, { nullable: true, description: 'A comment or reason, when the change had one' }) detail!: string | null;
}

@ObjectType('WebhookDelivery', { description: 'One event on its way to one webhook (the outbox)' })
export class WebhookDeliveryObject {
  @Field(() => String, { description: '<webhook>:<seq>; pass it to redeliver' }) id!: string;
  @Field(() => String) webhook!: string;
  @Field(() => Int) seq!: number;
  @Field(() => String, { description: 'The modelgate-event-id header receivers de-duplicate on' }) eventId!: string;
  @Field(() => RegistryEventType) type!: string;
  @Field(() => String) registry!: string;
  @Field(() => String) model!: string;
  @Field(() => DeliveryStatus) status!: DeliveryStatus;
  @Field(() => Int) attempts!: number;
  @Field(() => DateTimeISOResolver, { description: 'When the next attempt is due (PENDING)' }) nextAttemptAt!: Date;
  @Field(() => String, { nullable: true, description: 'Why the last attempt failed' }) lastError!: string | null;
  @Field(() => Int, { nullable: true, description: "The receiver's HTTP status on the last attempt" }) lastStatus!: number | null;
  @Field(() => DateTimeISOResolver) createdAt!: Date;
  @Field(() => DateTimeISOResolver, { nullable: true }) deliveredAt!: Date | null;
}
