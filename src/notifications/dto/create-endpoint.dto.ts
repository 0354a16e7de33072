import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDefined, IsOptional, ValidateIf } from 'class-validator';
import { IsPlainText } from '../../common/validators.js';
import { NOTIFICATION_EVENT_TYPES, type NotificationEventType } from '../event-types.js';
import { IsEndpointEvents } from './endpoint-events.validator.js';

export class CreateEndpointDto {
  @ApiProperty({
    description: 'where messages are POSTed: http(s), resolving only to public addresses unless NOTIFY_ALLOW_PRIVATE_NETWORKS=true',
    example: 'https://shop.example/hooks/shelfsync',
    maxLength: 2048,
  })
  @IsDefined({ message: 'url is required' })
  @IsPlainText(1, 2048)
  url: string;

  @ApiPropertyOptional({
    description: 'the event types sent to it; left out, every event type',
    isArray: true,
    enum: NOTIFICATION_EVENT_TYPES,
  })
  @IsOptional()
  @IsEndpointEvents()
  events?: NotificationEventType[];

  @ApiPropertyOptional({ description: 'a note for the operator', maxLength: 500, nullable: true, example: 'storefront production' })
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsPlainText(0, 500)
  description?: string | null;
}
