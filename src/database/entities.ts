import { Stock } from '../inventory/stock.entity.js';
import { StockMovement } from '../inventory/stock-movement.entity.js';
import { Order } from '../orders/order.entity.js';
import { OrderLine } from '../orders/order-line.entity.js';
import { OrderStatusHistory } from '../orders/order-status-history.entity.js';
import { WebhookEvent } from '../webhooks/webhook-event.entity.js';

export const entities = [WebhookEvent, Order, OrderLine, OrderStatusHistory, Stock, StockMovement];
