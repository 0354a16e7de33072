import { Body, Controller, Get, Param, Put, UseGuards } from '@nestjs/common';
import { AdminTokenGuard } from '../auth/admin-token.guard.js';
import { SetOnHandDto } from './dto/set-on-hand.dto.js';
import { InventoryService, type StockView } from './inventory.service.js';
import { SkuPipe } from './sku.pipe.js';

@Controller('inventory')
@UseGuards(AdminTokenGuard)
export class InventoryController {
  constructor(private readonly inventory: InventoryService) {}

  @Get(':sku')
  get(@Param('sku', SkuPipe) sku: string): Promise<StockView> {
    return this.inventory.get(sku);
  }

  @Put(':sku')
  set(@Param('sku', SkuPipe) sku: string, @Body() body: SetOnHandDto): Promise<StockView> {
    return this.inventory.setOnHand(sku, body.on_hand, 'set by operator (PUT /inventory)');
  }
}
