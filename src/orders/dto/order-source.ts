import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';

/** A source's name as the service knows it: `default`, or the lower-cased <NAME> of WEBHOOK_<NAME>_SECRET. */
const SOURCE_NAME = /^[a-z0-9]+(?:_[a-z0-9]+)*$/;

/** The optional `source` of a query: the source whose orders are meant (orders belong to their source). */
export function OrderSourceField(description: string): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ description, example: 'shopify' }),
    IsOptional(),
    Matches(SOURCE_NAME, { message: 'source must be a source name such as default or shopify (lower-case letters, digits, _)' }),
  );
}

export class OrderSourceQuery {
  @OrderSourceField('the source whose order is meant; needed when several sources have an order with this id')
  source?: string;
}
