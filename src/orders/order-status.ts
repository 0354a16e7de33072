/** An order's statuses (orders.status, the database's enum order_status). */
export const ORDER_STATUSES = [
  'pending',
  'paid',
  /** some units shipped (a parcel), the rest still reserved */
  'partially_fulfilled',
  'payment_failed',
  'fulfilled',
  'refunded',
  'cancelled',
  'rejected',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];
