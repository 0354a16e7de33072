import { InitialSchema1763800000000 } from './1763800000000-initial-schema.js';
import { OrdersListingOrder1763900000000 } from './1763900000000-orders-listing-order.js';
import { WebhookBodyDigest1764000000000 } from './1764000000000-webhook-body-digest.js';
import { WebhookEventsReceivedIndex1764100000000 } from './1764100000000-webhook-events-received-index.js';
import { HotPathFunctions1764200000000 } from './1764200000000-hot-path-functions.js';
import { RulesAsSource1764300000000 } from './1764300000000-rules-as-source.js';
import { NativeGateways1764400000000 } from './1764400000000-native-gateways.js';
import { NotificationsAndExpiry1764500000000 } from './1764500000000-notifications-and-expiry.js';
import { GeneratedColumnExpressions1764600000000 } from './1764600000000-generated-column-expressions.js';
import { OrdersBelongToTheirSource1764700000000 } from './1764700000000-orders-belong-to-their-source.js';
import { OrderAttention1764800000000 } from './1764800000000-order-attention.js';
import { LinesHoldTheStock1764900000000 } from './1764900000000-lines-hold-the-stock.js';
import { OrdersAsStates1765000000000 } from './1765000000000-orders-as-states.js';

/**
 * Every migration, oldest first. Listed explicitly (no glob) so the same list
 * works from TypeScript under jest and from dist/ in production.
 * A new migration file must be added here.
 */
export const migrations = [
  InitialSchema1763800000000,
  OrdersListingOrder1763900000000,
  WebhookBodyDigest1764000000000,
  WebhookEventsReceivedIndex1764100000000,
  HotPathFunctions1764200000000,
  RulesAsSource1764300000000,
  NativeGateways1764400000000,
  NotificationsAndExpiry1764500000000,
  GeneratedColumnExpressions1764600000000,
  OrdersBelongToTheirSource1764700000000,
  OrderAttention1764800000000,
  LinesHoldTheStock1764900000000,
  OrdersAsStates1765000000000,
];
