import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDefined, IsInt, IsOptional, Max, Min, ValidateIf } from 'class-validator';

export class SetOnHandDto {
  @ApiProperty({ description: 'units counted on hand', minimum: 0, example: 25 })
  @IsDefined({ message: 'on_hand is required' })
  @IsInt({ message: 'on_hand must be an integer' })
  @Min(0, { message: 'on_hand must not be negative' })
  @Max(2_147_483_647, { message: 'on_hand must be at most 2147483647' })
  on_hand: number;

  /** `available` at or below it counts as low stock; null removes it. */
  @ApiPropertyOptional({ description: 'available at or below it counts as low stock; null removes it', nullable: true, example: 5 })
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsInt({ message: 'low_stock_threshold must be an integer or null' })
  @Min(0, { message: 'low_stock_threshold must not be negative' })
  @Max(2_147_483_647)
  low_stock_threshold?: number | null;
}
