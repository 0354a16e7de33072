/** A message's status in the outbox (notifications.status, the database's enum notification_status). */
export const NOTIFICATION_STATUSES = ['pending', 'delivered', 'failed'] as const;

export type NotificationStatus = (typeof NOTIFICATION_STATUSES)[number];
