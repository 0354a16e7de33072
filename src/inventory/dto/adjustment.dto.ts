import { ApiProperty } from '@nestjs/swagger';
import { IsDefined, IsInt, Max, Min, NotEquals } from 'class-validator';
import { IsPlainText } from '../../common/validators.js';

export class AdjustmentDto {
  @ApiProperty({ description: 'units to add (> 0) or remove (< 0)', example: -2 })
  @IsDefined({ message: 'delta is required' })
  @IsInt({ message: 'delta must be an integer' })
  @NotEquals(0, { message: 'delta must not be 0' })
  @Min(-1_000_000_000, { message: 'delta must be at least -1000000000' })
  @Max(1_000_000_000, { message: 'delta must be at most 1000000000' })
  delta: number;

  @ApiProperty({ description: 'why, kept in the stock ledger', example: 'damaged in storage' })
  @IsDefined({ message: 'reason is required' })
  @IsPlainText(1, 500)
  reason: string;
}
