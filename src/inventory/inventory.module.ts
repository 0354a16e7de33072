import { Module } from '@nestjs/common';
import { InventoryController } from './inventory.controller.js';
import { InventoryService } from './inventory.service.js';
import { StockRepository } from './stock.repository.js';

@Module({
  controllers: [InventoryController],
  providers: [StockRepository, InventoryService],
  exports: [InventoryService],
})
export class InventoryModule {}
