import { registerDecorator, type ValidationOptions } from 'class-validator';
import { isNotificationEventType, NOTIFICATION_EVENT_TYPES } from '../event-types.js';

const KNOWN = NOTIFICATION_EVENT_TYPES.join(', ');

function problemOf(value: unknown): string | undefined {
  if (value === null) return undefined; // null: every event type (PATCH)
  if (!Array.isArray(value)) return `events must be an array of event types (${KNOWN}); leave it out for all`;
  if (value.length === 0) return `events must name at least one event type (${KNOWN}); leave it out for all`;
  if (value.length > 50) return 'events must hold at most 50 entries';
  const unknown = value.filter((type) => !isNotificationEventType(type)).map((type) => (typeof type === 'string' ? type : JSON.stringify(type)));
  if (unknown.length) return `events holds unknown event types: ${[...new Set(unknown)].join(', ')} (known: ${KNOWN})`;
  return undefined;
}

/** A non-empty array of the event types the contract names, each unknown one named in the 400. */
export function IsEndpointEvents(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isEndpointEvents',
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: {
        validate: (value) => problemOf(value) === undefined,
        defaultMessage: (args) => problemOf(args?.value) ?? 'events is invalid',
      },
    });
}
