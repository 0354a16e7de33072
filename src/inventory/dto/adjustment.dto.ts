import { IsDefined, IsInt, Max, Min, NotEquals } from 'class-validator';
import { IsPlainText } from '../../common/validators.js';

export class AdjustmentDto {
  @IsDefined({ message: 'delta is required' })
  @IsInt({ message: 'delta must be an integer' })
  @NotEquals(0, { message: 'delta must not be 0' })
  @Min(-1_000_000_000, { message: 'delta must be at least -1000000000' })
  @Max(1_000_000_000, { message: 'delta must be at most 1000000000' })
  delta: number;

  @IsDefined({ message: 'reason is required' })
  @IsPlainText(1, 500)
  reason: string;
}
