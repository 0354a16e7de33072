import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsDefined,
  IsEmail,
  IsInt,
  IsOptional,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { IsAmount, IsOrderId, IsPlainText } from '../../common/validators.js';

const MAX_AMOUNT = 1e12;

export class NewOrderItemDto {
  @IsDefined({ message: 'sku is required' })
  @IsPlainText(1, 100)
  sku: string;

  @IsDefined({ message: 'quantity is required' })
  @IsInt({ message: 'quantity must be an integer' })
  @Min(1, { message: 'quantity must be at least 1' })
  @Max(1_000_000, { message: 'quantity must be at most 1000000' })
  quantity: number;

  @IsOptional()
  @IsAmount()
  @Min(0, { message: 'unit_price must not be negative' })
  @Max(MAX_AMOUNT)
  unit_price?: number;
}

/** `data` of a `new_order` event, as the contract names its fields. Unknown fields are ignored. */
export class NewOrderDto {
  @IsDefined({ message: 'order_id is required' })
  @IsOrderId()
  order_id: string | number;

  @IsDefined({ message: 'customer_name is required' })
  @IsPlainText(1, 200)
  customer_name: string;

  @IsOptional()
  @IsEmail({}, { message: 'customer_email must be an email address' })
  @MaxLength(254)
  customer_email?: string;

  @IsDefined({ message: 'total_amount is required' })
  @IsAmount()
  @Min(0, { message: 'total_amount must not be negative' })
  @Max(MAX_AMOUNT, { message: `total_amount must be at most ${MAX_AMOUNT}` })
  total_amount: number;

  @IsOptional()
  @Matches(/^[A-Za-z]{3}$/, { message: 'currency must be a 3-letter code' })
  currency?: string;

  @IsOptional()
  @IsArray({ message: 'items must be an array' })
  @ArrayMaxSize(500, { message: 'items must hold at most 500 lines' })
  @ValidateNested({ each: true })
  @Type(() => NewOrderItemDto)
  items?: NewOrderItemDto[];
}
