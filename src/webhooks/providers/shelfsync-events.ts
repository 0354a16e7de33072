import type { FieldProblem } from '../../common/app-error.js';
import { isPlainText } from '../../common/validators.js';
import type { CreateOrderCommand, EditOrderCommand, LifecycleCommand } from '../../orders/order-commands.js';
import type { LifecycleEvent } from '../../orders/order-state-machine.js';
import { absent, amountProblem, currencyOf, CURRENCY_RULE, EMAIL_RULE, emailOf, ID_RULE, idOf, invalid, isObject, linesAt, MAX_QUANTITY } from './input-rules.js';
import { MAX_SKU_LENGTH } from '../../common/validators.js';

/**
 * The `data` of the contract's own events, read from the parsed JSON as
 * plain objects: one pass over the fields, no class instances (this runs
 * once per delivery; class-validator with class-transformer cost 7% of the
 * service's CPU here). Each field reports its first problem, the type before
 * the range, every bad field at once; unknown fields are ignored. The rules
 * are the gateways' (input-rules.ts); the envelope refuses text with control
 * characters where a gateway's body would be cleaned, its senders being ours.
 */

/** `data` of a `new_order` event, as the contract names its fields (the order id as its text). */
export interface NewOrderData {
  order_id: string;
  customer_name: string;
  customer_email?: string;
  total_amount: number;
  currency?: string;
  items?: { sku: string; quantity: number; unit_price?: number }[];
}

/** `data` of the events that move an existing order; each uses some of the optional fields. */
export interface LifecycleEventData {
  order_id: string;
  amount?: number;
  payment_id?: string;
  reason?: string;
  restock?: boolean;
  /** order_fulfilled only: the units of a parcel (without them, every unshipped unit). */
  items?: { sku: string; quantity: number }[];
}

/** `data` of an `order_edited` event: the whole new list of the order's lines. */
export interface EditedOrderData {
  order_id: string;
  items: { sku: string; quantity: number; unit_price?: number }[];
  total_amount?: number;
}

function objectAt(data: unknown, prefix: string): Record<string, unknown> {
  if (!isObject(data)) throw invalid(prefix, `${prefix} must be a JSON object`);
  return data;
}

/** Collects each field's first problem under a path prefix (`data.items[0].quantity`). */
class Problems {
  readonly list: FieldProblem[] = [];

  add(field: string, message: string): void {
    this.list.push({ field, message });
  }

  throwAny(): void {
    if (this.list.length) throw invalid(this.list);
  }
}

/** The order id as its text (idOf); '' when it is missing or not one, with the problem added. */
function orderId(value: unknown, at: string, problems: Problems): string {
  if (absent(value)) {
    problems.add(at, 'order_id is required');
    return '';
  }
  const id = idOf(value);
  if (id === undefined) problems.add(at, `order_id must be ${ID_RULE}`);
  return id ?? '';
}

function plainText(value: unknown, name: string, at: string, min: number, max: number, problems: Problems): void {
  if (!isPlainText(value, min, max)) problems.add(at, `${name} must be a string of ${min} to ${max} characters without control characters`);
}

function amount(value: unknown, name: string, at: string, problems: Problems): void {
  const problem = amountProblem(value);
  if (problem !== undefined) problems.add(at, `${name} ${problem}`);
}

function line(item: unknown, at: string, problems: Problems): void {
  if (!isObject(item)) {
    problems.add(at, 'each line of items must be an object');
    return;
  }
  const { sku, quantity, unit_price } = item;
  if (absent(sku)) problems.add(`${at}.sku`, 'sku is required');
  else plainText(sku, 'sku', `${at}.sku`, 1, MAX_SKU_LENGTH, problems);
  if (absent(quantity)) problems.add(`${at}.quantity`, 'quantity is required');
  else if (typeof quantity !== 'number' || !Number.isInteger(quantity)) problems.add(`${at}.quantity`, 'quantity must be an integer');
  else if (quantity < 1) problems.add(`${at}.quantity`, 'quantity must be at least 1');
  else if (quantity > MAX_QUANTITY) problems.add(`${at}.quantity`, `quantity must be at most ${MAX_QUANTITY}`);
  if (!absent(unit_price)) amount(unit_price, 'unit_price', `${at}.unit_price`, problems);
}

/** A `new_order` event's data, or a 400 naming every bad field under `prefix`. */
export function readNewOrder(data: unknown, prefix: string): NewOrderData {
  const body = objectAt(data, prefix);
  const problems = new Problems();
  const { order_id, customer_name, customer_email, total_amount, currency, items } = body;
  const id = orderId(order_id, `${prefix}.order_id`, problems);
  if (absent(customer_name)) problems.add(`${prefix}.customer_name`, 'customer_name is required');
  else plainText(customer_name, 'customer_name', `${prefix}.customer_name`, 1, 200, problems);
  const email = emailOf(customer_email);
  if (email === undefined) problems.add(`${prefix}.customer_email`, `customer_email must be ${EMAIL_RULE}`);
  if (absent(total_amount)) problems.add(`${prefix}.total_amount`, 'total_amount is required');
  else amount(total_amount, 'total_amount', `${prefix}.total_amount`, problems);
  if (!absent(currency) && currencyOf(currency) === undefined) problems.add(`${prefix}.currency`, `currency must be ${CURRENCY_RULE}`);
  const lines = linesAt(items, `${prefix}.items`, problems.list, 'items') ?? [];
  lines.forEach((item: unknown, i) => line(item, `${prefix}.items[${i}]`, problems));
  problems.throwAny();

  const order: NewOrderData = {
    order_id: id,
    customer_name: customer_name as string,
    total_amount: total_amount as number,
  };
  if (email) order.customer_email = email;
  if (!absent(currency)) order.currency = currency as string;
  if (!absent(items)) {
    order.items = (items as Record<string, unknown>[]).map(({ sku, quantity, unit_price }) =>
      absent(unit_price)
        ? { sku: sku as string, quantity: quantity as number }
        : { sku: sku as string, quantity: quantity as number, unit_price: unit_price as number },
    );
  }
  return order;
}

