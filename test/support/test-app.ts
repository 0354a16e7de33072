import 'reflect-metadata';
import { afterAll, beforeAll } from '@jest/globals';
import { createHmac } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataSource } from 'typeorm';
import { createApp } from '../../src/app.setup.js';
import { readConfiguration } from '../../src/configuration.js';
import type { BodyRules } from '../../src/http/request-body.js';
import { scratchDatabaseUrl } from './scratch-database.js';

export const WEBHOOK_SECRET = 'test-webhook-secret';
export const ADMIN_TOKEN = 'test-admin-token';

export interface TestApp {
  app: NestFastifyApplication;
  url: string;
  db: DataSource;
  close(): Promise<void>;
}

/** The real service, listening on a free port, against the run's scratch database. */
export async function startTestApp(env: Record<string, string | undefined> = {}, bodyRules?: BodyRules): Promise<TestApp> {
  const configuration = readConfiguration({
    NODE_ENV: 'test',
    DATABASE_URL: scratchDatabaseUrl(),
    WEBHOOK_SECRET,
    ADMIN_TOKEN,
    ...env,
  });
  const app = await createApp(configuration, bodyRules);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  return {
    app,
    url: `http://127.0.0.1:${address.port}`,
    db: app.get(DataSource),
    close: () => app.close(),
  };
}

export function sign(body: string | Buffer, secret = WEBHOOK_SECRET): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

export interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

async function answer(response: Response): Promise<Answer> {
  const text = await response.text();
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { unparsed: text };
  }
  return { status: response.status, body, headers: response.headers };
}

/** POSTs the exact string given (never re-serialised), signed with `secret` unless a signature is given. */
export async function deliver(
  baseUrl: string,
  body: string | Buffer,
  options: { secret?: string; signature?: string | null; path?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
  const signature = options.signature === undefined ? sign(body, options.secret) : options.signature;
  if (signature !== null) headers['x-signature'] = signature;
  const response = await fetch(`${baseUrl}${options.path ?? '/webhooks'}`, { method: 'POST', headers, body });
  return answer(response);
}

/** Calls the management API with the admin token. */
export async function admin(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
  token: string | null = ADMIN_TOKEN,
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return answer(response);
}

export interface OrderEventOptions {
  id?: string;
  orderId: string | number;
  items?: { sku: string; quantity: number; unit_price?: number }[];
  totalAmount?: number;
}

export function newOrderEvent(options: OrderEventOptions): string {
  return JSON.stringify({
    ...(options.id ? { id: options.id } : {}),
    event: 'new_order',
    created_at: '2026-11-22T10:00:00Z',
    data: {
      order_id: options.orderId,
      customer_name: 'Test Customer',
      total_amount: options.totalAmount ?? 10,
      currency: 'USD',
      items: options.items ?? [],
    },
  });
}

/**
 * The service for one describe block: started before its tests, closed after
 * them. The object is filled in by the time the first test runs.
 */
export function useTestApp(env: Record<string, string | undefined> = {}): TestApp {
  const app = {} as TestApp;
  beforeAll(async () => {
    Object.assign(app, await startTestApp(env));
  });
  afterAll(() => app.close());
  return app;
}

/** Signs in to the console with the admin token: the session cookie (`name=value`) its pages need. */
export async function consoleSession(baseUrl: string): Promise<string> {
  const login = await fetch(`${baseUrl}/console/login`, {
    method: 'POST',
    redirect: 'manual',
    body: new URLSearchParams({ token: ADMIN_TOKEN }),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  if (login.status !== 303) throw new Error(`console login answered ${login.status}`);
  return login.headers.get('set-cookie')!.split(';')[0];
}
