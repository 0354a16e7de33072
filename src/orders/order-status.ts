export const ORDER_STATUSES = [
  'pending',
  'paid',
  'payment_failed',
  'fulfilled',
  'refunded',
  'cancelled',
  'rejected',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];
