import { Check, Column, Entity, ForeignKey, PrimaryColumn } from 'typeorm';

/**
 * A parcel an order shipped, by the gateway's id of it (a Shopify
 * fulfillment): a parcel told again ships nothing more.
 */
@Entity({ name: 'order_parcels' })
@Check('order_parcels_parcel_id_check', `length(parcel_id) BETWEEN 1 AND 255`)
@ForeignKey('Order', ['orderSource', 'orderId'], ['source', 'orderId'], { name: 'order_parcels_order_fkey' })
export class OrderParcel {
  @PrimaryColumn({ name: 'order_source', type: 'text' })
  orderSource: string;

  @PrimaryColumn({ name: 'order_id', type: 'text' })
  orderId: string;

  @PrimaryColumn({ name: 'parcel_id', type: 'text' })
  parcelId: string;

  // Named, not imported: orders/ knows nothing of webhooks/.
  @Column({ name: 'webhook_event_id', type: 'bigint', nullable: true })
  @ForeignKey('WebhookEvent', { name: 'order_parcels_webhook_event_id_fkey' })
  webhookEventId: string | null;

  @Column({ name: 'shipped_at', type: 'timestamptz', default: () => 'now()' })
  shippedAt: Date;
}
