import { describe, expect, it } from '@jest/globals';
import type { ExecutionContext } from '@nestjs/common';
import { clientKey, RateLimitGuard } from '../../src/common/rate-limit.guard.js';
import type { AppConfig } from '../../src/config/app-config.js';

describe('clientKey: the address a rate limit counts against', () => {
  it.each([
    ['an IPv4 address as it is', '192.0.2.7', '192.0.2.7'],
    ['an IPv4 address seen through an IPv6 socket as the IPv4 address', '::ffff:10.1.2.3', '10.1.2.3'],
    ['an IPv6 address as its /64', '2001:db8:1:2::1', '2001:db8:1:2::/64'],
    ['another address of that /64 as the same /64', '2001:db8:1:2:aaaa::9', '2001:db8:1:2::/64'],
    ['that /64 written in full, upper case and leading zeros', '2001:0DB8:0001:0002:ffff:ffff:ffff:ffff', '2001:db8:1:2::/64'],
    ['the neighbouring /64 apart', '2001:db8:1:3::1', '2001:db8:1:3::/64'],
    ['zeros that :: leaves out inside the /64', '2001:db8::1', '2001:db8:0:0::/64'],
    ['the IPv6 loopback', '::1', '0:0:0:0::/64'],
    ['a link-local address with its zone', 'fe80::1%eth0', 'fe80:0:0:0::/64'],
  ])('counts %s', (_what, address, key) => {
    expect(clientKey(address)).toBe(key);
  });
});

describe('RateLimitGuard', () => {
  it('holds at most 100,000 address windows, forgetting the oldest', () => {
    const guard = new RateLimitGuard({ webhookRateLimit: 5, adminRateLimit: 5 } as AppConfig);
    const request = (ip: string) =>
      ({
        switchToHttp: () => ({ getRequest: () => ({ url: '/inventory', routeOptions: { url: '/inventory' }, ip }), getResponse: () => ({ header: () => undefined }) }),
      }) as unknown as ExecutionContext;
    try {
      for (let i = 0; i < 150_000; i++) guard.canActivate(request(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`));
      expect(guard.trackedAddresses).toBeLessThanOrEqual(100_000);
      // The newest are kept: the last address is still counted (its second request passes, its sixth does not).
      for (let i = 0; i < 4; i++) guard.canActivate(request('10.2.73.239'));
      expect(() => guard.canActivate(request('10.2.73.239'))).toThrow(/more than 5 requests/);
    } finally {
      guard.onModuleDestroy();
    }
  });
});
