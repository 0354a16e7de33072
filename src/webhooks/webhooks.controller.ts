import { Controller, HttpCode, Logger, Param, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { SignatureGuard, type WebhookRequest } from './signature/signature.guard.js';
import type { DeliveryResult } from './pipeline/delivery.js';
import { DeliveryPipeline } from './pipeline/delivery-pipeline.js';

/** How each scheme signs, for the API docs. */
const SIGNATURE_HEADERS = [
  { name: 'x-signature', description: 'hmac-sha256: hex HMAC-SHA256 of the raw body (a `sha256=` prefix is accepted)' },
  { name: 'webhook-id', description: 'standard-webhooks: the message id, signed; for any scheme, the first choice of event id for dropping duplicates' },
  { name: 'webhook-timestamp', description: 'standard-webhooks: unix seconds, within WEBHOOK_TOLERANCE_SECONDS' },
  { name: 'webhook-signature', description: 'standard-webhooks: `v1,<base64>` entries, space-separated, over `{id}.{timestamp}.{body}`' },
  { name: 'stripe-signature', description: 'stripe: `t=<unix>,v1=<hex>[,v1=<hex>...]` over `{t}.{body}`' },
  { name: 'x-wc-webhook-signature', description: 'woocommerce: base64 HMAC-SHA256 of the raw body (an unsigned form-encoded `webhook_id=<n>` ping is answered `{"status":"ignored","reason":"ping"}`)' },
  { name: 'x-wc-webhook-topic', description: 'woocommerce: the topic (order.created, order.updated), the event type' },
];

const ENVELOPE_EXAMPLE = {
  id: 'evt_123',
  event: 'new_order',
  created_at: '2026-11-22T10:00:00Z',
  data: {
    order_id: 12345,
    customer_name: 'John Doe',
    total_amount: 100.0,
    currency: 'USD',
    items: [{ sku: 'SKU-1', quantity: 2, unit_price: 50.0 }],
  },
};

function documented(): MethodDecorator {
  return (target, key, descriptor) => {
    ApiBody({
      description:
        'The raw bytes are verified before anything is parsed. `event` (or `type`) names the event: new_order, ' +
        'payment_succeeded, payment_failed, order_cancelled, order_fulfilled, order_refunded; `data` holds it.',
      schema: { type: 'object', example: ENVELOPE_EXAMPLE },
    })(target, key, descriptor);
    for (const header of SIGNATURE_HEADERS) ApiHeader({ ...header, required: false })(target, key, descriptor);
    ApiResponse({
      status: 200,
      description:
        'Committed: `{event_id, status: processed|duplicate|deferred|ignored, reason?, order_status?}`',
    })(target, key, descriptor);
    for (const [status, description] of [
      [400, 'malformed JSON, envelope or data; `errors` names each bad field'],
      [401, 'missing or wrong signature, or a timestamp outside the tolerance'],
      [403, 'the sender address is not allowed for this source'],
      [404, 'unknown source'],
      [408, 'the body did not arrive whole within 20 s, or paused for 5 s (the connection is closed)'],
      [413, 'body over WEBHOOK_BODY_LIMIT'],
      [415, 'compressed body'],
      [429, 'too many requests, or too many body bytes still arriving, from this address; see retry-after'],
      [503, 'the database is unavailable, the body budget is full (server_busy) or the service is stopping; retry (retry-after)'],
    ] as const) {
      ApiResponse({ status, description })(target, key, descriptor);
    }
  };
}

/** The answer to a delivery a provider acknowledges unsigned (WooCommerce's ping). */
export interface UnverifiedAcknowledgement {
  status: 'ignored';
  reason: string;
}

@ApiTags('webhooks')
@Controller('webhooks')
@UseGuards(SignatureGuard)
export class WebhooksController {
  private readonly logger = new Logger('Webhooks');

  constructor(private readonly pipeline: DeliveryPipeline) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'Receive a signed event from the default source (WEBHOOK_SECRET, WEBHOOK_SIGNATURE_SCHEME)' })
  @documented()
  receive(@Req() request: WebhookRequest): Promise<DeliveryResult | UnverifiedAcknowledgement> {
    return this.handle(request);
  }

  @Post(':source')
  @HttpCode(200)
  @ApiOperation({ summary: 'Receive a signed event from a named source (WEBHOOK_<NAME>_SECRET, WEBHOOK_<NAME>_SCHEME)' })
  @ApiParam({ name: 'source', description: 'the lower-cased <NAME> of WEBHOOK_<NAME>_SECRET' })
  @documented()
  receiveFromSource(@Param('source') _source: string, @Req() request: WebhookRequest): Promise<DeliveryResult | UnverifiedAcknowledgement> {
    return this.handle(request);
  }

  private async handle(request: WebhookRequest): Promise<DeliveryResult | UnverifiedAcknowledgement> {
    const acknowledged = request.acknowledgedUnverified;
    if (acknowledged) {
      this.logger.log(`${acknowledged.source}: ${acknowledged.reason} acknowledged (unsigned; nothing stored)`);
      return { status: 'ignored', reason: acknowledged.reason };
    }
    return this.pipeline.receive(request.verifiedDelivery!, request.headers, request.id);
  }
}
