import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import proxyaddr from 'proxy-addr';
import { plainToInstance, Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, validateSync } from 'class-validator';
import { SCHEMES } from '../webhooks/signature/schemes.js';

export const SIGNATURE_SCHEMES = ['hmac-sha256', 'standard-webhooks', 'stripe', 'shopify', 'woocommerce'] as const;
export type SignatureSchemeName = (typeof SIGNATURE_SCHEMES)[number];

/** What a source speaks (src/webhooks/providers/). */
export const PROVIDERS = ['shelfsync', 'stripe', 'shopify', 'woocommerce'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

/** The scheme a gateway signs with: a provider other than the envelope implies it. */
const SCHEME_OF_PROVIDER: Record<Exclude<ProviderName, 'shelfsync'>, SignatureSchemeName> = {
  stripe: 'stripe',
  shopify: 'shopify',
  woocommerce: 'woocommerce',
};

export const DEFAULT_SOURCE = 'default';

export interface WebhookSource {
  /** `default` for POST /webhooks, otherwise the lower-cased <NAME> of WEBHOOK_<NAME>_SECRET. */
  name: string;
  provider: ProviderName;
  schemes: SignatureSchemeName[];
  /** Any one of them verifies a delivery (rotation). Never logged. */
  secrets: string[];
  /** True when no secret was configured and one was generated for development. */
  generatedSecret: boolean;
  /** Addresses or CIDR ranges allowed to deliver (WEBHOOK_[<NAME>_]ALLOWED_IPS); undefined: any. */
  allowedIps?: string[];
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;

/** The scalar variables, validated with class-validator; empty strings count as unset. */
class EnvSchema {
  @IsOptional()
  @IsIn(['development', 'production', 'test'])
  NODE_ENV?: string;

  @IsOptional()
  @Transform(toInt)
  @Min(0)
  @Max(65535)
  @IsInt({ message: 'PORT must be an integer' })
  PORT?: number;

  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/.+/, { message: 'DATABASE_URL must look like postgres://user:pass@host:port/db' })
  DATABASE_URL?: string;

  @IsOptional()
  @IsIn(['true', 'false'], { message: 'MIGRATIONS_RUN must be true or false' })
  MIGRATIONS_RUN?: string;

  @IsOptional()
  @Transform(toInt)
  @Min(1)
  @Max(86_400)
  @IsInt({ message: 'WEBHOOK_TOLERANCE_SECONDS must be an integer' })
  WEBHOOK_TOLERANCE_SECONDS?: number;

  @IsOptional()
  @Matches(/^\d+\s*(b|kb|mb)?$/i, { message: 'WEBHOOK_BODY_LIMIT must be a size such as 256kb or 1mb' })
  WEBHOOK_BODY_LIMIT?: string;

  @IsOptional()
  @IsString()
  ADMIN_TOKEN?: string;

  @IsOptional()
  @Transform(toInt)
  @Min(0)
  @Max(10_000_000)
  @IsInt({ message: 'WEBHOOK_RATE_LIMIT must be an integer (requests per minute per address; 0 turns it off)' })
  WEBHOOK_RATE_LIMIT?: number;

  @IsOptional()
  @Transform(toInt)
  @Min(0)
  @Max(10_000_000)
  @IsInt({ message: 'ADMIN_RATE_LIMIT must be an integer (requests per minute per address; 0 turns it off)' })
  ADMIN_RATE_LIMIT?: number;

  @IsOptional()
  @IsString()
  TRUST_PROXY?: string;

  @IsOptional()
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
    message: 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent',
  })
  LOG_LEVEL?: string;

  @IsOptional()
  @IsIn(['json', 'pretty'], { message: 'LOG_FORMAT must be json or pretty' })
  LOG_FORMAT?: string;

  @IsOptional()
  @IsString()
  TLS_CERT_FILE?: string;

  @IsOptional()
  @IsString()
  TLS_KEY_FILE?: string;

  @IsOptional()
  @Transform(toInt)
  @Min(1)
  @Max(200)
  @IsInt({ message: 'DB_POOL_SIZE must be an integer' })
  DB_POOL_SIZE?: number;

  @IsOptional()
  @Transform(toInt)
  @Min(100)
  @Max(60_000)
  @IsInt({ message: 'DB_CONNECT_TIMEOUT_MS must be an integer' })
  DB_CONNECT_TIMEOUT_MS?: number;
}