/** The data of payment_succeeded, payment_failed, order_cancelled, order_fulfilled or order_refunded, or a 400. */
export function readLifecycleEvent(data: unknown, prefix: string): LifecycleEventData {
  const body = objectAt(data, prefix);
  const problems = new Problems();
  const { order_id, amount: paid, payment_id, reason, restock, items } = body;
  const id = orderId(order_id, `${prefix}.order_id`, problems);
  // a parcel's lines: read as new_order's (sku, quantity >= 1), unit_price ignored
  const parcel = absent(items) ? undefined : linesAt(items, `${prefix}.items`, problems.list, 'items');
  parcel?.forEach((item: unknown, i) => line(item, `${prefix}.items[${i}]`, problems));
  if (!absent(paid)) amount(paid, 'amount', `${prefix}.amount`, problems);
  if (!absent(payment_id)) plainText(payment_id, 'payment_id', `${prefix}.payment_id`, 1, 200, problems);
  if (!absent(reason)) plainText(reason, 'reason', `${prefix}.reason`, 0, 500, problems);
  if (!absent(restock) && typeof restock !== 'boolean') problems.add(`${prefix}.restock`, 'restock must be true or false');
  problems.throwAny();

  const event: LifecycleEventData = { order_id: id };
  if (!absent(paid)) event.amount = paid as number;
  if (!absent(payment_id)) event.payment_id = payment_id as string;
  if (!absent(reason)) event.reason = reason as string;
  if (!absent(restock)) event.restock = restock as boolean;
  if (parcel !== undefined) event.items = (parcel as Record<string, unknown>[]).map(({ sku, quantity }) => ({ sku: sku as string, quantity: quantity as number }));
  return event;
}

/** An `order_edited` event's data (order_id, items: the whole new list, total_amount?), or a 400 naming every bad field. */
export function readEditedOrder(data: unknown, prefix: string): EditedOrderData {
  const body = objectAt(data, prefix);
  const problems = new Problems();
  const { order_id, items, total_amount } = body;
  const id = orderId(order_id, `${prefix}.order_id`, problems);
  if (absent(items)) problems.add(`${prefix}.items`, 'items is required: the whole new list of the order\'s lines');
  const lines = absent(items) ? [] : (linesAt(items, `${prefix}.items`, problems.list, 'items') ?? []);
  lines.forEach((item: unknown, i) => line(item, `${prefix}.items[${i}]`, problems));
  if (!absent(total_amount)) amount(total_amount, 'total_amount', `${prefix}.total_amount`, problems);
  problems.throwAny();
  const edited: EditedOrderData = {
    order_id: id,
    items: (lines as Record<string, unknown>[]).map(({ sku, quantity, unit_price }) =>
      absent(unit_price) ? { sku: sku as string, quantity: quantity as number } : { sku: sku as string, quantity: quantity as number, unit_price: unit_price as number },
    ),
  };
  if (!absent(total_amount)) edited.total_amount = total_amount as number;
  return edited;
}

/** An `order_edited` event's data as the domain's command (lines of one SKU added up by the domain's plan). */
export function editOrderCommand(data: EditedOrderData): EditOrderCommand {
  const command: EditOrderCommand = {
    kind: 'edit_order',
    orderId: data.order_id,
    lines: data.items.map((item) => ({ sku: item.sku, quantity: item.quantity, unitPrice: item.unit_price ?? null })),
  };
  return data.total_amount === undefined ? command : { ...command, totalAmount: data.total_amount };
}

/** A `new_order` event's data as the domain's command. */
export function createOrderCommand(data: NewOrderData): CreateOrderCommand {
  return {
    kind: 'create_order',
    orderId: data.order_id,
    customerName: data.customer_name,
    customerEmail: data.customer_email ?? null,
    totalAmount: data.total_amount,
    currency: (data.currency ?? 'USD').toUpperCase(),
    lines: (data.items ?? []).map((item) => ({ sku: item.sku, quantity: item.quantity, unitPrice: item.unit_price ?? null })),
  };
}

/**
 * A lifecycle event's data as the domain's command. A payment's `payment_id`
 * names the payment (kept on the order, and what tells a redelivery from a
 * double charge); its `amount` has no meaning in the contract and is not checked.
 */
export function lifecycleCommand(event: LifecycleEvent, data: LifecycleEventData): LifecycleCommand {
  const command: LifecycleCommand = { kind: 'lifecycle', orderId: data.order_id, event, reason: data.reason ?? null, restock: data.restock ?? false };
  if (event === 'order_fulfilled' && data.items !== undefined) return { ...command, parcel: { lines: data.items } };
  return event === 'payment_succeeded' && data.payment_id !== undefined ? { ...command, paymentId: data.payment_id } : command;
}
