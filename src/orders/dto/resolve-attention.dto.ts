import { ApiProperty } from '@nestjs/swagger';
import { IsDefined, Matches } from 'class-validator';
import { IsPlainText } from '../../common/validators.js';

/** The longest resolution note kept (order_attention's note check). */
const MAX_NOTE_LENGTH = 1000;

export class ResolveAttentionDto {
  @ApiProperty({ description: 'how it was resolved, kept with each item resolved', example: 'refunded the second charge in Stripe', maxLength: MAX_NOTE_LENGTH })
  @IsDefined({ message: 'note is required' })
  @IsPlainText(1, MAX_NOTE_LENGTH)
  @Matches(/\S/, { message: 'note must not be blank' })
  note: string;
}
