import { IsDefined, IsInt, Max, Min } from 'class-validator';

export class SetOnHandDto {
  @IsDefined({ message: 'on_hand is required' })
  @IsInt({ message: 'on_hand must be an integer' })
  @Min(0, { message: 'on_hand must not be negative' })
  @Max(2_147_483_647, { message: 'on_hand must be at most 2147483647' })
  on_hand: number;
}
