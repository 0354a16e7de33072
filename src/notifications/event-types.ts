/** What the storefront can be told of (contract: "Notifications to the storefront"), in the contract's order. */
export const NOTIFICATION_EVENT_TYPES = ['order.status_changed', 'order.needs_attention', 'stock.low'] as const;

export type NotificationEventType = (typeof NOTIFICATION_EVENT_TYPES)[number];

export function isNotificationEventType(value: unknown): value is NotificationEventType {
  return typeof value === 'string' && (NOTIFICATION_EVENT_TYPES as readonly string[]).includes(value);
}
