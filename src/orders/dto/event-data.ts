import { isEmail } from 'class-validator';
import { AppError, type FieldProblem } from '../../common/app-error.js';
import { hasAtMostDecimals, isObject, isOrderId, isPlainText, MAX_AMOUNT, MAX_LINES, MAX_QUANTITY } from '../../common/validators.js';

/**
 * The `data` of the contract's own events, read from the parsed JSON as
 * plain objects: one pass over the fields, no class instances (this runs
 * once per delivery; class-validator with class-transformer cost 7% of the
 * service's CPU here). Each field reports its first problem, the type before
 * the range, every bad field at once; unknown fields are ignored.
 */

const CURRENCY = /^[A-Za-z]{3}$/;

/** `data` of a `new_order` event, as the contract names its fields. */
export interface NewOrderData {
  order_id: string | number;
  customer_name: string;
  customer_email?: string;
  total_amount: number;
  currency?: string;
  items?: { sku: string; quantity: number; unit_price?: number }[];
}

/** `data` of the events that move an existing order; each uses some of the optional fields. */
export interface LifecycleEventData {
  order_id: string | number;
  amount?: number;
  payment_id?: string;
  reason?: string;
  restock?: boolean;
}

/** Absent: JSON gives no value, or null (as class-validator's IsDefined and IsOptional read it). */
const absent = (value: unknown) => value === undefined || value === null;

function objectAt(data: unknown, prefix: string): Record<string, unknown> {
  if (!isObject(data)) throw AppError.invalid([{ field: prefix, message: `${prefix} must be a JSON object` }], 'invalid webhook payload');
  return data;
}

/** Collects each field's first problem under a path prefix (`data.items[0].quantity`). */
class Problems {
  readonly list: FieldProblem[] = [];

  add(field: string, message: string): void {
    this.list.push({ field, message });
  }

  throwAny(): void {
    if (this.list.length) throw AppError.invalid(this.list, 'invalid webhook payload');
  }
}

function orderId(value: unknown, at: string, problems: Problems): void {
  if (absent(value)) problems.add(at, 'order_id is required');
  else if (!isOrderId(value)) problems.add(at, 'order_id must be a non-empty string (at most 128 characters) or a non-negative integer');
}

function plainText(value: unknown, name: string, at: string, min: number, max: number, problems: Problems): void {
  if (!isPlainText(value, min, max)) problems.add(at, `${name} must be a string of ${min} to ${max} characters without control characters`);
}

function amount(value: unknown, name: string, at: string, problems: Problems): void {
  if (!hasAtMostDecimals(value, 4)) problems.add(at, `${name} must be a number with at most 4 decimals`);
  else if (value < 0) problems.add(at, `${name} must not be negative`);
  else if (value > MAX_AMOUNT) problems.add(at, `${name} must be at most ${MAX_AMOUNT}`);
}

function line(item: unknown, at: string, problems: Problems): void {
  if (!isObject(item)) {
    problems.add(at, 'each line of items must be an object');
    return;
  }
  const { sku, quantity, unit_price } = item;
  if (absent(sku)) problems.add(`${at}.sku`, 'sku is required');
  else plainText(sku, 'sku', `${at}.sku`, 1, 100, problems);
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
  orderId(order_id, `${prefix}.order_id`, problems);
  if (absent(customer_name)) problems.add(`${prefix}.customer_name`, 'customer_name is required');
  else plainText(customer_name, 'customer_name', `${prefix}.customer_name`, 1, 200, problems);
  if (!absent(customer_email)) {
    const at = `${prefix}.customer_email`;
    if (typeof customer_email === 'string' && customer_email.length > 254) problems.add(at, 'customer_email must be at most 254 characters');
    else if (typeof customer_email !== 'string' || !isEmail(customer_email)) problems.add(at, 'customer_email must be an email address');
  }
  if (absent(total_amount)) problems.add(`${prefix}.total_amount`, 'total_amount is required');
  else amount(total_amount, 'total_amount', `${prefix}.total_amount`, problems);
  if (!absent(currency) && (typeof currency !== 'string' || !CURRENCY.test(currency))) {
    problems.add(`${prefix}.currency`, 'currency must be a 3-letter code');
  }
  if (!absent(items)) {
    if (!Array.isArray(items)) problems.add(`${prefix}.items`, 'items must be an array');
    else if (items.length > MAX_LINES) problems.add(`${prefix}.items`, `items must hold at most ${MAX_LINES} lines`);
    else items.forEach((item: unknown, i) => line(item, `${prefix}.items[${i}]`, problems));
  }
  problems.throwAny();

  const order: NewOrderData = {
    order_id: order_id as string | number,
    customer_name: customer_name as string,
    total_amount: total_amount as number,
  };
  if (!absent(customer_email)) order.customer_email = customer_email as string;
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
  const { order_id, amount: paid, payment_id, reason, restock } = body;
  orderId(order_id, `${prefix}.order_id`, problems);
  if (!absent(paid)) amount(paid, 'amount', `${prefix}.amount`, problems);
  if (!absent(payment_id)) plainText(payment_id, 'payment_id', `${prefix}.payment_id`, 1, 200, problems);
  if (!absent(reason)) plainText(reason, 'reason', `${prefix}.reason`, 0, 500, problems);
  if (!absent(restock) && typeof restock !== 'boolean') problems.add(`${prefix}.restock`, 'restock must be true or false');
  problems.throwAny();

  const event: LifecycleEventData = { order_id: order_id as string | number };
  if (!absent(paid)) event.amount = paid as number;
  if (!absent(payment_id)) event.payment_id = payment_id as string;
  if (!absent(reason)) event.reason = reason as string;
  if (!absent(restock)) event.restock = restock as boolean;
  return event;
}
