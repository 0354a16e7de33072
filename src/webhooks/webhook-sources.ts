import { randomBytes } from 'node:crypto';
import { BlockList, isIP, isIPv4 } from 'node:net';
import type { DefaultsContext, Documented, Environment } from '../config/environment.js';
import { listOf } from '../config/variable-parsers.js';
import { SCHEMES, SIGNATURE_SCHEMES, type SignatureSchemeName } from './signature/schemes.js';

export const DEFAULT_SOURCE = 'default';

/** What a source speaks (src/webhooks/providers/). */
export const PROVIDERS = ['shelfsync', 'stripe', 'shopify', 'woocommerce'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

/** The scheme a gateway signs with: a provider other than the envelope implies it. */
const SCHEME_OF_PROVIDER: Record<Exclude<ProviderName, 'shelfsync'>, SignatureSchemeName> = {
  stripe: 'stripe',
  shopify: 'shopify',
  woocommerce: 'woocommerce',
};

/**
 * Providers that pay for orders other sources create (contract, "Orders
 * belong to their source"): their deliveries reach the orders of the
 * sources in WEBHOOK_<NAME>_ORDERS_FROM. Every other provider creates its
 * orders and reaches only its own.
 */
const PAYMENT_PROVIDERS: ReadonlySet<ProviderName> = new Set(['stripe']);

/** WEBHOOK_[<NAME>_]ALLOWED_IPS compiled once. */
export interface AllowedAddresses {
  /** As configured, for the start-up log. */
  entries: string[];
  allows(address: string): boolean;
}

export interface WebhookSource {
  /** `default` for POST /webhooks, otherwise the lower-cased <NAME> of WEBHOOK_<NAME>_SECRET. */
  name: string;
  provider: ProviderName;
  schemes: SignatureSchemeName[];
  /** Any one of them verifies a delivery (rotation). Never logged. */
  secrets: string[];
  /** The HMAC keys of each scheme, derived once from the secrets (checking them at boot). */
  keys: [SignatureSchemeName, Buffer[]][];
  /** True when no secret was configured and one was generated for development. */
  generatedSecret: boolean;
  /** Who may deliver; undefined: any address. */
  allowedIps?: AllowedAddresses;
  /** The sources whose orders its deliveries reach: its own, or for a payment provider those it pays for. */
  orderSources: string[];
}

/** The variables of one source, as set. */
interface SourceTexts {
  secret?: string;
  scheme?: string;
  provider?: string;
  allowedIps?: string;
  ordersFrom?: string;
}

/**
 * Each setting of a source, declared once: the default source's variable,
 * the suffix of a named source's (WEBHOOK_<NAME>_<suffix>), and README's row.
 */
const SOURCE_SETTINGS: Record<keyof SourceTexts, { variable: string; suffix: string; meaning: string; byDefault: string }> = {
  secret: {
    variable: 'WEBHOOK_SECRET',
    suffix: 'SECRET',
    meaning:
      'secret(s) of the default source (`POST /webhooks`), or of the source `<name>`, served at `POST /webhooks/<name>` (name lower-cased); comma-separated, any one verifies (rotation)',
    byDefault: 'default source: required in production, generated and printed in development; a named source: required once any of its variables is set',
  },
  scheme: {
    variable: 'WEBHOOK_SIGNATURE_SCHEME',
    suffix: 'SCHEME',
    meaning: `scheme(s) of that source, comma-separated: ${SIGNATURE_SCHEMES.map((name) => `\`${name}\``).join(', ')}`,
    byDefault: '`hmac-sha256`; with a gateway provider, the scheme it signs with',
  },
  provider: {
    variable: 'WEBHOOK_PROVIDER',
    suffix: 'PROVIDER',
    meaning: `what the source speaks: ${PROVIDERS.map((p, i) => `\`${p}\`${i === 0 ? ' (the envelope)' : ''}`).join(', ')} (see [Gateways, natively](#gateways-natively)). A gateway implies its signature scheme: leave \`_SCHEME\` unset (a different one stops the service at boot)`,
    byDefault: '`shelfsync`',
  },
  allowedIps: {
    variable: 'WEBHOOK_ALLOWED_IPS',
    suffix: 'ALLOWED_IPS',
    meaning: 'addresses or CIDR ranges allowed to deliver to that source, comma-separated; others get 403',
    byDefault: 'any address',
  },
  ordersFrom: {
    variable: 'WEBHOOK_ORDERS_FROM',
    suffix: 'ORDERS_FROM',
    meaning:
      'for a payment provider (`stripe`): the sources whose orders its payments, refunds and disputes reach, comma-separated names (`default` for `POST /webhooks`). An order id that more than one of them has is `ambiguous_order`. Any other source reaches only its own orders, and may not set it',
    byDefault: 'every source whose provider is not a payment provider',
  },
};
const SETTING_KEYS = Object.keys(SOURCE_SETTINGS) as (keyof SourceTexts)[];

/** README's rows of the sources' variables (test/unit/app-config.unit.ts checks the table). */
export const SOURCE_VARIABLES: readonly Documented[] = SETTING_KEYS.map((key) => {
  const { variable, suffix, meaning, byDefault } = SOURCE_SETTINGS[key];
  return { variables: [variable, `WEBHOOK_<NAME>_${suffix}`], meaning, byDefault };
});

const NAMED_SOURCE = new RegExp(`^WEBHOOK_([A-Z0-9]+(?:_[A-Z0-9]+)*?)_(${SETTING_KEYS.map((key) => SOURCE_SETTINGS[key].suffix).join('|')})$`);
/** WEBHOOK_SIGNATURE_SCHEME has the shape of a named source's variable but belongs to the default one. */
const NOT_A_SOURCE = new Set(['SIGNATURE']);

/** The variable of each setting of the source `upper` (WEBHOOK_<NAME>_...), or of the default source. */
function variablesOf(upper?: string): Required<SourceTexts> {
  const names = SETTING_KEYS.map((key) => [key, upper === undefined ? SOURCE_SETTINGS[key].variable : `WEBHOOK_${upper}_${SOURCE_SETTINGS[key].suffix}`]);
  return Object.fromEntries(names) as Required<SourceTexts>;
}

/**
 * The webhook sources: POST /webhooks (WEBHOOK_SECRET, WEBHOOK_SIGNATURE_SCHEME,
 * WEBHOOK_PROVIDER, WEBHOOK_ALLOWED_IPS) and one POST /webhooks/<name> per
 * WEBHOOK_<NAME>_SECRET (with its _SCHEME, _PROVIDER, _ALLOWED_IPS).
 * Injectable, built once at boot (src/configuration.ts).
 */
export class WebhookSources {
  private constructor(private readonly byName: ReadonlyMap<string, WebhookSource>) {}

  get(name: string): WebhookSource | undefined {
    return this.byName.get(name);
  }

  /** The sources whose orders a delivery of `name` reaches (a source no longer configured: its own). */
  orderSourcesOf(name: string): readonly string[] {
    return this.byName.get(name)?.orderSources ?? [name];
  }

  values(): IterableIterator<WebhookSource> {
    return this.byName.values();
  }

  /** The sources the environment declares; problems are left in `env` for its check. */
  static read(env: Environment, { nodeEnv }: DefaultsContext): WebhookSources {
    const sources = new Map<string, WebhookSource>();
    const defaults = variablesOf();
    const secret = env.text(defaults.secret);
    const secrets = listOf(secret ?? '');
    let generatedSecret = false;
    if (secret !== undefined && secrets.length === 0) {
      env.refuse(`${defaults.secret} is set but names no secret (comma-separated, non-empty)`);
    } else if (secrets.length === 0) {
      if (nodeEnv === 'production') {
        env.refuse(`${defaults.secret} is required when NODE_ENV=production (comma-separated for rotation)`);
      } else {
        secrets.push(randomBytes(24).toString('hex'));
        generatedSecret = true;
      }
    }
    const texts: SourceTexts = {
      provider: env.text(defaults.provider),
      scheme: env.text(defaults.scheme),
      allowedIps: env.text(defaults.allowedIps),
      ordersFrom: env.text(defaults.ordersFrom),
    };
    const ordersFrom = new Map<string, [string, string | undefined]>([[DEFAULT_SOURCE, [defaults.ordersFrom, texts.ordersFrom]]]);
    sources.set(DEFAULT_SOURCE, sourceOf(env, DEFAULT_SOURCE, secrets, generatedSecret, texts, defaults));

    const named = new Map<string, SourceTexts>();
    for (const [key, value] of env.entries()) {
      const match = NAMED_SOURCE.exec(key);
      if (!match || NOT_A_SOURCE.has(match[1])) continue;
      const setting = SETTING_KEYS.find((k) => SOURCE_SETTINGS[k].suffix === match[2])!;
      named.set(match[1], { ...named.get(match[1]), [setting]: value });
    }
    for (const [upper, entry] of named) {
      const name = upper.toLowerCase();
      const variables = variablesOf(upper);
      if (name === DEFAULT_SOURCE) {
        env.refuse(`${variables.secret}: "${name}" is reserved for POST /webhooks; use ${defaults.secret}`);
        continue;
      }
      const secrets = listOf(entry.secret ?? '');
      if (secrets.length === 0) {
        env.refuse(`${variables.secret} is required because ${variables.scheme}, _PROVIDER, _ALLOWED_IPS or _ORDERS_FROM is set`);
        continue;
      }
      sources.set(name, sourceOf(env, name, secrets, false, entry, variables));
      ordersFrom.set(name, [variables.ordersFrom, entry.ordersFrom]);
    }
    for (const [name, [variable, value]] of ordersFrom) {
      const source = sources.get(name)!;
      source.orderSources = orderSourcesOf(env, source, sources, variable, value);
    }
    return new WebhookSources(sources);
  }
}

function sourceOf(
  env: Environment,
  name: string,
  secrets: string[],
  generatedSecret: boolean,
  texts: SourceTexts,
  variables: Required<SourceTexts>,
): WebhookSource {
  const provider = providerOf(env, variables.provider, texts.provider);
  const schemes = schemesOf(env, provider, variables.provider, variables.scheme, texts.scheme);
  return {
    name,
    provider,
    schemes,
    secrets,
    keys: keysOf(env, variables.secret, schemes, secrets),
    generatedSecret,
    allowedIps: texts.allowedIps === undefined ? undefined : allowedAddressesOf(env, variables.allowedIps, texts.allowedIps),
    orderSources: [name],
  };
}

/**
 * Whose orders a source's deliveries reach: its own; for a payment
 * provider, the sources named in `variable`, by default every source that
 * is not a payment provider. A name that is not such a source stops the
 * service at boot, as does the variable on a source that creates its orders.
 */
function orderSourcesOf(env: Environment, source: WebhookSource, sources: ReadonlyMap<string, WebhookSource>, variable: string, value: string | undefined): string[] {
  const creators = [...sources.values()].filter((s) => !PAYMENT_PROVIDERS.has(s.provider)).map((s) => s.name);
  if (!PAYMENT_PROVIDERS.has(source.provider)) {
    if (value !== undefined) env.refuse(`${variable} is for a payment provider (${[...PAYMENT_PROVIDERS].join(', ')}); a ${source.provider} source reaches only its own orders`);
    return [source.name];
  }
  if (value === undefined) return creators.sort();
  const names = listOf(value.toLowerCase());
  if (names.length === 0) env.refuse(`${variable} is set but names no source`);
  for (const name of names) {
    if (!creators.includes(name)) env.refuse(`${variable}: "${name}" is not a source that creates orders (those configured: ${creators.join(', ')})`);
  }
  return [...new Set(names)].sort();
}

function providerOf(env: Environment, variable: string, value: string | undefined): ProviderName {
  if (value === undefined || value.trim() === '') return 'shelfsync';
  const name = value.trim().toLowerCase();
  if ((PROVIDERS as readonly string[]).includes(name)) return name as ProviderName;
  env.refuse(`${variable} must be one of ${PROVIDERS.join(', ')} (got "${value}")`);
  return 'shelfsync';
}

/** The envelope is verified by the schemes configured (default hmac-sha256); a gateway by the scheme it signs with. */
function schemesOf(env: Environment, provider: ProviderName, providerVariable: string, schemeVariable: string, value: string | undefined): SignatureSchemeName[] {
  if (provider === 'shelfsync') return schemeNamesOf(env, schemeVariable, value);
  const implied = SCHEME_OF_PROVIDER[provider];
  if (value !== undefined && value.trim() !== '' && value.trim().toLowerCase() !== implied) {
    env.refuse(`${schemeVariable}=${value} conflicts with ${providerVariable}=${provider}, which is signed by the ${implied} scheme; leave ${schemeVariable} unset`);
  }
  return [implied];
}

function schemeNamesOf(env: Environment, variable: string, value: string | undefined): SignatureSchemeName[] {
  const names = listOf((value ?? 'hmac-sha256').toLowerCase());
  const schemes: SignatureSchemeName[] = [];
  for (const name of names) {
    if ((SIGNATURE_SCHEMES as readonly string[]).includes(name)) schemes.push(name as SignatureSchemeName);
    else env.refuse(`${variable}: unknown scheme "${name}" (supported: ${SIGNATURE_SCHEMES.join(', ')})`);
  }
  if (names.length === 0) env.refuse(`${variable} names no scheme`);
  return schemes;
}

/** Each secret must make a key for every scheme of its source (the scheme's keyOf says what it needs). */
function keysOf(env: Environment, variable: string, schemes: SignatureSchemeName[], secrets: string[]): [SignatureSchemeName, Buffer[]][] {
  return schemes.map((name) => [
    name,
    secrets.flatMap((secret, i) => {
      try {
        return [SCHEMES[name].keyOf(secret)];
      } catch (error) {
        env.refuse(`${variable}: secret ${i + 1} is ${(error as Error).message}`);
        return [];
      }
    }),
  ]);
}

function allowedAddressesOf(env: Environment, variable: string, value: string): AllowedAddresses {
  const entries = listOf(value);
  const list = new BlockList();
  for (const entry of entries) {
    const [address, prefix, extra] = entry.split('/');
    const family = isIP(address);
    const maxPrefix = family === 6 ? 128 : 32;
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= maxPrefix);
    if (!family || !prefixOk || extra !== undefined) {
      env.refuse(`${variable}: "${entry}" is not an address or CIDR range`);
      continue;
    }
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
  }
  if (entries.length === 0) env.refuse(`${variable} is set but lists no address`);
  return { entries, allows: (address) => isIP(address) !== 0 && list.check(address, isIPv4(address) ? 'ipv4' : 'ipv6') };
}
