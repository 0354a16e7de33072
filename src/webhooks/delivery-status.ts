export const WEBHOOK_EVENT_STATUSES = ['processed', 'ignored', 'deferred', 'failed'] as const;
export type WebhookEventStatus = (typeof WEBHOOK_EVENT_STATUSES)[number];
