import { Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AdminTokenGuard } from '../auth/admin-token.guard.js';
import { AppError } from '../common/app-error.js';
import { ID_KEY, type Page } from '../common/pagination.js';
import { ListNotificationsQuery, type NotificationView, NotificationsOutboxService } from './notifications-outbox.service.js';

@ApiTags('notifications')
@ApiBearerAuth('admin')
@ApiResponse({ status: 401, description: 'missing or wrong admin token' })
@ApiResponse({ status: 400, description: 'invalid parameter or query; `errors` names each field' })
@ApiResponse({ status: 429, description: 'too many requests from this address; see retry-after' })
@Controller('notifications')
@UseGuards(AdminTokenGuard)
export class NotificationsOutboxController {
  constructor(private readonly outbox: NotificationsOutboxService) {}

  @Get()
  @ApiOperation({ summary: 'Messages to the storefront newest first, by endpoint, status and event type' })
  @ApiResponse({
    status: 200,
    description: '{items: [{id, endpoint_id, event_type, status, attempts, last_status_code, last_error, next_attempt_at, created_at, delivered_at}], next_cursor}',
  })
  list(@Query() query: ListNotificationsQuery): Promise<Page<NotificationView>> {
    return this.outbox.list(query);
  }

  @Post(':id/retry')
  @HttpCode(200)
  @ApiOperation({ summary: 'Sends a failed message again: pending, due now, its attempts counted afresh' })
  @ApiResponse({ status: 200, description: 'the message: {id, endpoint_id, event_type, status, ...}' })
  @ApiResponse({ status: 404, description: 'unknown message' })
  @ApiResponse({ status: 409, description: 'the message is not failed' })
  retry(@Param('id') id: string): Promise<NotificationView> {
    if (!ID_KEY.test(id)) throw AppError.invalid([{ field: 'id', message: 'id must be a notification id (a positive integer)' }]);
    return this.outbox.retry(id);
  }
}
