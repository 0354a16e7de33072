import { existsSync } from 'node:fs';
import proxyaddr from 'proxy-addr';
import { type DefaultsContext, Environment, type Setting, readSettings, Refused, type ValueOf, variable } from './environment.js';
import { anyText, byteSize, duration, durations, integer, matching, oneOf, trueOrFalse } from './variable-parsers.js';

export { ConfigError } from './environment.js';

/**
 * TRUST_PROXY compiled once (Express's rules, proxy-addr's matcher).
 * `setting` is the variable as given (a number of hops, or the proxies'
 * addresses), false when unset.
 */
export interface TrustProxy {
  setting: false | number | string;
  /**
   * Whether the hop at `address`, `hop` steps from the service (0: the
   * peer), is a proxy whose x-forwarded-* headers are believed.
   */
  trusts: (address: string, hop: number) => boolean;
}

const TRUSTS_NONE: TrustProxy = { setting: false, trusts: () => false };

/**
 * Express's `trust proxy` rules, restricted to settings that cannot be
 * spoofed: a number of proxy hops, or the proxies' addresses, ranges or
 * names (loopback, linklocal, uniquelocal). `true` would believe the
 * left-most x-forwarded-for entry, which the client writes itself.
 */
function trustProxy(text: string): TrustProxy | Refused {
  if (text === 'false') return TRUSTS_NONE;
  if (/^\d{1,2}$/.test(text)) {
    const hops = Number(text);
    return { setting: hops, trusts: (_address, hop) => hop < hops };
  }
  const explain = 'give the number of proxies in front, or their addresses (e.g. loopback, 10.0.0.0/8)';
  if (text === 'true') return new Refused(`TRUST_PROXY=true would believe any client's x-forwarded-for; ${explain}`);
  try {
    return { setting: text, trusts: proxyaddr.compile(text.split(',').map((entry) => entry.trim())) };
  } catch (error) {
    return new Refused(`TRUST_PROXY: ${(error as Error).message}; ${explain}`);
  }
}

export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

/** TLS_CERT_FILE and TLS_KEY_FILE, read together: both (files that exist) or neither. */
const TLS: Setting<TlsFiles | undefined> = {
  variables: ['TLS_CERT_FILE', 'TLS_KEY_FILE'],
  meaning: 'serve HTTPS directly with this PEM certificate and key',
  byDefault: 'plain HTTP',
  read(env) {
    const certFile = env.text('TLS_CERT_FILE');
    const keyFile = env.text('TLS_KEY_FILE');
    if (certFile === undefined && keyFile === undefined) return undefined;
    if (certFile === undefined || keyFile === undefined) {
      env.refuse('TLS_CERT_FILE and TLS_KEY_FILE go together: set both to serve HTTPS, or neither');
      return undefined;
    }
    for (const [variable, file] of [['TLS_CERT_FILE', certFile], ['TLS_KEY_FILE', keyFile]]) {
      if (!existsSync(file)) env.refuse(`${variable}: no file at ${file}`);
    }
    return { certFile, keyFile };
  },
};

const RATE_UNIT = 'requests per minute per address; 0 turns it off';

/**
 * Every variable the service reads (the webhook sources' own are in
 * src/webhooks/webhook-sources.ts), each declared once: its name, what it
 * means and its default as README's table shows them, and its parser. The
 * keys are AppConfig's fields; NODE_ENV comes first, as defaults depend on it.
 */
