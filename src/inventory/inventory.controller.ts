import { Body, Controller, Get, Param, Post, Put, Query, UseGuards } from '@nestjs/common';
import { AdminTokenGuard } from '../auth/admin-token.guard.js';
import type { Page } from '../common/pagination.js';
import { AdjustmentDto } from './dto/adjustment.dto.js';
import { ListStockQuery } from './dto/list-stock.query.js';
import { SetOnHandDto } from './dto/set-on-hand.dto.js';
import { InventoryService, type StockView } from './inventory.service.js';
import { SkuPipe } from './sku.pipe.js';

@Controller('inventory')
@UseGuards(AdminTokenGuard)
export class InventoryController {
  constructor(private readonly inventory: InventoryService) {}

  @Get()
  list(@Query() query: ListStockQuery): Promise<Page<StockView>> {
    return this.inventory.list({ cursor: query.cursor, limit: query.limit, lowStock: query.low_stock === 'true' });
  }

  @Get(':sku')
  get(@Param('sku', SkuPipe) sku: string): Promise<StockView> {
    return this.inventory.get(sku);
  }

  @Put(':sku')
  set(@Param('sku', SkuPipe) sku: string, @Body() body: SetOnHandDto): Promise<StockView> {
    return this.inventory.setOnHand(sku, body.on_hand, body.low_stock_threshold, 'set by operator (PUT /inventory)');
  }

  @Post(':sku/adjustments')
  adjust(@Param('sku', SkuPipe) sku: string, @Body() body: AdjustmentDto): Promise<StockView> {
    return this.inventory.adjust(sku, body.delta, body.reason);
  }
}
