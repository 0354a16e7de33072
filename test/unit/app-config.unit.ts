import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { AppConfig, ConfigError, SETTINGS } from '../../src/config/app-config.js';
import { byteSizeOf } from '../../src/config/variable-parsers.js';
import { readConfiguration } from '../../src/configuration.js';
import { SOURCE_VARIABLES } from '../../src/webhooks/webhook-sources.js';

/** The problems the whole environment (the service's variables and the webhook sources') is refused with. */
function problems(env: Record<string, string>): string[] {
  try {
    readConfiguration(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

const SW_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

describe('configuration', () => {
  it('has the contract defaults', () => {
    const { config, sources } = readConfiguration({ WEBHOOK_SECRET: 's' });
    expect(config).toMatchObject({
      port: 3000,
      toleranceSeconds: 300,
      bodyLimit: { bytes: 256 * 1024, text: '256kb' },
      migrationsRun: true,
      databaseUrl: undefined,
      adminToken: undefined,
      dbPoolSize: 20,
      dbConnectTimeoutMs: 5_000,
      webhookRateLimit: 120_000,
      adminRateLimit: 600,
      trustProxy: { setting: false },
      tls: undefined,
    });
    expect(sources.get('default')).toMatchObject({ schemes: ['hmac-sha256'], secrets: ['s'], generatedSecret: false });
  });

  it.each([
    ['PORT', '8080', 'port', 8080],
    ['PORT', ' 8080 ', 'port', 8080],
    ['PORT', '', 'port', 3000],
    ['DATABASE_URL', 'postgresql://shop:pw@db:5432/shop', 'databaseUrl', 'postgresql://shop:pw@db:5432/shop'],
    ['MIGRATIONS_RUN', 'false', 'migrationsRun', false],
    ['MIGRATIONS_RUN', 'true', 'migrationsRun', true],
    ['WEBHOOK_TOLERANCE_SECONDS', '60', 'toleranceSeconds', 60],
    ['WEBHOOK_BODY_LIMIT', '1 MB', 'bodyLimit', { bytes: 1024 * 1024, text: '1mb' }],
    ['WEBHOOK_BODY_LIMIT', '1048576', 'bodyLimit', { bytes: 1048576, text: '1048576' }],
    ['WEBHOOK_BODY_LIMIT', '512b', 'bodyLimit', { bytes: 512, text: '512b' }],
    ['WEBHOOK_BODY_LIMIT', '64KB', 'bodyLimit', { bytes: 64 * 1024, text: '64kb' }],
    ['ADMIN_TOKEN', 'admin-token', 'adminToken', 'admin-token'],
    ['WEBHOOK_RATE_LIMIT', '0', 'webhookRateLimit', 0],
    ['ADMIN_RATE_LIMIT', '10', 'adminRateLimit', 10],
    ['DB_POOL_SIZE', '5', 'dbPoolSize', 5],
    ['DB_CONNECT_TIMEOUT_MS', '100', 'dbConnectTimeoutMs', 100],
    ['LOG_LEVEL', 'debug', 'logLevel', 'debug'],
    ['LOG_FORMAT', 'json', 'logFormat', 'json'],
  ] as const)('reads %s=%j as %s %j', (variable, value, field, expected) => {
    expect(AppConfig.fromEnv({ WEBHOOK_SECRET: 's', [variable]: value })[field]).toEqual(expected);
  });

  it.each([
    ['development', 'info', 'pretty'],
    ['production', 'info', 'json'],
    ['test', 'error', 'json'],
  ])('logs at NODE_ENV=%s with level %s, as %s lines', (nodeEnv, logLevel, logFormat) => {
    expect(AppConfig.fromEnv({ WEBHOOK_SECRET: 's', NODE_ENV: nodeEnv })).toMatchObject({ nodeEnv, logLevel, logFormat });
  });

  it('names every bad variable in one error', () => {
    const found = problems({
      PORT: 'eighty',
      DATABASE_URL: 'mysql://x',
      MIGRATIONS_RUN: 'yes',
      WEBHOOK_TOLERANCE_SECONDS: '-5',
      WEBHOOK_BODY_LIMIT: 'lots',
      WEBHOOK_SIGNATURE_SCHEME: 'md5',
      WEBHOOK_SECRET: 's',
    });
    for (const variable of ['PORT', 'DATABASE_URL', 'MIGRATIONS_RUN', 'WEBHOOK_TOLERANCE_SECONDS', 'WEBHOOK_BODY_LIMIT', 'WEBHOOK_SIGNATURE_SCHEME']) {
      expect(found.some((p) => p.includes(variable))).toBe(true);
    }
    expect(found).toHaveLength(6);
  });

  it.each([
    ['NODE_ENV', 'staging'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['PORT', '80.5'],
    ['DATABASE_URL', 'mysql://x'],
    ['DATABASE_URL', 'postgres://'],
    ['MIGRATIONS_RUN', 'yes'],
    ['WEBHOOK_TOLERANCE_SECONDS', '0'],
    ['WEBHOOK_TOLERANCE_SECONDS', '86401'],
    ['WEBHOOK_BODY_LIMIT', 'lots'],
    ['WEBHOOK_BODY_LIMIT', '1gb'],
    ['WEBHOOK_RATE_LIMIT', '-1'],
    ['ADMIN_RATE_LIMIT', 'many'],
    ['DB_POOL_SIZE', '0'],
    ['DB_POOL_SIZE', '201'],
    ['DB_CONNECT_TIMEOUT_MS', '99'],
    ['DB_CONNECT_TIMEOUT_MS', '60001'],
    ['LOG_LEVEL', 'verbose'],
    ['LOG_FORMAT', 'xml'],
  ])('refuses %s=%j with one problem naming it', (variable, value) => {
    const found = problems({ WEBHOOK_SECRET: 's', [variable]: value });
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(variable);
  });

  it.each([
    ['NODE_ENV', 'staging', 'NODE_ENV must be one of the following values: development, production, test'],
    ['PORT', '70000', 'PORT must not be greater than 65535'],
    ['PORT', '-1', 'PORT must not be less than 0'],
    ['PORT', '80.5', 'PORT must be an integer'],
    ['PORT', '  ', 'PORT must be an integer'],
    ['DATABASE_URL', 'mysql://x', 'DATABASE_URL must look like postgres://user:pass@host:port/db'],
    ['MIGRATIONS_RUN', 'TRUE', 'MIGRATIONS_RUN must be true or false'],
    ['WEBHOOK_TOLERANCE_SECONDS', '0', 'WEBHOOK_TOLERANCE_SECONDS must not be less than 1'],
    ['WEBHOOK_TOLERANCE_SECONDS', '86401', 'WEBHOOK_TOLERANCE_SECONDS must not be greater than 86400'],
    ['WEBHOOK_TOLERANCE_SECONDS', '1e3', 'WEBHOOK_TOLERANCE_SECONDS must be an integer'],
    ['WEBHOOK_BODY_LIMIT', '1gb', 'WEBHOOK_BODY_LIMIT must be a size such as 256kb or 1mb'],
    ['WEBHOOK_BODY_LIMIT', ' 1mb', 'WEBHOOK_BODY_LIMIT must be a size such as 256kb or 1mb'],
    ['WEBHOOK_RATE_LIMIT', '-1', 'WEBHOOK_RATE_LIMIT must not be less than 0'],
    ['WEBHOOK_RATE_LIMIT', '10000001', 'WEBHOOK_RATE_LIMIT must not be greater than 10000000'],
    ['ADMIN_RATE_LIMIT', 'many', 'ADMIN_RATE_LIMIT must be an integer (requests per minute per address; 0 turns it off)'],
    ['WEBHOOK_RATE_LIMIT', 'x', 'WEBHOOK_RATE_LIMIT must be an integer (requests per minute per address; 0 turns it off)'],
    ['DB_POOL_SIZE', '0', 'DB_POOL_SIZE must not be less than 1'],
    ['DB_POOL_SIZE', '201', 'DB_POOL_SIZE must not be greater than 200'],
    ['DB_POOL_SIZE', 'x', 'DB_POOL_SIZE must be an integer'],
    ['DB_CONNECT_TIMEOUT_MS', '99', 'DB_CONNECT_TIMEOUT_MS must not be less than 100'],
    ['DB_CONNECT_TIMEOUT_MS', '60001', 'DB_CONNECT_TIMEOUT_MS must not be greater than 60000'],
    ['DB_CONNECT_TIMEOUT_MS', 'x', 'DB_CONNECT_TIMEOUT_MS must be an integer'],
    ['LOG_LEVEL', 'INFO', 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent'],
    ['LOG_FORMAT', 'xml', 'LOG_FORMAT must be json or pretty'],
  ])('refuses %s=%j with the message %j', (variable, value, problem) => {
    expect(problems({ WEBHOOK_SECRET: 's', [variable]: value })).toEqual([problem]);
  });

  it('names every problem in one message, one line each', () => {
    let message = '';
    try {
      AppConfig.fromEnv({ WEBHOOK_SECRET: 's', PORT: 'x', LOG_FORMAT: 'xml' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe('invalid configuration:\n  - PORT must be an integer\n  - LOG_FORMAT must be json or pretty');
  });

  it('reports one problem per bad variable', () => {
    expect(problems({ PORT: 'abc', WEBHOOK_SECRET: 's' })).toEqual(['PORT must be an integer']);
  });

  it('refuses a WEBHOOK_SECRET that names no secret rather than generating one', () => {
    expect(problems({ WEBHOOK_SECRET: ' , ' })).toEqual([expect.stringContaining('WEBHOOK_SECRET is set but names no secret')]);
  });

  it('needs no webhook secret for command-line tools, which read the service\'s variables alone', () => {
    expect(AppConfig.fromEnv({ NODE_ENV: 'production' })).toMatchObject({ nodeEnv: 'production' });
  });

  it('refuses to run in production without WEBHOOK_SECRET', () => {
    expect(problems({ NODE_ENV: 'production' })).toEqual([expect.stringContaining('WEBHOOK_SECRET is required')]);
  });

  it('generates a development secret when WEBHOOK_SECRET is unset', () => {
    const a = readConfiguration({}).sources.get('default')!;
    const b = readConfiguration({}).sources.get('default')!;
    expect(a.generatedSecret).toBe(true);
    expect(a.secrets[0]).toMatch(/^[0-9a-f]{48}$/);
    expect(a.secrets[0]).not.toBe(b.secrets[0]);
  });

  it('splits rotated secrets and reads named sources', () => {
    const config = readConfiguration({
      WEBHOOK_SECRET: ' a , b ',
      WEBHOOK_SHOP_EU_SECRET: 'eu',
      WEBHOOK_SHOP_EU_SCHEME: 'hmac-sha256',
    });
    expect(config.sources.get('default')!.secrets).toEqual(['a', 'b']);
    expect(config.sources.get('shop_eu')).toMatchObject({ name: 'shop_eu', secrets: ['eu'], schemes: ['hmac-sha256'], keys: [['hmac-sha256', [Buffer.from('eu')]]] });
    expect(config.sources.get('signature')).toBeUndefined();
  });

  it.each([
    ['stripe', ['stripe']],
    ['STRIPE', ['stripe']],
    [' stripe , hmac-sha256 ', ['stripe', 'hmac-sha256']],
    ['standard-webhooks', ['standard-webhooks']],
  ])('reads WEBHOOK_SIGNATURE_SCHEME=%j as the schemes %j', (value, schemes) => {
    expect(readConfiguration({ WEBHOOK_SECRET: SW_SECRET, WEBHOOK_SIGNATURE_SCHEME: value }).sources.get('default')!.schemes).toEqual(schemes);
  });

  it.each([
    [{ WEBHOOK_SIGNATURE_SCHEME: ' , ' }, 'WEBHOOK_SIGNATURE_SCHEME names no scheme'],
    [{ WEBHOOK_SIGNATURE_SCHEME: 'hmac' }, 'WEBHOOK_SIGNATURE_SCHEME: unknown scheme "hmac" (supported: hmac-sha256, standard-webhooks, stripe, shopify, woocommerce)'],
    [{ WEBHOOK_DEFAULT_SECRET: 'd' }, 'WEBHOOK_DEFAULT_SECRET: "default" is reserved for POST /webhooks; use WEBHOOK_SECRET'],
    [{ WEBHOOK_SHOP_ALLOWED_IPS: '10.0.0.1' }, 'WEBHOOK_SHOP_SECRET is required because WEBHOOK_SHOP_SCHEME, _PROVIDER, _ALLOWED_IPS or _ORDERS_FROM is set'],
    [{ WEBHOOK_PROVIDER: 'paypal' }, 'WEBHOOK_PROVIDER must be one of shelfsync, stripe, shopify, woocommerce (got "paypal")'],
    [{ WEBHOOK_SHOP_SECRET: 's', WEBHOOK_SHOP_PROVIDER: 'Square' }, 'WEBHOOK_SHOP_PROVIDER must be one of shelfsync, stripe, shopify, woocommerce (got "Square")'],
    [{ WEBHOOK_SHOP_SECRET: ',' }, 'WEBHOOK_SHOP_SECRET is required because WEBHOOK_SHOP_SCHEME, _PROVIDER, _ALLOWED_IPS or _ORDERS_FROM is set'],
    [{ WEBHOOK_ALLOWED_IPS: ' , ' }, 'WEBHOOK_ALLOWED_IPS is set but lists no address'],
  ])('refuses %j: %s', (env: Record<string, string>, problem) => {
    expect(problems({ WEBHOOK_SECRET: 's', ...env })).toEqual([problem]);
  });

  describe('whose orders a source reaches (WEBHOOK_<NAME>_ORDERS_FROM)', () => {
    const stores = { WEBHOOK_SECRET: 's', WEBHOOK_SHOP_SECRET: 'a', WEBHOOK_SHOP_PROVIDER: 'shopify', WEBHOOK_WOO_SECRET: 'b', WEBHOOK_WOO_PROVIDER: 'woocommerce' };
    const orderSources = (env: Record<string, string>) =>
      Object.fromEntries([...readConfiguration({ ...stores, ...env }).sources.values()].map((source) => [source.name, source.orderSources]));

    it('a source that creates orders reaches its own; a payment provider every such source, by default', () => {
      expect(orderSources({ WEBHOOK_PAY_SECRET: 'whsec_p', WEBHOOK_PAY_PROVIDER: 'stripe' })).toEqual({
        default: ['default'],
        shop: ['shop'],
        woo: ['woo'],
        pay: ['default', 'shop', 'woo'],
      });
    });

    it('a payment provider reaches the sources listed, once each, whatever their case', () => {
      expect(orderSources({ WEBHOOK_PAY_SECRET: 'whsec_p', WEBHOOK_PAY_PROVIDER: 'stripe', WEBHOOK_PAY_ORDERS_FROM: 'woo, SHOP,woo' }).pay).toEqual(['shop', 'woo']);
      expect(orderSources({ WEBHOOK_PROVIDER: 'stripe', WEBHOOK_ORDERS_FROM: 'shop' }).default).toEqual(['shop']);
    });

    it.each([
      [{ WEBHOOK_SHOP_ORDERS_FROM: 'woo' }, 'WEBHOOK_SHOP_ORDERS_FROM is for a payment provider (stripe); a shopify source reaches only its own orders'],
      [{ WEBHOOK_PAY_SECRET: 'whsec_p', WEBHOOK_PAY_PROVIDER: 'stripe', WEBHOOK_PAY_ORDERS_FROM: 'shop,etsy' }, 'WEBHOOK_PAY_ORDERS_FROM: "etsy" is not a source that creates orders (those configured: default, shop, woo)'],
      [{ WEBHOOK_PAY_SECRET: 'whsec_p', WEBHOOK_PAY_PROVIDER: 'stripe', WEBHOOK_CARD_SECRET: 'whsec_c', WEBHOOK_CARD_PROVIDER: 'stripe', WEBHOOK_PAY_ORDERS_FROM: 'card' }, 'WEBHOOK_PAY_ORDERS_FROM: "card" is not a source that creates orders (those configured: default, shop, woo)'],
      [{ WEBHOOK_PAY_SECRET: 'whsec_p', WEBHOOK_PAY_PROVIDER: 'stripe', WEBHOOK_PAY_ORDERS_FROM: ' , ' }, 'WEBHOOK_PAY_ORDERS_FROM is set but names no source'],
      [{ WEBHOOK_PAY_ORDERS_FROM: 'shop' }, 'WEBHOOK_PAY_SECRET is required because WEBHOOK_PAY_SCHEME, _PROVIDER, _ALLOWED_IPS or _ORDERS_FROM is set'],
    ])('refuses %j: %s', (env: Record<string, string>, problem) => {
      expect(problems({ ...stores, ...env })).toEqual([problem]);
    });
  });

  it.each(['stripe', ' Stripe '])('WEBHOOK_SHOP_PROVIDER=%j makes /webhooks/shop speak Stripe, signed by the stripe scheme', (value) => {
    const shop = readConfiguration({ WEBHOOK_SECRET: 's', WEBHOOK_SHOP_SECRET: 'whsec_shop', WEBHOOK_SHOP_PROVIDER: value }).sources.get('shop');
    expect(shop).toMatchObject({ provider: 'stripe', schemes: ['stripe'], secrets: ['whsec_shop'] });
  });

  it('takes WEBHOOK_PROVIDER=stripe for the default source, and a WEBHOOK_SHOP_SCHEME that says stripe too', () => {
    expect(readConfiguration({ WEBHOOK_SECRET: 'whsec_d', WEBHOOK_PROVIDER: 'stripe' }).sources.get('default')).toMatchObject({ provider: 'stripe', schemes: ['stripe'] });
    const shop = readConfiguration({ WEBHOOK_SECRET: 's', WEBHOOK_SHOP_SECRET: 'w', WEBHOOK_SHOP_PROVIDER: 'stripe', WEBHOOK_SHOP_SCHEME: 'STRIPE' });
    expect(shop.sources.get('shop')).toMatchObject({ provider: 'stripe', schemes: ['stripe'] });
  });

  it('refuses WEBHOOK_SHOP_SCHEME=hmac-sha256 with WEBHOOK_SHOP_PROVIDER=stripe, with one message', () => {
    expect(problems({ WEBHOOK_SECRET: 's', WEBHOOK_SHOP_SECRET: 'w', WEBHOOK_SHOP_PROVIDER: 'stripe', WEBHOOK_SHOP_SCHEME: 'hmac-sha256' })).toEqual([
      'WEBHOOK_SHOP_SCHEME=hmac-sha256 conflicts with WEBHOOK_SHOP_PROVIDER=stripe, which is signed by the stripe scheme; leave WEBHOOK_SHOP_SCHEME unset',
    ]);
  });

  it('refuses a named source without a secret, unknown schemes and secrets that do not fit their scheme', () => {
    const found = problems({
      WEBHOOK_SECRET: 'plain secret',
      WEBHOOK_SIGNATURE_SCHEME: 'standard-webhooks',
      WEBHOOK_ACME_SCHEME: 'hmac-sha256',
      WEBHOOK_OTHER_SECRET: 's',
      WEBHOOK_OTHER_SCHEME: 'md5',
    });
    expect(found).toEqual([
      'WEBHOOK_SECRET: secret 1 is not a standard-webhooks secret (whsec_ and the base64 of at least 16 bytes)',
      expect.stringContaining('WEBHOOK_ACME_SECRET is required'),
      'WEBHOOK_OTHER_SCHEME: unknown scheme "md5" (supported: hmac-sha256, standard-webhooks, stripe, shopify, woocommerce)',
    ]);
  });

  it('reads allowed addresses per source and refuses what is not an address or range', () => {
    const { sources } = readConfiguration({
      WEBHOOK_SECRET: 's',
      WEBHOOK_ALLOWED_IPS: '10.0.0.0/8, 192.168.1.7',
      WEBHOOK_SHOP_SECRET: 's',
      WEBHOOK_SHOP_ALLOWED_IPS: '2001:db8::/32',
    });
    expect(sources.get('default')!.allowedIps!.entries).toEqual(['10.0.0.0/8', '192.168.1.7']);
    expect(sources.get('shop')!.allowedIps!.entries).toEqual(['2001:db8::/32']);
    expect(sources.get('shop_eu')).toBeUndefined();
    // compiled once: the guard asks, never parses
    const allowed = sources.get('default')!.allowedIps!;
    expect(['10.9.8.7', '192.168.1.7', '192.168.1.8', '11.0.0.1', 'not-an-address'].map((address) => allowed.allows(address))).toEqual([true, true, false, false, false]);
    expect(['2001:db8::5', '2001:db9::5'].map((address) => sources.get('shop')!.allowedIps!.allows(address))).toEqual([true, false]);
    expect(problems({ WEBHOOK_SECRET: 's', WEBHOOK_ALLOWED_IPS: '10.0.0.0/33,example.com' })).toEqual([
      'WEBHOOK_ALLOWED_IPS: "10.0.0.0/33" is not an address or CIDR range',
      'WEBHOOK_ALLOWED_IPS: "example.com" is not an address or CIDR range',
    ]);
  });

  it.each(['2001:db8::/129', '10.0.0.0/8/8', '10.0.0.0/', '10.0.0.0/x', '10.0.0.256'])('refuses the allowed address %j', (entry) => {
    expect(problems({ WEBHOOK_SECRET: 's', WEBHOOK_ALLOWED_IPS: entry })).toEqual([`WEBHOOK_ALLOWED_IPS: "${entry}" is not an address or CIDR range`]);
  });

  it('wants both TLS files or neither, and files that exist', () => {
    expect(problems({ WEBHOOK_SECRET: 's', TLS_CERT_FILE: '/etc/hostname' })).toEqual([
      expect.stringContaining('TLS_CERT_FILE and TLS_KEY_FILE go together'),
    ]);
    expect(problems({ WEBHOOK_SECRET: 's', TLS_CERT_FILE: '/nope.pem', TLS_KEY_FILE: '/etc/hostname' })).toEqual([
      'TLS_CERT_FILE: no file at /nope.pem',
    ]);
  });

  it.each([
    [undefined, false],
    ['false', false],
    ['2', 2],
    ['10.0.0.1, 10.0.0.0/8', '10.0.0.1, 10.0.0.0/8'],
    ['loopback, uniquelocal', 'loopback, uniquelocal'],
  ])('reads TRUST_PROXY=%j as express does: %j', (value, trustProxy) => {
    const env: Record<string, string> = { WEBHOOK_SECRET: 's' };
    if (value !== undefined) env.TRUST_PROXY = value;
    expect(AppConfig.fromEnv(env).trustProxy.setting).toBe(trustProxy);
  });

  it.each([
    [undefined, '127.0.0.1', 0, false],
    ['1', '203.0.113.9', 0, true],
    ['1', '203.0.113.9', 1, false],
    ['2', '203.0.113.9', 1, true],
    ['loopback', '127.0.0.1', 0, true],
    ['loopback', '10.0.0.1', 0, false],
    ['10.0.0.0/8, loopback', '10.9.8.7', 1, true],
  ])('compiles TRUST_PROXY=%j once: the hop at %s, %d from the service, is believed: %s', (value, address, hop, believed) => {
    const env: Record<string, string> = { WEBHOOK_SECRET: 's' };
    if (value !== undefined) env.TRUST_PROXY = value;
    expect(AppConfig.fromEnv(env).trustProxy.trusts(address, hop)).toBe(believed);
  });

  it("refuses TRUST_PROXY=true: it would believe any client's x-forwarded-for", () => {
    expect(problems({ WEBHOOK_SECRET: 's', TRUST_PROXY: 'true' })).toEqual([expect.stringContaining("any client's x-forwarded-for")]);
  });

  it.each(['abc', '1.2.3.4/99', 'yes please'])('refuses TRUST_PROXY=%j', (bad) => {
    expect(problems({ WEBHOOK_SECRET: 's', TRUST_PROXY: bad })).toEqual([expect.stringMatching(/^TRUST_PROXY: /)]);
  });

  it.each([
    ['a secret of one base64 character', 'whsec_A'],
    ['a secret of one byte', 'whsec_AA'],
    ['a secret of 8 bytes', 'whsec_' + Buffer.alloc(8).toString('base64')],
    ['base64 that is not canonical', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS'],
    ['a secret of 15 bytes', 'whsec_' + Buffer.alloc(15, 1).toString('base64')],
  ])('refuses for standard-webhooks %s: it is too short or not canonical base64 to be a key', (_what, secret) => {
    expect(problems({ WEBHOOK_SECRET: secret, WEBHOOK_SIGNATURE_SCHEME: 'standard-webhooks' })).toEqual([
      'WEBHOOK_SECRET: secret 1 is not a standard-webhooks secret (whsec_ and the base64 of at least 16 bytes)',
    ]);
  });

  it('accepts a standard-webhooks secret of 16 bytes or more, and reports only the other problems', () => {
    expect(readConfiguration({ WEBHOOK_SECRET: 'whsec_' + Buffer.alloc(16, 1).toString('base64'), WEBHOOK_SIGNATURE_SCHEME: 'standard-webhooks' }).sources.get('default')!.schemes).toEqual(['standard-webhooks']);
    expect(problems({ WEBHOOK_SECRET: SW_SECRET, WEBHOOK_SIGNATURE_SCHEME: 'standard-webhooks', PORT: 'x' })).toEqual(['PORT must be an integer']);
  });
});

describe('durations: RESERVATION_TTL, NOTIFY_RETRY_SCHEDULE, NOTIFY_TIMEOUT', () => {
  const config = (env: Record<string, string>) => AppConfig.fromEnv({ WEBHOOK_SECRET: 's', ...env });
  const problemsOf = (env: Record<string, string>) => {
    try {
      config(env);
      return [];
    } catch (error) {
      return (error as ConfigError).problems;
    }
  };

  it('defaults to no expiry, the contract schedule, 15 s and no private networks', () => {
    expect(config({})).toMatchObject({
      reservationTtlMs: 0,
      notifyRetryScheduleMs: [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000],
      notifyTimeoutMs: 15_000,
      notifyAllowPrivateNetworks: false,
    });
  });

  it.each([
    ['30m', 1_800_000],
    ['2h', 7_200_000],
    ['500ms', 500],
    [' 45S ', 45_000],
    ['0', 0],
  ])('reads RESERVATION_TTL=%j as %d ms', (value, ms) => {
    expect(config({ RESERVATION_TTL: value }).reservationTtlMs).toBe(ms);
  });

  it('reads a schedule and a timeout, and the private-network opt-in', () => {
    expect(config({ NOTIFY_RETRY_SCHEDULE: '1s, 2s,1m', NOTIFY_TIMEOUT: '2s', NOTIFY_ALLOW_PRIVATE_NETWORKS: 'true' })).toMatchObject({
      notifyRetryScheduleMs: [1_000, 2_000, 60_000],
      notifyTimeoutMs: 2_000,
      notifyAllowPrivateNetworks: true,
    });
  });

  it.each([
    [{ RESERVATION_TTL: '30' }, 'RESERVATION_TTL must be a duration such as 30s, 15m or 2h (ms, s, m, h), or 0 for off, at most 2592000 s (got "30")'],
    [{ RESERVATION_TTL: '-5m' }, 'RESERVATION_TTL must be a duration such as 30s, 15m or 2h (ms, s, m, h), or 0 for off, at most 2592000 s (got "-5m")'],
    [{ RESERVATION_TTL: '31d' }, 'RESERVATION_TTL must be a duration such as 30s, 15m or 2h (ms, s, m, h), or 0 for off, at most 2592000 s (got "31d")'],
    [{ NOTIFY_RETRY_SCHEDULE: '5s,,1m' }, 'NOTIFY_RETRY_SCHEDULE must be a duration such as 30s, 15m or 2h (ms, s, m, h), at most 2592000 s (got "")'],
    [{ NOTIFY_TIMEOUT: '0' }, 'NOTIFY_TIMEOUT must be a duration such as 30s, 15m or 2h (ms, s, m, h), at most 300 s (got "0")'],
    [{ NOTIFY_TIMEOUT: '10m' }, 'NOTIFY_TIMEOUT must be a duration such as 30s, 15m or 2h (ms, s, m, h), at most 300 s (got "10m")'],
    [{ NOTIFY_ALLOW_PRIVATE_NETWORKS: 'yes' }, 'NOTIFY_ALLOW_PRIVATE_NETWORKS must be true or false'],
  ])('refuses %j', (env, problem) => {
    expect(problemsOf(env)).toEqual([problem]);
  });
});

describe('each variable declared once', () => {
  it("README's configuration table is the declarations' (variables, meaning, default), row for row", () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## Receiving webhooks'));
    const rows = section.split('\n').filter((line) => line.startsWith('| `'));
    const declared = [...Object.values(SETTINGS), ...SOURCE_VARIABLES].map(
      (d) => `| ${d.variables.map((v) => `\`${v}\``).join(', ')} | ${d.meaning} | ${d.byDefault} |`,
    );
    expect([...rows].sort()).toEqual([...declared].sort());
  });

  it('config/ imports nothing of the features (webhooks/ reads its sources with config/, never the other way)', () => {
    const folder = new URL('../../src/config/', import.meta.url);
    const outside = readdirSync(folder).flatMap((file) =>
      [...readFileSync(new URL(file, folder), 'utf8').matchAll(/(?:from|import)\s*\(?\s*'(\.[^']*)'/g)].map((m) => m[1]).filter((path) => !path.startsWith('./')).map((path) => `${file}: ${path}`),
    );
    expect(outside).toEqual([]);
  });

  it.each([
    ['4096', 4096, '4096'],
    ['512b', 512, '512b'],
    ['256kb', 256 * 1024, '256kb'],
    ['1 MB', 1024 * 1024, '1mb'],
  ])('reads the size %j as %d bytes, written %j', (size, bytes, text) => {
    expect(byteSizeOf(size)).toEqual({ bytes, text });
  });

  it('refuses what is not a size', () => expect(() => byteSizeOf('1gb')).toThrow(/not a size/));
});