export interface AppConfigValues {
  nodeEnv: 'development' | 'production' | 'test';
  port: number;
  databaseUrl?: string;
  migrationsRun: boolean;
  toleranceSeconds: number;
  bodyLimit: string;
  adminToken?: string;
  dbPoolSize: number;
  dbConnectTimeoutMs: number;
  sources: Map<string, WebhookSource>;
  /** Requests per minute per client address; 0 turns the limit off. */
  webhookRateLimit: number;
  adminRateLimit: number;
  /** TRUST_PROXY as given (a number of hops, or the proxies' addresses), false when unset. */
  trustProxy: boolean | number | string;
  /**
   * TRUST_PROXY compiled once (Express's rules, proxy-addr's matcher):
   * whether the hop at `address`, `hop` steps from the service (0: the
   * peer), is a proxy whose x-forwarded-* headers are believed.
   */
  trustsProxy: (address: string, hop: number) => boolean;
  tls?: { certFile: string; keyFile: string };
  logLevel: string;
  /** JSON lines, or readable ones (the default in development). */
  logFormat: 'json' | 'pretty';
  /** RESERVATION_TTL: how long an unpaid order holds its stock, in ms; 0: for ever. */
  reservationTtlMs: number;
  /** NOTIFY_RETRY_SCHEDULE: the delays between a notification's attempts, in ms; after the last, it is failed. */
  notifyRetryScheduleMs: number[];
  /** NOTIFY_TIMEOUT: how long an endpoint has to answer one attempt, in ms. */
  notifyTimeoutMs: number;
  /** NOTIFY_ALLOW_PRIVATE_NETWORKS: endpoints may live on loopback, private or link-local addresses. */
  notifyAllowPrivateNetworks: boolean;
}

/**
 * Typed, validated configuration. Built once at boot from the environment;
 * every bad variable is reported in one error rather than the first one only.
 */
export class AppConfig implements AppConfigValues {
  nodeEnv!: AppConfigValues['nodeEnv'];
  port!: number;
  databaseUrl?: string;
  migrationsRun!: boolean;
  toleranceSeconds!: number;
  bodyLimit!: string;
  adminToken?: string;
  dbPoolSize!: number;
  dbConnectTimeoutMs!: number;
  sources!: Map<string, WebhookSource>;
  webhookRateLimit!: number;
  adminRateLimit!: number;
  trustProxy!: boolean | number | string;
  trustsProxy!: (address: string, hop: number) => boolean;
  tls?: { certFile: string; keyFile: string };
  logLevel!: string;
  logFormat!: 'json' | 'pretty';
  reservationTtlMs!: number;
  notifyRetryScheduleMs!: number[];
  notifyTimeoutMs!: number;
  notifyAllowPrivateNetworks!: boolean;

