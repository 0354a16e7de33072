import { Order } from '../orders/order.entity.js';
import { OrderLine } from '../orders/order-line.entity.js';
import { OrderStatusHistory } from '../orders/order-status-history.entity.js';

/**
 * Entities are mapped only where the ORM's reading helps (an order with its
 * lines and history); everything else is written and read with explicit SQL
 * in the repositories. The schema itself is owned by migrations/.
 */
export const entities = [Order, OrderLine, OrderStatusHistory];
