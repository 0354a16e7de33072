import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { PageQueryDto } from '../../common/pagination.js';
import { IsPlainText } from '../../common/validators.js';
import { DELIVERY_STATUSES as STATUSES, type DeliveryStatus } from '../delivery-status.js';

export class ListWebhookEventsQuery extends PageQueryDto {
  @ApiPropertyOptional({ enum: STATUSES })
  @IsOptional()
  @IsIn(STATUSES, { message: `status must be one of ${STATUSES.join(', ')}` })
  status?: DeliveryStatus;

  @ApiPropertyOptional({ example: 'new_order' })
  @IsOptional()
  @IsPlainText(1, 100)
  event_type?: string;

  @ApiPropertyOptional({ example: 'default' })
  @IsOptional()
  @IsPlainText(1, 100)
  source?: string;
}
