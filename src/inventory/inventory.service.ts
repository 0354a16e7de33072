import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AppError } from '../common/app-error.js';
import { decodeCursor, DEFAULT_PAGE_SIZE, TEXT_KEY, type Page, toPage } from '../common/pagination.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { type RefusedChange, StockRepository, type StockRow } from './stock.repository.js';

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

/**
 * An operator's change the guard refused, told in the operator's terms: a count set (PUT) or an
 * adjustment (POST). The guard worked out why (RefusedChange.refusal); this only says it.
 */
export function operatorRefusal(refused: RefusedChange, asked: 'count' | 'adjustment'): string {
  const { sku, on_hand_delta: delta } = refused;
  switch (refused.refusal) {
    case 'on_hand_past_limit':
      return `adding ${delta} units to SKU "${sku}" would take on_hand past 2147483647`;
    case 'on_hand_below_reserved':
      return asked === 'count'
        ? `on_hand ${refused.on_hand! + delta} is below the ${refused.reserved} units reserved for SKU "${sku}"; release or fulfil orders first`
        : `removing ${-delta} units from SKU "${sku}" would leave on_hand ${refused.on_hand! + delta} below the ${refused.reserved} units reserved`;
    case 'reserved_below_zero':
    case 'no_stock_row':
      return `SKU "${sku}" cannot change (${refused.refusal})`;
  }
}

@Injectable()
export class InventoryService {
  constructor(
    private readonly stock: StockRepository,
    private readonly transactions: TransactionRunner,
  ) {}

  /**
   * Locks the stock rows of these SKUs in the one SKU order (lock_stock.sql), for a caller that moves
   * the stock of several orders in one transaction: locked together first, never one order's SKUs
   * after another's out of that order.
   */
  async lockStock(em: EntityManager, skus: string[]): Promise<void> {
    if (skus.length > 0) await this.stock.lockInSkuOrder(em, skus);
  }

  /** Locks these SKUs' stock rows in SKU order (as lockStock) and answers what each has available (a SKU without a row: none). */
  async lockAndReadAvailable(em: EntityManager, skus: string[]): Promise<Map<string, number>> {
    if (skus.length === 0) return new Map();
    return new Map([...(await this.stock.lockInSkuOrder(em, skus))].map(([sku, row]) => [sku, row.available]));
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
      const delta = onHand - before.on_hand;
      if (delta !== 0) await this.adjustLocked(em, sku, delta, reason, 'count');
      if (lowStockThreshold !== undefined) await this.stock.setLowStockThreshold(em, sku, lowStockThreshold);
      return toStockView((await this.stock.find(em, sku))!);
    });
  }

  /** POST /inventory/:sku/adjustments: adds (delta > 0) or removes units; 409 when that would break the invariant. */
  async adjust(sku: string, delta: number, reason: string): Promise<StockView> {
    return this.transactions.run(async (em) => {
      await this.stock.ensureSku(em, sku);
      await this.stock.lockInSkuOrder(em, [sku]);
      await this.adjustLocked(em, sku, delta, reason, 'adjustment');
      return toStockView((await this.stock.find(em, sku))!);
    });
  }

  /** An operator's change of on_hand, its row locked; 409 saying why the guard refused it. */
  private async adjustLocked(em: EntityManager, sku: string, delta: number, reason: string, asked: 'count' | 'adjustment'): Promise<void> {
    const { refused } = await this.stock.applyMovements(em, [{ sku, kind: 'adjust', units: delta, reason }]);
    if (refused.length > 0) throw AppError.conflict(operatorRefusal(refused[0], asked));
  }

  async list(query: { cursor?: string; limit?: number; lowStock: boolean }): Promise<Page<StockView>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const [afterSku] = (decodeCursor(query.cursor, [TEXT_KEY]) ?? []) as [string?];
    const rows = await this.transactions.run((em) => this.stock.list(em, { afterSku, limit: limit + 1, lowStock: query.lowStock }));
    return toPage(rows, limit, (row) => [row.sku], toStockView);
  }
}
