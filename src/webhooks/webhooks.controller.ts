import { Controller, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { SignatureGuard, type WebhookRequest } from './signature/signature.guard.js';
import { type DeliveryResult, WebhookIngestService } from './webhook-ingest.service.js';

@Controller('webhooks')
export class WebhooksController {
  constructor(private readonly ingest: WebhookIngestService) {}

  @Post(['', ':source'])
  @HttpCode(200)
  @UseGuards(SignatureGuard)
  receive(@Req() request: WebhookRequest): Promise<DeliveryResult> {
    return this.ingest.receive(request.verifiedDelivery!, request.headers);
  }
}
