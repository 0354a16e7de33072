import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AppError } from '../common/app-error.js';
import { decodeCursor, DEFAULT_PAGE_SIZE, TEXT_KEY, type Page, toPage } from '../common/pagination.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { StockRepository, type StockRow } from './stock.repository.js';

export interface StockView {
  sku: string;
  on_hand: number;
  reserved: number;
  available: number;
  updated_at: string;
  low_stock_threshold?: number;
  /** With a threshold: whether available is at or below it. */
  low_stock?: boolean;
}

export function toStockView(row: StockRow): StockView {
  const view: StockView = {
    sku: row.sku,
    on_hand: row.on_hand,
    reserved: row.reserved,
    available: row.available,
    updated_at: new Date(row.updated_at).toISOString(),
  };
  // Only SKUs given a threshold carry it, so the contract's shape stays as documented for the rest.
  if (row.low_stock_threshold !== null) {
    view.low_stock_threshold = row.low_stock_threshold;
    view.low_stock = row.low_stock;
  }
  return view;
}

@Injectable()
export class InventoryService {
  constructor(
    private readonly stock: StockRepository,
    private readonly transactions: TransactionRunner,
  ) {}

  /**
   * Moves an order's units when its status changes, in the caller's
   * transaction: `release` frees its reservations, `commit` ships them
   * (they leave on_hand), `restock` brings shipped units back.
   */
  async moveOrderStock(
    em: EntityManager,
    orderId: string,
    /** One entry per SKU, as OrdersRepository.quantitiesBySku gives them. */
    quantities: { sku: string; quantity: number }[],
    kind: 'release' | 'commit' | 'restock',
    /** The delivery that caused it; null for the service's own changes (reservation expiry). */
    webhookEventId: string | null,
  ): Promise<void> {
    if (quantities.length === 0) return;
    await this.stock.lockInSkuOrder(
      em,
      quantities.map((w) => w.sku),
    );
    const delta = { release: [0, -1], commit: [-1, -1], restock: [1, 0] }[kind];
    const movements = quantities.map((w) => ({
      sku: w.sku,
      kind,
      onHandDelta: delta[0] * w.quantity,
      reservedDelta: delta[1] * w.quantity,
      orderId,
      webhookEventId,
    }));
    const applied = await this.stock.applyMovements(em, movements);
    if (applied !== quantities.length) {
      throw new Error(`${kind} of order ${orderId} applied to ${applied} of ${quantities.length} SKUs: its stock no longer matches`);
    }
  }

  /**
   * Locks the stock rows of these SKUs in the one SKU order (lock_stock.sql), for a caller that moves
   * the stock of several orders in one transaction: locked together first, never one order's SKUs
   * after another's out of that order.
   */
  async lockStock(em: EntityManager, skus: string[]): Promise<void> {
    if (skus.length > 0) await this.stock.lockInSkuOrder(em, skus);
  }

  async get(sku: string): Promise<StockView> {
    const row = await this.transactions.run((em) => this.stock.find(em, sku));
    if (!row) throw AppError.notFound(`no stock for SKU "${sku}"`);
    return toStockView(row);
  }

  /**
   * PUT /inventory/:sku: sets the count an operator counted (and optionally the
   * low-stock threshold), creating the SKU; 409 below what is reserved.
   */
  async setOnHand(sku: string, onHand: number, lowStockThreshold: number | null | undefined, reason: string): Promise<StockView> {
    return this.transactions.run(async (em) => {
      await this.stock.ensureSku(em, sku);
      const before = (await this.stock.lockInSkuOrder(em, [sku])).get(sku)!;
      if (onHand < before.reserved) {
        throw AppError.conflict(
          `on_hand ${onHand} is below the ${before.reserved} units reserved for SKU "${sku}"; release or fulfil orders first`,
        );
      }
      const delta = onHand - before.on_hand;
      if (delta !== 0) {
        await this.stock.applyMovements(em, [{ sku, kind: 'adjust', onHandDelta: delta, reservedDelta: 0, reason }]);
      }
      if (lowStockThreshold !== undefined) await this.stock.setLowStockThreshold(em, sku, lowStockThreshold);
      return toStockView((await this.stock.find(em, sku))!);
    });
  }

  /** POST /inventory/:sku/adjustments: adds (delta > 0) or removes units; 409 when that would break the invariant. */
  async adjust(sku: string, delta: number, reason: string): Promise<StockView> {
    return this.transactions.run(async (em) => {
      await this.stock.ensureSku(em, sku);
      const before = (await this.stock.lockInSkuOrder(em, [sku])).get(sku)!;
      const applied = await this.stock.applyMovements(em, [{ sku, kind: 'adjust', onHandDelta: delta, reservedDelta: 0, reason }]);
      if (applied === 0) {
        throw AppError.conflict(
          delta > 0
            ? `adding ${delta} units to SKU "${sku}" would take on_hand past 2147483647`
            : `removing ${-delta} units from SKU "${sku}" would leave on_hand ${before.on_hand + delta} ` +
                `below the ${before.reserved} units reserved`,
        );
      }
      return toStockView((await this.stock.find(em, sku))!);
    });
  }

  async list(query: { cursor?: string; limit?: number; lowStock: boolean }): Promise<Page<StockView>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const [afterSku] = (decodeCursor(query.cursor, [TEXT_KEY]) ?? []) as [string?];
    const rows = await this.transactions.run((em) => this.stock.list(em, { afterSku, limit: limit + 1, lowStock: query.lowStock }));
    return toPage(rows, limit, (row) => [row.sku], toStockView);
  }
}
