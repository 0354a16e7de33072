import { Body, Controller, Get, Param, Post, Put, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AdminTokenGuard } from '../auth/admin-token.guard.js';
import { PlainTextParamPipe } from '../common/plain-text-param.pipe.js';
import type { Page } from '../common/pagination.js';
import { MAX_SKU_LENGTH } from '../common/validators.js';
import { AdjustmentDto } from './dto/adjustment.dto.js';
import { ListStockQuery } from './dto/list-stock.query.js';
import { SetOnHandDto } from './dto/set-on-hand.dto.js';
import { InventoryService, type StockView } from './inventory.service.js';

const SKU = new PlainTextParamPipe('sku', MAX_SKU_LENGTH);

@ApiTags('inventory')
@ApiBearerAuth('admin')
@ApiResponse({ status: 401, description: 'missing or wrong admin token' })
@ApiResponse({ status: 400, description: 'invalid parameter, query or body; `errors` names each field' })
@ApiResponse({ status: 429, description: 'too many requests from this address; see retry-after' })
@Controller('inventory')
@UseGuards(AdminTokenGuard)
export class InventoryController {
  constructor(private readonly inventory: InventoryService) {}

  @Get()
  @ApiOperation({ summary: 'All SKUs in SKU order, a page at a time' })
  @ApiResponse({ status: 200, description: '{items: [{sku, on_hand, reserved, available, updated_at, low_stock_threshold?}], next_cursor}' })
  list(@Query() query: ListStockQuery): Promise<Page<StockView>> {
    return this.inventory.list({ cursor: query.cursor, limit: query.limit, lowStock: query.low_stock === 'true' });
  }

  @Get(':sku')
  @ApiOperation({ summary: 'One SKU' })
  @ApiResponse({ status: 200, description: '{sku, on_hand, reserved, available, updated_at, low_stock_threshold?}' })
  @ApiResponse({ status: 404, description: 'unknown SKU' })
  get(@Param('sku', SKU) sku: string): Promise<StockView> {
    return this.inventory.get(sku);
  }

  @Put(':sku')
  @ApiOperation({ summary: 'Set the count on hand (creates the SKU); written to the ledger' })
  @ApiResponse({ status: 200, description: 'the SKU as it now is' })
  @ApiResponse({ status: 409, description: 'below the units reserved' })
  set(@Param('sku', SKU) sku: string, @Body() body: SetOnHandDto): Promise<StockView> {
    return this.inventory.setOnHand(sku, body.on_hand, body.low_stock_threshold, 'set by operator (PUT /inventory)');
  }

  @Post(':sku/adjustments')
  @ApiOperation({ summary: 'Add or remove units, with a reason kept in the ledger (adding creates the SKU)' })
  @ApiResponse({ status: 201, description: 'the SKU as it now is' })
  @ApiResponse({ status: 409, description: 'would break 0 <= reserved <= on_hand' })
  adjust(@Param('sku', SKU) sku: string, @Body() body: AdjustmentDto): Promise<StockView> {
    return this.inventory.adjust(sku, body.delta, body.reason);
  }
}
