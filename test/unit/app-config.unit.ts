import { describe, expect, it } from '@jest/globals';
import { AppConfig, ConfigError } from '../../src/config/app-config.js';

function problems(env: Record<string, string>): string[] {
  try {
    AppConfig.fromEnv(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('has the contract defaults', () => {
    const config = AppConfig.fromEnv({ WEBHOOK_SECRET: 's' });
    expect(config).toMatchObject({
      port: 3000,
      toleranceSeconds: 300,
      bodyLimit: '256kb',
      migrationsRun: true,
      databaseUrl: undefined,
      adminToken: undefined,
    });
    expect(config.sources.get('default')).toMatchObject({ schemes: ['hmac-sha256'], secrets: ['s'], generatedSecret: false });
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
  });

  it('reports one problem per bad variable', () => {
    expect(problems({ PORT: 'abc', WEBHOOK_SECRET: 's' })).toEqual(['PORT must be an integer']);
  });

  it('refuses a WEBHOOK_SECRET that names no secret rather than generating one', () => {
    expect(problems({ WEBHOOK_SECRET: ' , ' })).toEqual([expect.stringContaining('WEBHOOK_SECRET is set but names no secret')]);
  });

  it('needs no webhook secret for command-line tools', () => {
    expect(AppConfig.fromEnv({ NODE_ENV: 'production' }, { webhookSources: false }).sources.size).toBe(0);
  });

  it('refuses to run in production without WEBHOOK_SECRET', () => {
    expect(problems({ NODE_ENV: 'production' })).toEqual([expect.stringContaining('WEBHOOK_SECRET is required')]);
  });

  it('generates a development secret when WEBHOOK_SECRET is unset', () => {
    const a = AppConfig.fromEnv({}).sources.get('default')!;
    const b = AppConfig.fromEnv({}).sources.get('default')!;
    expect(a.generatedSecret).toBe(true);
    expect(a.secrets[0]).toMatch(/^[0-9a-f]{48}$/);
    expect(a.secrets[0]).not.toBe(b.secrets[0]);
  });

  it('splits rotated secrets and reads named sources', () => {
    const config = AppConfig.fromEnv({
      WEBHOOK_SECRET: ' a , b ',
      WEBHOOK_SHOP_EU_SECRET: 'eu',
      WEBHOOK_SHOP_EU_SCHEME: 'hmac-sha256',
    });
    expect(config.sources.get('default')!.secrets).toEqual(['a', 'b']);
    expect(config.sources.get('shop_eu')).toMatchObject({ name: 'shop_eu', secrets: ['eu'], schemes: ['hmac-sha256'] });
    expect(config.sources.has('signature')).toBe(false);
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
      'WEBHOOK_OTHER_SCHEME: unknown scheme "md5" (supported: hmac-sha256, standard-webhooks, stripe)',
    ]);
  });

  it('reads allowed addresses per source and refuses what is not an address or range', () => {
    const config = AppConfig.fromEnv({
      WEBHOOK_SECRET: 's',
      WEBHOOK_ALLOWED_IPS: '10.0.0.0/8, 192.168.1.7',
      WEBHOOK_SHOP_SECRET: 's',
      WEBHOOK_SHOP_ALLOWED_IPS: '2001:db8::/32',
    });
    expect(config.sources.get('default')!.allowedIps).toEqual(['10.0.0.0/8', '192.168.1.7']);
    expect(config.sources.get('shop')!.allowedIps).toEqual(['2001:db8::/32']);
    expect(problems({ WEBHOOK_SECRET: 's', WEBHOOK_ALLOWED_IPS: '10.0.0.0/33,example.com' })).toEqual([
      'WEBHOOK_ALLOWED_IPS: "10.0.0.0/33" is not an address or CIDR range',
      'WEBHOOK_ALLOWED_IPS: "example.com" is not an address or CIDR range',
    ]);
  });

  it('wants both TLS files or neither, and files that exist', () => {
    expect(problems({ WEBHOOK_SECRET: 's', TLS_CERT_FILE: '/etc/hostname' })).toEqual([
      expect.stringContaining('TLS_CERT_FILE and TLS_KEY_FILE go together'),
    ]);
    expect(problems({ WEBHOOK_SECRET: 's', TLS_CERT_FILE: '/nope.pem', TLS_KEY_FILE: '/etc/hostname' })).toEqual([
      'TLS_CERT_FILE: no file at /nope.pem',
    ]);
  });

  it('reads TRUST_PROXY as express does, refusing what a client could spoof', () => {
    expect(AppConfig.fromEnv({ WEBHOOK_SECRET: 's' }).trustProxy).toBe(false);
    expect(AppConfig.fromEnv({ WEBHOOK_SECRET: 's', TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(AppConfig.fromEnv({ WEBHOOK_SECRET: 's', TRUST_PROXY: '10.0.0.1, 10.0.0.0/8' }).trustProxy).toBe('10.0.0.1, 10.0.0.0/8');
    expect(AppConfig.fromEnv({ WEBHOOK_SECRET: 's', TRUST_PROXY: 'loopback, uniquelocal' }).trustProxy).toBe('loopback, uniquelocal');
    expect(problems({ WEBHOOK_SECRET: 's', TRUST_PROXY: 'true' })).toEqual([expect.stringContaining("any client's x-forwarded-for")]);
    for (const bad of ['abc', '1.2.3.4/99', 'yes please']) {
      expect(problems({ WEBHOOK_SECRET: 's', TRUST_PROXY: bad })).toEqual([expect.stringMatching(/^TRUST_PROXY: /)]);
    }
  });

  it('refuses standard-webhooks secrets too short or not canonical base64 to be keys', () => {
    for (const secret of ['whsec_A', 'whsec_AA', 'whsec_' + Buffer.alloc(8).toString('base64'), 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS']) {
      expect(problems({ WEBHOOK_SECRET: secret, WEBHOOK_SIGNATURE_SCHEME: 'standard-webhooks' })).toHaveLength(1);
    }
    expect(problems({ WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', WEBHOOK_SIGNATURE_SCHEME: 'standard-webhooks', PORT: 'x' })).toEqual([
      'PORT must be an integer',
    ]);
  });
});
