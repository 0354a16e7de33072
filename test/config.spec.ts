import { describe, expect, it } from '@jest/globals';
import { AppConfig, ConfigError } from '../src/config/app-config.js';

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

  it('refuses a named source without a secret, and schemes this version cannot verify', () => {
    const found = problems({ WEBHOOK_SECRET: 's', WEBHOOK_ACME_SCHEME: 'hmac-sha256', WEBHOOK_SIGNATURE_SCHEME: 'stripe' });
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringContaining('WEBHOOK_ACME_SECRET is required'),
        expect.stringContaining('"stripe" is not supported by this version'),
      ]),
    );
  });
});
