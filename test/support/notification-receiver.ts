import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Received {
  messageId: string;
  headers: Record<string, string>;
  raw: string;
  body: { type: string; timestamp: string; data: Record<string, unknown> };
  at: number;
  /** the secrets (of those the receiver knows) each of which verifies this delivery */
  verifiedBy: string[];
}

export type Reply = { status: number; headers?: Record<string, string>; body?: string; delayMs?: number } | 'hang';

export function newSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/**
 * A storefront's receiver in the test process: verifies every delivery with
 * the standardwebhooks library under each secret it is told of, records it,
 * and answers as `reply` says (by default 204). A delivery no secret
 * verifies is recorded as `unverified` and answered 401.
 */
export class NotificationReceiver {
  readonly received: Received[] = [];
  readonly unverified: string[] = [];
  secrets: string[] = [];
  reply: (r: Received, nth: number) => Reply = () => ({ status: 204 });
  /** deliveries of each message id under way at once, and the most ever seen */
  private readonly open = new Map<string, number>();
  overlaps = 0;
  private server!: http.Server;
  private readonly hanging = new Set<http.ServerResponse>();
  url!: string;

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.handle(req, res, Buffer.concat(chunks).toString('utf8')));
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
  }

  reset(secrets: string[]): void {
    this.received.length = 0;
    this.unverified.length = 0;
    this.secrets = secrets;
    this.reply = () => ({ status: 204 });
    this.overlaps = 0;
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
  }

  of(messageId: string): Received[] {
    return this.received.filter((r) => r.messageId === messageId);
  }

  async waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > until) throw new Error(`receiver: condition not met in ${timeoutMs} ms (${this.received.length} received)`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse, raw: string): void {
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
    const verifiedBy = this.secrets.filter((secret) => {
      try {
        new Webhook(secret).verify(raw, headers);
        return true;
      } catch {
        return false;
      }
    });
    if (verifiedBy.length === 0) {
      this.unverified.push(raw);
      res.writeHead(401).end();
      return;
    }
    const record: Received = {
      messageId: headers['webhook-id'],
      headers,
      raw,
      body: JSON.parse(raw) as Received['body'],
      at: Date.now(),
      verifiedBy,
    };
    this.received.push(record);
    const open = (this.open.get(record.messageId) ?? 0) + 1;
    this.open.set(record.messageId, open);
    if (open > 1) this.overlaps++;
    const done = () => this.open.set(record.messageId, (this.open.get(record.messageId) ?? 1) - 1);
    res.on('close', done);
    const reply = this.reply(record, this.of(record.messageId).length);
    if (reply === 'hang') {
      this.hanging.add(res);
      return;
    }
    const answer = () => {
      if (!res.destroyed) res.writeHead(reply.status, reply.headers).end(reply.body ?? '');
    };
    if (reply.delayMs) setTimeout(answer, reply.delayMs);
    else answer();
  }
}