  /**
   * `webhookSources: false` is for command-line tools (migrations, reconcile)
   * that never receive webhooks and so need no WEBHOOK_SECRET.
   */
  static fromEnv(env: NodeJS.ProcessEnv = process.env, options: { webhookSources?: boolean } = {}): AppConfig {
    const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
    const parsed = plainToInstance(EnvSchema, present, { excludeExtraneousValues: false });
    // stopAtFirstError: one problem per variable; rules run bottom-up, so each type check sits last.
    const problems = validateSync(parsed, { forbidUnknownValues: false, stopAtFirstError: true }).flatMap((e) =>
      Object.values(e.constraints ?? {}),
    );
    const nodeEnv = (parsed.NODE_ENV ?? 'development') as AppConfigValues['nodeEnv'];
    const sources = options.webhookSources === false ? new Map<string, WebhookSource>() : parseSources(present, nodeEnv, problems);
    const tls = parseTls(parsed.TLS_CERT_FILE, parsed.TLS_KEY_FILE, problems);
    const { trustProxy, trustsProxy } = parseTrustProxy(parsed.TRUST_PROXY, problems);
    const reservationTtlMs = parseDuration('RESERVATION_TTL', present.RESERVATION_TTL, '0', problems);
    const notifyRetryScheduleMs = (present.NOTIFY_RETRY_SCHEDULE ?? '5s,5m,30m,2h,5h,10h,10h')
      .split(',')
      .map((step) => parseDuration('NOTIFY_RETRY_SCHEDULE', step, step, problems, { allowZero: false }));
    const notifyTimeoutMs = parseDuration('NOTIFY_TIMEOUT', present.NOTIFY_TIMEOUT, '15s', problems, { allowZero: false, max: 300_000 });
    const allowPrivate = present.NOTIFY_ALLOW_PRIVATE_NETWORKS ?? 'false';
    if (allowPrivate !== 'true' && allowPrivate !== 'false') problems.push('NOTIFY_ALLOW_PRIVATE_NETWORKS must be true or false');
    if (problems.length > 0) throw new ConfigError(problems);

    return Object.assign(new AppConfig(), {
      nodeEnv,
      port: parsed.PORT ?? 3000,
      databaseUrl: parsed.DATABASE_URL,
      migrationsRun: parsed.MIGRATIONS_RUN !== 'false',
      toleranceSeconds: parsed.WEBHOOK_TOLERANCE_SECONDS ?? 300,
      bodyLimit: (parsed.WEBHOOK_BODY_LIMIT ?? '256kb').replace(/\s+/g, '').toLowerCase(),
      adminToken: parsed.ADMIN_TOKEN,
      dbPoolSize: parsed.DB_POOL_SIZE ?? 20,
      dbConnectTimeoutMs: parsed.DB_CONNECT_TIMEOUT_MS ?? 5_000,
      sources,
      // High enough for a gateway's flash sale from a few addresses; a flood from one address stops here.
      webhookRateLimit: parsed.WEBHOOK_RATE_LIMIT ?? 120_000,
      adminRateLimit: parsed.ADMIN_RATE_LIMIT ?? 600,
      trustProxy,
      trustsProxy,
      tls,
      logLevel: parsed.LOG_LEVEL ?? (nodeEnv === 'test' ? 'error' : 'info'),
      logFormat: (parsed.LOG_FORMAT ?? (nodeEnv === 'development' ? 'pretty' : 'json')) as 'json' | 'pretty',
      reservationTtlMs,
      notifyRetryScheduleMs,
      notifyTimeoutMs,
      notifyAllowPrivateNetworks: allowPrivate === 'true',
    } satisfies AppConfigValues);
  }
}

const DURATION = /^(\d{1,9})\s*(ms|s|m|h)$/;
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;
/** Thirty days: longer than any schedule or TTL a storefront means. */
const MAX_DURATION_MS = 30 * 24 * 3_600_000;

/** A duration (`30m`, `2h`, `500ms`; `0` means off where allowed) in ms; a problem named after its variable otherwise. */
export function parseDuration(
  variable: string,
  value: string | undefined,
  fallback: string,
  problems: string[],
  options: { allowZero?: boolean; max?: number } = {},
): number {
  const text = (value ?? fallback).trim().toLowerCase();
  if (text === '0' && options.allowZero !== false) return 0;
  const match = DURATION.exec(text);
  const ms = match ? Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS] : NaN;
  const max = options.max ?? MAX_DURATION_MS;
  if (!match || ms <= 0 || ms > max) {
    problems.push(
      `${variable} must be a duration such as 30s, 15m or 2h (ms, s, m, h)${options.allowZero === false ? '' : ', or 0 for off'}, at most ${max / 1000} s (got "${value ?? ''}")`,
    );
    return 0;
  }
  return ms;
}

function parseSchemes(variable: string, value: string | undefined, problems: string[]): SignatureSchemeName[] {
  const names = (value ?? 'hmac-sha256')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const schemes: SignatureSchemeName[] = [];
  for (const name of names) {
    if ((SIGNATURE_SCHEMES as readonly string[]).includes(name)) schemes.push(name as SignatureSchemeName);
    else problems.push(`${variable}: unknown scheme "${name}" (supported: ${SIGNATURE_SCHEMES.join(', ')})`);
  }
  if (names.length === 0) problems.push(`${variable} names no scheme`);
  return schemes;
}

