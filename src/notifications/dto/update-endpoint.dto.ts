import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, ValidateIf } from 'class-validator';
import { IsPlainText } from '../../common/validators.js';
import { ENDPOINT_STATUSES, type EndpointStatus } from '../endpoint-status.js';
import { NOTIFICATION_EVENT_TYPES, type NotificationEventType } from '../event-types.js';
import { IsEndpointEvents } from './endpoint-events.validator.js';

/** Only the fields given change. */
export class UpdateEndpointDto {
  @ApiPropertyOptional({ description: 'checked again as on creation', maxLength: 2048 })
  // null is refused (an endpoint always has a URL); left out, it stays
  @ValidateIf((_, value) => value !== undefined)
  @IsPlainText(1, 2048)
  url?: string;

  @ApiPropertyOptional({ description: 'the event types sent to it; null for every event type', isArray: true, enum: NOTIFICATION_EVENT_TYPES, nullable: true })
  @ValidateIf((_, value) => value !== undefined)
  @IsEndpointEvents()
  events?: NotificationEventType[] | null;

  @ApiPropertyOptional({ description: 'null removes it', maxLength: 500, nullable: true })
  @ValidateIf((_, value) => value !== undefined && value !== null)
  @IsPlainText(0, 500)
  description?: string | null;

  @ApiPropertyOptional({ enum: ENDPOINT_STATUSES, description: '`enabled` re-enables it (status_reason cleared); `disabled` stops sending to it' })
  @ValidateIf((_, value) => value !== undefined)
  @IsIn(ENDPOINT_STATUSES, { message: `status must be one of ${ENDPOINT_STATUSES.join(', ')}` })
  status?: EndpointStatus;
}
