import { Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { AdminTokenGuard } from '../auth/admin-token.guard.js';
import type { Page } from '../common/pagination.js';
import { EventRecordIdPipe } from './event-record-id.pipe.js';
import { ListWebhookEventsQuery } from './dto/list-webhook-events.query.js';
import { WebhookIngestService } from './webhook-ingest.service.js';
import { type WebhookEventDetailView, type WebhookEventView, WebhookEventsService } from './webhook-events.service.js';

@Controller('webhook-events')
@UseGuards(AdminTokenGuard)
export class WebhookEventsController {
  constructor(
    private readonly events: WebhookEventsService,
    private readonly ingest: WebhookIngestService,
  ) {}

  @Get()
  list(@Query() query: ListWebhookEventsQuery): Promise<Page<WebhookEventView>> {
    return this.events.list(query);
  }

  @Get(':id')
  get(@Param('id', EventRecordIdPipe) id: string): Promise<WebhookEventDetailView> {
    return this.events.get(id);
  }

  @Post(':id/replay')
  @HttpCode(200)
  replay(@Param('id', EventRecordIdPipe) id: string): Promise<WebhookEventView> {
    return this.ingest.replay(id);
  }
}
