import type { IncomingHttpHeaders } from 'node:http';
import type { OrderCommand } from '../../orders/order-commands.js';
import { isLifecycleEvent, ORDER_EDITED } from '../../orders/order-state-machine.js';
import type { DeliveryCommand, IdentifiedDelivery, Provider } from './provider.js';
import { parseEnvelope } from './shelfsync-envelope.js';
import { createOrderCommand, editOrderCommand, lifecycleCommand, readEditedOrder, readLifecycleEvent, readNewOrder } from './shelfsync-events.js';

export const UNKNOWN_EVENT_TYPE = 'unknown_event_type';

/** The contract's own envelope, `{ id?, event | type, data }`, with the contract's event names. */
export class ShelfsyncProvider implements Provider {
  readonly name = 'shelfsync';

  identify(rawBody: Buffer, headers: IncomingHttpHeaders): IdentifiedDelivery {
    const envelope = parseEnvelope(rawBody, headers);
    return { eventId: envelope.eventId, eventType: envelope.type, payload: envelope.data };
  }

  commandOf({ eventType, payload }: IdentifiedDelivery): DeliveryCommand {
    const command = this.commandFor(eventType, payload);
    return command ? { orderId: command.orderId, commands: [command] } : { orderId: null, commands: [], ignoredReason: UNKNOWN_EVENT_TYPE };
  }

  understands(eventType: string): boolean {
    return eventType === 'new_order' || eventType === ORDER_EDITED || isLifecycleEvent(eventType);
  }

  private commandFor(type: string, data: unknown): OrderCommand | null {
    if (type === 'new_order') return createOrderCommand(readNewOrder(data, 'data'));
    if (type === ORDER_EDITED) return editOrderCommand(readEditedOrder(data, 'data'));
    if (isLifecycleEvent(type)) return lifecycleCommand(type, readLifecycleEvent(data, 'data'));
    return null;
  }
}
