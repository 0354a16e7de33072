import { randomBytes } from 'node:crypto';
import { plainToInstance, Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, validateSync } from 'class-validator';

export const SIGNATURE_SCHEMES = ['hmac-sha256'] as const;
export type SignatureSchemeName = (typeof SIGNATURE_SCHEMES)[number];
/** Schemes named by the contract that this version cannot verify yet: refused at boot, never ignored. */
const PLANNED_SCHEMES = ['standard-webhooks', 'stripe'];

export const DEFAULT_SOURCE = 'default';

export interface WebhookSource {
  /** `default` for POST /webhooks, otherwise the lower-cased <NAME> of WEBHOOK_<NAME>_SECRET. */
  name: string;
  schemes: SignatureSchemeName[];
  /** Any one of them verifies a delivery (rotation). Never logged. */
  secrets: string[];
  /** True when no secret was configured and one was generated for development. */
  generatedSecret: boolean;
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
    } satisfies AppConfigValues);
  }
}

function parseSchemes(variable: string, value: string | undefined, problems: string[]): SignatureSchemeName[] {
  const names = (value ?? 'hmac-sha256')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const schemes: SignatureSchemeName[] = [];
  for (const name of names) {
    if ((SIGNATURE_SCHEMES as readonly string[]).includes(name)) schemes.push(name as SignatureSchemeName);
    else if (PLANNED_SCHEMES.includes(name))
      problems.push(`${variable}: scheme "${name}" is not supported by this version (supported: ${SIGNATURE_SCHEMES.join(', ')})`);
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

const NAMED_SOURCE = /^WEBHOOK_([A-Z0-9]+(?:_[A-Z0-9]+)*)_(SECRET|SCHEME)$/;
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
  sources.set(DEFAULT_SOURCE, {
    name: DEFAULT_SOURCE,
    schemes: parseSchemes('WEBHOOK_SIGNATURE_SCHEME', env.WEBHOOK_SIGNATURE_SCHEME, problems),
    secrets: defaultSecrets,
    generatedSecret,
  });

  const named = new Map<string, { secret?: string; scheme?: string }>();
  for (const [key, value] of Object.entries(env)) {
    const match = NAMED_SOURCE.exec(key);
    if (!match || NOT_A_SOURCE.has(match[1])) continue;
    const entry = named.get(match[1]) ?? {};
    if (match[2] === 'SECRET') entry.secret = value;
    else entry.scheme = value;
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
      problems.push(`WEBHOOK_${upper}_SECRET is required because WEBHOOK_${upper}_SCHEME is set`);
      continue;
    }
    sources.set(name, {
      name,
      schemes: parseSchemes(`WEBHOOK_${upper}_SCHEME`, entry.scheme, problems),
      secrets,
      generatedSecret: false,
    });
  }
  return sources;
}
