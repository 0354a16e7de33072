import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { PageQueryDto } from '../../common/pagination.js';
import { ORDER_STATUSES, type OrderStatus } from '../order-status.js';
import { OrderSourceField } from './order-source.js';

export class ListOrdersQuery extends PageQueryDto {
  @ApiPropertyOptional({ enum: ORDER_STATUSES })
  @IsOptional()
  @IsIn(ORDER_STATUSES, { message: `status must be one of ${ORDER_STATUSES.join(', ')}` })
  status?: OrderStatus;

  @OrderSourceField('only the orders of this source')
  source?: string;

  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'true: only orders with an open attention item; false: only those without' })
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'needs_attention must be true or false' })
  needs_attention?: 'true' | 'false';
}