function parseSecrets(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

const NAMED_SOURCE = /^WEBHOOK_([A-Z0-9]+(?:_[A-Z0-9]+)*?)_(SECRET|SCHEME|ALLOWED_IPS|PROVIDER)$/;
/** WEBHOOK_SIGNATURE_SCHEME has the shape of a named source's variable but belongs to the default one. */
const NOT_A_SOURCE = new Set(['SIGNATURE']);

function parseSources(env: Record<string, string | undefined>, nodeEnv: string, problems: string[]) {
  const sources = new Map<string, WebhookSource>();

  const defaultSecrets = parseSecrets(env.WEBHOOK_SECRET ?? '');
  let generatedSecret = false;
  if (env.WEBHOOK_SECRET !== undefined && defaultSecrets.length === 0) {
    problems.push('WEBHOOK_SECRET is set but names no secret (comma-separated, non-empty)');
  } else if (defaultSecrets.length === 0) {
    if (nodeEnv === 'production') {
      problems.push('WEBHOOK_SECRET is required when NODE_ENV=production (comma-separated for rotation)');
    } else {
      defaultSecrets.push(randomBytes(24).toString('hex'));
      generatedSecret = true;
    }
  }
  const defaultProvider = parseProvider('WEBHOOK_PROVIDER', env.WEBHOOK_PROVIDER, problems);
  const defaultSchemes = schemesOf(defaultProvider, 'WEBHOOK_PROVIDER', 'WEBHOOK_SIGNATURE_SCHEME', env.WEBHOOK_SIGNATURE_SCHEME, problems);
  checkSecretsFit('WEBHOOK_SECRET', defaultSchemes, defaultSecrets, problems);
  sources.set(DEFAULT_SOURCE, {
    name: DEFAULT_SOURCE,
    provider: defaultProvider,
    schemes: defaultSchemes,
    secrets: defaultSecrets,
    generatedSecret,
    allowedIps: parseAllowedIps('WEBHOOK_ALLOWED_IPS', env.WEBHOOK_ALLOWED_IPS, problems),
  });

  const named = new Map<string, { secret?: string; scheme?: string; allowedIps?: string; provider?: string }>();
  for (const [key, value] of Object.entries(env)) {
    const match = NAMED_SOURCE.exec(key);
    if (!match || NOT_A_SOURCE.has(match[1])) continue;
    const entry = named.get(match[1]) ?? {};
    if (match[2] === 'SECRET') entry.secret = value;
    else if (match[2] === 'SCHEME') entry.scheme = value;
    else if (match[2] === 'PROVIDER') entry.provider = value;
    else entry.allowedIps = value;
    named.set(match[1], entry);
  }
  for (const [upper, entry] of named) {
    const name = upper.toLowerCase();
    if (name === DEFAULT_SOURCE) {
      problems.push(`WEBHOOK_${upper}_SECRET: "${name}" is reserved for POST /webhooks; use WEBHOOK_SECRET`);
      continue;
    }
    const secrets = parseSecrets(entry.secret ?? '');
    if (secrets.length === 0) {
      problems.push(`WEBHOOK_${upper}_SECRET is required because WEBHOOK_${upper}_SCHEME, _PROVIDER or _ALLOWED_IPS is set`);
      continue;
    }
    const provider = parseProvider(`WEBHOOK_${upper}_PROVIDER`, entry.provider, problems);
    const schemes = schemesOf(provider, `WEBHOOK_${upper}_PROVIDER`, `WEBHOOK_${upper}_SCHEME`, entry.scheme, problems);
    checkSecretsFit(`WEBHOOK_${upper}_SECRET`, schemes, secrets, problems);
    sources.set(name, {
      name,
      provider,
      schemes,
      secrets,
      generatedSecret: false,
      allowedIps: parseAllowedIps(`WEBHOOK_${upper}_ALLOWED_IPS`, entry.allowedIps, problems),
    });
  }
  return sources;
}

function parseProvider(variable: string, value: string | undefined, problems: string[]): ProviderName {
  if (value === undefined || value.trim() === '') return 'shelfsync';
  const name = value.trim().toLowerCase();
  if ((PROVIDERS as readonly string[]).includes(name)) return name as ProviderName;
  problems.push(`${variable} must be one of ${PROVIDERS.join(', ')} (got "${value}")`);
  return 'shelfsync';
}

/** The envelope is verified by the schemes configured (default hmac-sha256); a gateway by the scheme it signs with. */
function schemesOf(
  provider: ProviderName,
  providerVariable: string,
  schemeVariable: string,
  value: string | undefined,
  problems: string[],
): SignatureSchemeName[] {
  if (provider === 'shelfsync') return parseSchemes(schemeVariable, value, problems);
  const implied = SCHEME_OF_PROVIDER[provider];
  if (value !== undefined && value.trim() !== '' && value.trim().toLowerCase() !== implied) {
    problems.push(`${schemeVariable}=${value} conflicts with ${providerVariable}=${provider as string}, which is signed by the ${implied as string} scheme; leave ${schemeVariable} unset`);
  }
  return [implied];
}

/** Each secret must make a key for every scheme of its source (the scheme's keyOf says what it needs). */
function checkSecretsFit(variable: string, schemes: SignatureSchemeName[], secrets: string[], problems: string[]): void {
  for (const name of schemes) {
    secrets.forEach((secret, i) => {
      try {
        SCHEMES[name].keyOf(secret);
      } catch (error) {
        problems.push(`${variable}: secret ${i + 1} is ${(error as Error).message}`);
      }
    });
  }
}

function parseAllowedIps(variable: string, value: string | undefined, problems: string[]): string[] | undefined {
  if (value === undefined) return undefined;
  const entries = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const entry of entries) {
    const [address, prefix, extra] = entry.split('/');
    const family = isIP(address);
    const maxPrefix = family === 6 ? 128 : 32;
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= maxPrefix);
    if (!family || !prefixOk || extra !== undefined) problems.push(`${variable}: "${entry}" is not an address or CIDR range`);
  }
  if (entries.length === 0) problems.push(`${variable} is set but lists no address`);
  return entries;
}

