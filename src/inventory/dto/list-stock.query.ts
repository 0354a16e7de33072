import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { PageQueryDto } from '../../common/pagination.js';

export class ListStockQuery extends PageQueryDto {
  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'only SKUs whose available is at or below their threshold' })
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'low_stock must be true or false' })
  low_stock?: 'true' | 'false';
}
