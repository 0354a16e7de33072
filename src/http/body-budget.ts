import { AppError } from '../common/app-error.js';

/**
 * How many body bytes the service reads or holds at once, and how many one
 * client address may have in bodies still arriving. A body counts from its
 * first byte until its answer is sent (a webhook's bytes are held that long:
 * the signature, the parse and the event record all read them), as the
 * bytes received so far: what it announces costs nothing until it arrives,
 * so connections that announce large bodies and send nothing take nothing.
 *
 * Past the budget a body is refused with 503 and retry-after (the sender
 * retries later, or at another instance); past an address's share, with 429.
 * Either refusal takes nothing: what was already taken stays until released.
 */
export class BodyBudget {
  private used = 0;
  private readonly arriving = new Map<string, number>();

  constructor(
    /** Bytes of every body read or held at once. */
    readonly totalBytes: number,
    /** Bytes one client address may have in bodies not yet whole. */
    readonly perAddressBytes: number,
  ) {}

  /** Bytes taken by bodies now (for tests and metrics). */
  get inUse(): number {
    return this.used;
  }

  /** A body from `address` ('' when unknown) that takes nothing yet. */
  open(address: string): BodyHold {
    return new BodyHold(this, address);
  }

  /** @internal */
  take(hold: BodyHold, bytes: number): AppError | undefined {
    const arriving = this.arriving.get(hold.address) ?? 0;
    if (hold.arriving && arriving + bytes > this.perAddressBytes) {
      return new AppError(
        429,
        'too_many_requests',
        `this address is already sending ${arriving} bytes of request bodies, and may send at most ${this.perAddressBytes} at once; ` +
          'retry once those are done',
        undefined,
        { 'retry-after': '1', connection: 'close' },
      );
    }
    if (this.used + bytes > this.totalBytes) {
      return new AppError(
        503,
        'server_busy',
        `the service holds as many request body bytes as it may (${this.totalBytes}); retry later`,
        undefined,
        { 'retry-after': '2', connection: 'close' },
      );
    }
    this.used += bytes;
    if (hold.arriving) this.arriving.set(hold.address, arriving + bytes);
    return undefined;
  }

  /** @internal */
  settle(hold: BodyHold, arrived: number, released: number): void {
    if (arrived > 0) {
      const left = (this.arriving.get(hold.address) ?? 0) - arrived;
      if (left > 0) this.arriving.set(hold.address, left);
      else this.arriving.delete(hold.address);
    }
    this.used -= released;
  }
}

/** One body's share of a BodyBudget. */
export class BodyHold {
  private bytes = 0;
  /** Still arriving: its bytes count against its address too. */
  arriving = true;
  private released = false;

  constructor(
    private readonly budget: BodyBudget,
    readonly address: string,
  ) {}

  /** Takes `bytes` more; the refusal (429 or 503) when that would pass a limit, taking nothing. */
  grow(bytes: number): AppError | undefined {
    if (this.released) return undefined;
    const refusal = this.budget.take(this, bytes);
    if (!refusal) this.bytes += bytes;
    return refusal;
  }

  /** The body is whole (or given up): its bytes no longer count against its address. */
  arrived(): void {
    if (!this.arriving || this.released) return;
    this.arriving = false;
    this.budget.settle(this, this.bytes, 0);
  }

  /** Its answer is sent, or the body is dropped: everything it took is given back. Safe to call twice. */
  release(): void {
    if (this.released) return;
    this.budget.settle(this, this.arriving ? this.bytes : 0, this.bytes);
    this.arriving = false;
    this.released = true;
    this.bytes = 0;
  }
}