type TrustProxy = Pick<AppConfigValues, 'trustProxy' | 'trustsProxy'>;

const TRUSTS_NONE: TrustProxy = { trustProxy: false, trustsProxy: () => false };

/**
 * Express's `trust proxy` rules, restricted to settings that cannot be
 * spoofed: a number of proxy hops, or the proxies' addresses, ranges or
 * names (loopback, linklocal, uniquelocal). `true` would believe the
 * left-most x-forwarded-for entry, which the client writes itself.
 */
function parseTrustProxy(value: string | undefined, problems: string[]): TrustProxy {
  if (value === undefined || value === 'false') return TRUSTS_NONE;
  if (/^\d{1,2}$/.test(value)) {
    const hops = Number(value);
    return { trustProxy: hops, trustsProxy: (_address, hop) => hop < hops };
  }
  const explain = 'give the number of proxies in front, or their addresses (e.g. loopback, 10.0.0.0/8)';
  if (value === 'true') {
    problems.push(`TRUST_PROXY=true would believe any client's x-forwarded-for; ${explain}`);
    return TRUSTS_NONE;
  }
  try {
    return { trustProxy: value, trustsProxy: proxyaddr.compile(value.split(',').map((entry) => entry.trim())) };
  } catch (error) {
    problems.push(`TRUST_PROXY: ${(error as Error).message}; ${explain}`);
    return TRUSTS_NONE;
  }
}

function parseTls(certFile: string | undefined, keyFile: string | undefined, problems: string[]) {
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined) {
    problems.push('TLS_CERT_FILE and TLS_KEY_FILE go together: set both to serve HTTPS, or neither');
    return undefined;
  }
  for (const [variable, file] of [['TLS_CERT_FILE', certFile], ['TLS_KEY_FILE', keyFile]]) {
    if (!existsSync(file)) problems.push(`${variable}: no file at ${file}`);
  }
  return { certFile, keyFile };
}
