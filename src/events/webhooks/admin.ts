import { ErrorCode, RegistryError } from '../../core/index.ts';
import { DeliveryStatus, type GatewayStore, type WebhookDelivery } from '../../store/index.ts';
import type { Caller, CommandRunner } from '../../workflows/command.ts';
import type { WebhookDispatcher } from './dispatcher.ts';

/** What administrators do with the outbox, through the command pipeline (authorized, audited). */
export class WebhookAdmin {
  constructor(
    private readonly store: GatewayStore,
    private readonly commands: CommandRunner,
    private readonly dispatcher: WebhookDispatcher,
  ) {}

  ids(): string[] {
    return this.dispatcher.ids();
  }

  /** The delivery starts over from its first attempt, now, whatever its status was. */
  redeliver(caller: Caller, id: string): Promise<WebhookDelivery> {
    return this.commands.run(caller, {
      action: 'redeliver',
      registry: null,
      model: null,
      permissions: ['admin'],
      input: { id },
      run: async (): Promise<WebhookDelivery> => {
        const found = await this.store.getDelivery(id);
        if (!found) throw new RegistryError(ErrorCode.NOT_FOUND, `No webhook delivery ${id}`, { details: { argument: 'id' } });
        if (!this.dispatcher.has(found.webhook)) {
          throw new RegistryError(ErrorCode.CONFLICT, `Webhook '${found.webhook}' is no longer configured; its deliveries cannot be sent`, { details: { webhook: found.webhook } });
        }
        const restarted = { ...found, status: DeliveryStatus.PENDING, attempts: 0, nextAttemptAt: new Date(), deliveredAt: null };
        await this.store.recordAttempt(id, restarted);
        this.dispatcher.wake();
        return restarted;
      },
      after: (delivery) => ({ id: delivery.id, webhook: delivery.webhook, seq: delivery.seq }),
    });
  }
}
