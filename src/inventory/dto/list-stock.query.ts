import { IsIn, IsOptional } from 'class-validator';
import { PageQueryDto } from '../../common/pagination.js';

export class ListStockQuery extends PageQueryDto {
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'low_stock must be true or false' })
  low_stock?: 'true' | 'false';
}
