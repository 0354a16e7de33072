import { IsIn, IsOptional } from 'class-validator';
import { PageQueryDto } from '../../common/pagination.js';
import type { WebhookEventStatus } from '../webhook-event.entity.js';

const STATUSES: WebhookEventStatus[] = ['processed', 'ignored', 'deferred', 'failed'];

export class ListWebhookEventsQuery extends PageQueryDto {
  @IsOptional()
  @IsIn(STATUSES, { message: `status must be one of ${STATUSES.join(', ')}` })
  status?: WebhookEventStatus;
}
