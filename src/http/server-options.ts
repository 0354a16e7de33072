import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet, { type HelmetOptions } from 'helmet';
import proxyaddr from 'proxy-addr';

/**
 * The headers helmet sets, computed once: with no per-request directive they
 * are the same for every answer, so each request copies them instead of
 * running helmet's middleware chain.
 */
export function securityHeaders(options: HelmetOptions): [string, string][] {
  const headers = new Map<string, string>();
  const response = {
    setHeader: (name: string, value: string | number | string[]) => headers.set(name.toLowerCase(), String(value)),
    removeHeader: (name: string) => headers.delete(name.toLowerCase()),
  };
  let finished = false;
  helmet(options)({} as IncomingMessage, response as unknown as ServerResponse, (error?: unknown) => {
    if (error) throw error instanceof Error ? error : new Error('helmet refused its options');
    finished = true;
  });
  if (!finished || headers.size === 0) throw new Error('helmet did not set its headers synchronously');
  return [...headers];
}

/** TRUST_PROXY as Fastify takes it: which x-forwarded-for hops to believe (the same rules as Express's). */
export function trustProxyOf(setting: boolean | number | string): boolean | ((address: string, hop: number) => boolean) {
  if (typeof setting === 'boolean') return setting;
  if (typeof setting === 'number') return (_address, hop) => hop < setting;
  return proxyaddr.compile(setting.split(',').map((entry) => entry.trim()));
}
