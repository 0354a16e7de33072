/**
 * An order is identified by the source that created it and its id there
 * (contract, "Orders belong to their source"): a Shopify store's and a
 * WooCommerce site's ids meet, and neither may move the other's orders.
 */
export interface OrderKey {
  source: string;
  orderId: string;
}

/** How an order names itself in logs and errors: `<source>/<order id>`. */
export function orderLabel(key: OrderKey): string {
  return `${key.source}/${key.orderId}`;
}
