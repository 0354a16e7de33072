import { type CanActivate, type ExecutionContext, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { clientAddressOf, type HttpReply, type HttpRequest, isWebhookRoute, plainAddress, routeOf } from '../http/http.js';
import { isIPv6 } from 'node:net';
import { AppConfig } from '../config/app-config.js';
import { AppError } from './app-error.js';

const WINDOW_MS = 60_000;
/** Beyond this many addresses in one window, the oldest windows are forgotten: memory stays bounded. */
const MAX_TRACKED = 100_000;
/** Health probes are never limited (metrics are, as management requests: a scraper needs a few a minute). */
const UNLIMITED_PATHS = new Set(['/health']);

interface Window {
  startedAt: number;
  count: number;
}

/**
 * The address a limit counts against (read by plainAddress): an IPv4 address, or an IPv6 /64 (one
 * subscriber's network holds a whole /64, so single IPv6 addresses are free).
 */
export function clientKey(address: string): string {
  const plain = plainAddress(address);
  if (!isIPv6(plain)) return plain;
  const [head, tail = ''] = plain.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups: string[] = [...left, ...new Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups.slice(0, 4).map((g) => g.toLowerCase().replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/**
 * Per-address request limits, checked before anything else of a request:
 * WEBHOOK_RATE_LIMIT for /webhooks, ADMIN_RATE_LIMIT for everything else,
 * in requests per minute (fixed one-minute windows); 0 turns a limit off.
 * Beyond it: 429 with retry-after. Counted per instance, in memory, so behind
 * a balancer of N instances an address gets up to N times the limit.
 *
 * (Written here rather than taken from @nestjs/throttler, which is CommonJS
 * and requires the ESM-only @nestjs/common 12: it runs, but jest cannot load
 * it on Node 20, so it could not be tested.)
 */
@Injectable()
export class RateLimitGuard implements CanActivate, OnModuleDestroy {
  private readonly windows = new Map<string, Window>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly config: AppConfig) {
    // Forget finished windows, so addresses seen once do not pile up.
    this.sweeper = setInterval(() => this.sweep(Date.now()), WINDOW_MS).unref();
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<HttpRequest>();
    const route = routeOf(request);
    if (UNLIMITED_PATHS.has(route)) return true;
    const webhooks = isWebhookRoute(route);
    const limit = webhooks ? this.config.webhookRateLimit : this.config.adminRateLimit;
    if (limit === 0) return true;

    const now = Date.now();
    const key = `${webhooks ? 'webhooks' : 'admin'} ${clientKey(clientAddressOf(request))}`;
    let window = this.windows.get(key);
    if (!window || now - window.startedAt >= WINDOW_MS) {
      this.windows.delete(key);
      window = { startedAt: now, count: 0 };
      this.windows.set(key, window);
      if (this.windows.size > MAX_TRACKED) this.forgetOldest();
    }
    window.count += 1;
    if (window.count <= limit) return true;

    const retryAfter = Math.max(1, Math.ceil((window.startedAt + WINDOW_MS - now) / 1000));
    context.switchToHttp().getResponse<HttpReply>().header('retry-after', String(retryAfter));
    throw new AppError(429, 'too_many_requests', `more than ${limit} requests a minute from this address; retry in ${retryAfter} s`);
  }

  /** How many address windows are held (bounded by MAX_TRACKED). */
  get trackedAddresses(): number {
    return this.windows.size;
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  /** Maps keep insertion order, and a new window is always inserted last: the first are the oldest. */
  private forgetOldest(): void {
    for (const key of this.windows.keys()) {
      if (this.windows.size <= MAX_TRACKED * 0.9) return;
      this.windows.delete(key);
    }
  }

  private sweep(now: number): void {
    for (const [key, window] of this.windows) if (now - window.startedAt >= WINDOW_MS) this.windows.delete(key);
  }
}