export const SETTINGS = {
  nodeEnv: variable({
    name: 'NODE_ENV',
    meaning: '`development`, `production` or `test`',
    default: 'development',
    parse: oneOf(['development', 'production', 'test']),
  }),
  port: variable({ name: 'PORT', meaning: 'HTTP port', default: '3000', parse: integer({ min: 0, max: 65535 }) }),
  databaseUrl: variable({
    name: 'DATABASE_URL',
    meaning: 'PostgreSQL connection string `postgres://user:pass@host:port/db`',
    byDefault: 'embedded PostgreSQL in `.data/pg`',
    parse: matching(/^postgres(ql)?:\/\/.+/, (name) => `${name} must look like postgres://user:pass@host:port/db`),
  }),
  migrationsRun: variable({ name: 'MIGRATIONS_RUN', meaning: '`false` skips migrations at start', default: 'true', parse: trueOrFalse }),
  toleranceSeconds: variable({
    name: 'WEBHOOK_TOLERANCE_SECONDS',
    meaning: 'largest age or future skew of a signed timestamp (for timestamped schemes)',
    default: '300',
    parse: integer({ min: 1, max: 86_400 }),
  }),
  bodyLimit: variable({ name: 'WEBHOOK_BODY_LIMIT', meaning: 'largest accepted webhook body (`256kb`, `1mb`, ...)', default: '256kb', parse: byteSize }),
  adminToken: variable({ name: 'ADMIN_TOKEN', meaning: 'bearer token of the management API', byDefault: 'none: the management API answers 401', parse: anyText }),
  /** Requests per minute per client address; 0 turns the limit off. */
  webhookRateLimit: variable({
    name: 'WEBHOOK_RATE_LIMIT',
    meaning: 'webhook requests per minute per client address (0: no limit)',
    // High enough for a gateway's flash sale from a few addresses; a flood from one address stops here.
    default: '120000',
    parse: integer({ min: 0, max: 10_000_000, unit: RATE_UNIT }),
  }),
  adminRateLimit: variable({
    name: 'ADMIN_RATE_LIMIT',
    meaning: 'management requests per minute per client address (0: no limit)',
    default: '600',
    parse: integer({ min: 0, max: 10_000_000, unit: RATE_UNIT }),
  }),
  logLevel: variable({
    name: 'LOG_LEVEL',
    meaning: '`fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`',
    default: ({ nodeEnv }: DefaultsContext) => (nodeEnv === 'test' ? 'error' : 'info'),
    byDefault: '`info`',
    parse: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], (name) => `${name} must be one of fatal, error, warn, info, debug, trace, silent`),
  }),
  /** JSON lines, or readable ones (the default in development). */
  logFormat: variable({
    name: 'LOG_FORMAT',
    meaning: '`json` (one JSON object a line, for a log pipeline) or `pretty`',
    default: ({ nodeEnv }: DefaultsContext) => (nodeEnv === 'development' ? 'pretty' : 'json'),
    byDefault: '`pretty` in development, `json` otherwise',
    parse: oneOf(['json', 'pretty'], (name) => `${name} must be json or pretty`),
  }),
  dbPoolSize: variable({ name: 'DB_POOL_SIZE', meaning: 'connections per instance', default: '20', parse: integer({ min: 1, max: 200 }) }),
  dbConnectTimeoutMs: variable({
    name: 'DB_CONNECT_TIMEOUT_MS',
    meaning: 'how long a request waits for a connection before answering 503',
    default: '5000',
    parse: integer({ min: 100, max: 60_000 }),
  }),
  tls: TLS,
  trustProxy: variable({
    name: 'TRUST_PROXY',
    meaning:
      'believe `x-forwarded-for` from these proxies: a number of hops, or their addresses, ranges or names (`loopback`, `10.0.0.0/8`). `true` is refused: it would believe whatever a client writes',
    default: 'false',
    parse: trustProxy,
  }),
  /** How long an unpaid order holds its stock, in ms; 0: for ever. */
  reservationTtlMs: variable({
    name: 'RESERVATION_TTL',
    meaning:
      'how long an unpaid order (`pending`, `payment_failed`) holds its stock, as a duration (`30m`, `2h`); then it is `cancelled` with reason `reservation_expired` (see [Reservation expiry](#reservation-expiry))',
    default: '0',
    byDefault: '`0` (never)',
    parse: duration(),
  }),
  /** The delays between a notification's attempts, in ms; after the last, it is failed. */
  notifyRetryScheduleMs: variable({
    name: 'NOTIFY_RETRY_SCHEDULE',
    meaning:
      'delays between attempts of a notification, comma-separated durations; after the last, the message is `failed` (see [Notifications](#notifications))',
    default: '5s,5m,30m,2h,5h,10h,10h',
    parse: durations({ allowZero: false }),
  }),
  /** How long an endpoint has to answer one attempt, in ms. */
  notifyTimeoutMs: variable({
    name: 'NOTIFY_TIMEOUT',
    meaning: 'how long an endpoint has to answer one attempt (at most `300s`)',
    default: '15s',
    parse: duration({ allowZero: false, max: 300_000 }),
  }),
  /** Endpoints may live on loopback, private or link-local addresses. */
  notifyAllowPrivateNetworks: variable({
    name: 'NOTIFY_ALLOW_PRIVATE_NETWORKS',
    meaning: '`true` lets notification endpoints live on loopback, private or link-local addresses (a storefront on the same network)',
    default: 'false',
    parse: trueOrFalse,
  }),
};

export type AppConfigValues = { readonly [K in keyof typeof SETTINGS]: ValueOf<(typeof SETTINGS)[K]> };

/** Gives AppConfig the fields of SETTINGS' values, so that they are declared there alone. */
const WithSettings = class {} as new () => AppConfigValues;

/**
 * Typed, validated configuration, built once at boot from the environment;
 * every bad variable is reported in one error rather than the first one only.
 */
export class AppConfig extends WithSettings {
  /** Reads and checks the service's variables alone (command-line tools); src/configuration.ts reads the webhook sources too. */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): AppConfig {
    const environment = new Environment(env);
    const config = AppConfig.read(environment);
    environment.check();
    return config;
  }

  /** The values of SETTINGS; problems are left in `env` for its check. */
  static read(env: Environment): AppConfig {
    const values = readSettings(SETTINGS, env, (read) => ({ nodeEnv: read.nodeEnv ?? 'development' }));
    return Object.assign(new AppConfig(), values);
  }
}
