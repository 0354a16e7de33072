import type { IncomingHttpHeaders } from 'node:http';
import { validatePayload } from '../../common/validation.js';
import { LifecycleEventDto } from '../../orders/dto/lifecycle-event.dto.js';
import { NewOrderDto } from '../../orders/dto/new-order.dto.js';
import { createOrderCommand, lifecycleCommand, type OrderCommand } from '../../orders/order-commands.js';
import { isLifecycleEvent } from '../../orders/order-state-machine.js';
import type { Provider, ReadDelivery } from './provider.js';
import { parseEnvelope } from './shelfsync-envelope.js';

export const UNKNOWN_EVENT_TYPE = 'unknown_event_type';

/** The contract's own envelope, `{ id?, event | type, data }`, with the contract's event names. */
export class ShelfsyncProvider implements Provider {
  readonly name = 'shelfsync';

  read(rawBody: Buffer, headers: IncomingHttpHeaders): ReadDelivery {
    const envelope = parseEnvelope(rawBody, headers);
    const command = this.commandOf(envelope.type, envelope.data);
    return {
      eventId: envelope.eventId,
      eventType: envelope.type,
      orderId: command?.orderId ?? null,
      command,
      ...(command ? {} : { ignoredReason: UNKNOWN_EVENT_TYPE }),
    };
  }

  private commandOf(type: string, data: unknown): OrderCommand | null {
    if (type === 'new_order') return createOrderCommand(validatePayload(NewOrderDto, data, 'data'));
    if (isLifecycleEvent(type)) return lifecycleCommand(type, validatePayload(LifecycleEventDto, data, 'data'));
    return null;
  }
}
