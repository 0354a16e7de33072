import { Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AdminTokenGuard } from '../auth/admin-token.guard.js';
import type { Page } from '../common/pagination.js';
import { EventRecordIdPipe } from './event-record-id.pipe.js';
import { ListWebhookEventsQuery } from './dto/list-webhook-events.query.js';
import { type WebhookEventDetailView, type WebhookEventView, WebhookEventsService } from './webhook-events.service.js';

@ApiTags('webhook-events')
@ApiBearerAuth('admin')
@ApiResponse({ status: 401, description: 'missing or wrong admin token' })
@ApiResponse({ status: 400, description: 'invalid parameter, query or body; `errors` names each field' })
@ApiResponse({ status: 429, description: 'too many requests from this address; see retry-after' })
@Controller('webhook-events')
@UseGuards(AdminTokenGuard)
export class WebhookEventsController {
  constructor(private readonly events: WebhookEventsService) {}

  @Get()
  @ApiOperation({ summary: 'Received deliveries newest first, optionally of one status' })
  @ApiResponse({ status: 200, description: '{items: [{id, source, event_id, event_type, order_id, status, reason, attempts, last_error, received_at, processed_at}], next_cursor}' })
  list(@Query() query: ListWebhookEventsQuery): Promise<Page<WebhookEventView>> {
    return this.events.list({
      status: query.status,
      eventType: query.event_type,
      source: query.source?.toLowerCase(),
      cursor: query.cursor,
      limit: query.limit,
    });
  }

  @Get(':id')
  @ApiOperation({ summary: 'One delivery with its headers and raw body' })
  @ApiResponse({ status: 200, description: 'the delivery, with headers and raw_body' })
  @ApiResponse({ status: 404, description: 'unknown id' })
  get(@Param('id', EventRecordIdPipe) id: string): Promise<WebhookEventDetailView> {
    return this.events.get(id);
  }

  @Post(':id/replay')
  @ApiOperation({ summary: 'Apply a failed or ignored delivery again' })
  @ApiResponse({ status: 200, description: 'the delivery as it now is (status, reason, attempts, last_error)' })
  @ApiResponse({ status: 409, description: 'the delivery is neither failed nor ignored' })
  @HttpCode(200)
  replay(@Param('id', EventRecordIdPipe) id: string): Promise<WebhookEventView> {
    return this.events.replay(id);
  }
}
