import { StockMovement } from '../inventory/stock-movement.entity.js';
import { Stock } from '../inventory/stock.entity.js';
import { NotificationEndpoint } from '../notifications/notification-endpoint.entity.js';
import { Notification } from '../notifications/notification.entity.js';
import { Order } from '../orders/order.entity.js';
import { OrderAttentionItem } from '../orders/order-attention.entity.js';
import { OrderLine } from '../orders/order-line.entity.js';
import { OrderParcel } from '../orders/order-parcel.entity.js';
import { OrderStatusHistory } from '../orders/order-status-history.entity.js';
import { WebhookEvent } from '../webhooks/webhook-event.entity.js';

/**
 * Every table of the schema, as TypeORM sees it. The schema itself is
 * migrations/' alone (synchronize stays off); test/entity-schema.spec.ts asks
 * TypeORM what it would change to make a migrated database match these, and
 * the answer must be nothing. Plain reads and writes go through their
 * repositories; the hot path and the rules keep their SQL.
 *
 * Not mapped: `migrations` and `typeorm_metadata` (TypeORM's own) and
 * `shelfsync_routines` (routines.ts's record of the installed functions).
 */
export const entities = [WebhookEvent, Order, OrderLine, OrderStatusHistory, OrderAttentionItem, OrderParcel, Stock, StockMovement, NotificationEndpoint, Notification];
