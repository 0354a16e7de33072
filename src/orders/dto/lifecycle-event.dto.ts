import { IsBoolean, IsDefined, IsOptional, Max, Min } from 'class-validator';
import { IsAmount, IsOrderId, IsPlainText } from '../../common/validators.js';

/**
 * `data` of the events that move an existing order (payment_succeeded,
 * payment_failed, order_cancelled, order_fulfilled, order_refunded).
 * Each uses some of the optional fields; unknown fields are ignored.
 */
export class LifecycleEventDto {
  @IsDefined({ message: 'order_id is required' })
  @IsOrderId()
  order_id: string | number;

  @IsOptional()
  @IsAmount()
  @Min(0, { message: 'amount must not be negative' })
  @Max(1e12, { message: 'amount must be at most 1000000000000' })
  amount?: number;

  @IsOptional()
  @IsPlainText(1, 200)
  payment_id?: string;

  @IsOptional()
  @IsPlainText(0, 500)
  reason?: string;

  @IsOptional()
  @IsBoolean({ message: 'restock must be true or false' })
  restock?: boolean;
}
