import { describe, expect, it } from '@jest/globals';
import { checkEndpointUrl, isPrivateAddress, pinnedLookup } from '../../src/notifications/url-guard.js';

describe('url-guard: where a notification may go', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.255.0.9', true],
    ['10.1.2.3', true],
    ['172.16.0.1', true],
    ['172.31.255.255', true],
    ['172.32.0.1', false],
    ['192.168.1.1', true],
    ['169.254.169.254', true],
    ['0.0.0.0', true],
    ['100.64.0.1', true],
    ['8.8.8.8', false],
    ['93.184.216.34', false],
    ['::1', true],
    ['::', true],
    ['fd12:3456::1', true],
    ['fc00::1', true],
    ['fe80::1%eth0', true],
    ['::ffff:127.0.0.1', true],
    ['::FFFF:10.0.0.1', true],
    ['::ffff:8.8.8.8', false],
    ['2606:4700:4700::1111', false],
    ['[::1]', true],
    ['not-an-address', true],
  ])('%s is private: %s', (address, isPrivate) => {
    expect(isPrivateAddress(address)).toBe(isPrivate);
  });

  // IPv6 forms that carry an IPv4 address are judged by it; every other IPv6
  // address must be global unicast (2000::/3 less the special-purpose registry's
  // blocks that are not globally reachable).
  it.each([
    // IPv4-mapped ::ffff:0:0/96: the socket connects to the IPv4 address itself
    ['::ffff:7f00:1', true, 'mapped 127.0.0.1, as the URL parser writes it'],
    ['::ffff:a9fe:a9fe', true, 'mapped 169.254.169.254'],
    ['::ffff:808:808', false, 'mapped 8.8.8.8'],
    // IPv4-compatible ::/96 and IPv4-translated ::ffff:0:0:0/96: deprecated, never global
    ['::127.0.0.1', true, 'compatible 127.0.0.1'],
    ['::7f00:1', true, 'compatible 127.0.0.1, as the URL parser writes it'],
    ['::8.8.8.8', true, 'compatible, even of a public IPv4: not a global address'],
    ['::ffff:0:127.0.0.1', true, 'translated 127.0.0.1'],
    ['::ffff:0:7f00:1', true, 'translated 127.0.0.1, as the URL parser writes it'],
    ['::ffff:0:8.8.8.8', true, 'translated, even of a public IPv4: not a global address'],
    // NAT64: the well-known prefix is global and judged by its IPv4; the local-use /48 is not global
    ['64:ff9b::7f00:1', true, 'NAT64 of 127.0.0.1'],
    ['64:ff9b::a00:5', true, 'NAT64 of 10.0.0.5'],
    ['64:ff9b::808:808', false, 'NAT64 of 8.8.8.8 (DNS64 on an IPv6-only host)'],
    ['64:ff9b:1::7f00:1', true, 'local-use NAT64 of 127.0.0.1'],
    ['64:ff9b:1::808:808', true, 'local-use NAT64, even of a public IPv4: not global'],
    // 6to4 2002::/16: the IPv4 is bits 16-47
    ['2002:7f00:1::', true, '6to4 of 127.0.0.1'],
    ['2002:a00:1::1', true, '6to4 of 10.0.0.1'],
    ['2002:c0a8:101:1::1', true, '6to4 of 192.168.1.1'],
    ['2002:a9fe:a9fe::', true, '6to4 of 169.254.169.254'],
    ['2002:808:808::1', false, '6to4 of 8.8.8.8'],
    // Teredo 2001::/32: server IPv4 bits 32-63, client IPv4 the last 32 bits inverted
    ['2001::1', true, 'Teredo, server 0.0.0.0 and client 255.255.255.254'],
    ['2001:0:4136:e378:8000:63bf:80ff:fffe', true, 'Teredo, public server 65.54.227.120, client 127.0.0.1'],
    ['2001:0:a00:1::f7f7:f7f7', true, 'Teredo, server 10.0.0.1, public client 8.8.8.8'],
    ['2001:0:4136:e378:8000:63bf:f7f7:f7f7', false, 'Teredo, public server 65.54.227.120 and client 8.8.8.8'],
    // not global unicast, or a block of 2000::/3 that is not globally reachable
    ['100::1', true, 'discard-only 100::/64'],
    ['fec0::1', true, 'site-local (deprecated)'],
    ['ff02::1', true, 'multicast'],
    ['4000::1', true, 'outside 2000::/3'],
    ['2001:2::1', true, 'benchmarking 2001:2::/48'],
    ['2001:10::1', true, 'ORCHID (deprecated) 2001:10::/28'],
    ['2001:db8::1', true, 'documentation 2001:db8::/32'],
    ['3fff::1', true, 'documentation 3fff::/20'],
    ['5f00::1', true, 'segment routing SIDs 5f00::/16'],
    ['2001:200::1', false, 'global unicast past the IETF protocol assignments'],
    ['2606:4700:4700::1111', false, 'global unicast'],
    ['2a00:1450:4001:80b::200e', false, 'global unicast'],
  ])('%s is private: %s (%s)', (address, isPrivate) => {
    expect(isPrivateAddress(address)).toBe(isPrivate);
    expect(isPrivateAddress(`[${address}]`)).toBe(isPrivate);
  });

  const resolver = (answers: Record<string, string[]>) => (host: string) => {
    const found = answers[host];
    if (!found) return Promise.reject(Object.assign(new Error('not found'), { code: 'ENOTFOUND' }));
    return Promise.resolve(found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
  };
  const dns = resolver({
    'shop.example': ['93.184.216.34'],
    'inside.example': ['10.0.0.5'],
    'both.example': ['93.184.216.34', '127.0.0.1'],
    'v6.example': ['fd00::5'],
    'sixtofour.example': ['2606:4700:4700::1111', '2002:7f00:1::'],
    'nat64.example': ['64:ff9b::808:808'],
  });

  it.each([
    ['ftp://shop.example/hook', 'url must be http or https'],
    ['/relative', 'url must be an absolute http(s) URL'],
    ['https://user:pw@shop.example/hook', 'url must not hold credentials (user:password@)'],
    ['http://127.0.0.1:8080/hook', "url's host 127.0.0.1 is a loopback, private or link-local address (127.0.0.1); set NOTIFY_ALLOW_PRIVATE_NETWORKS=true to allow it"],
    ['http://[::1]/hook', "url's host ::1 is a loopback, private or link-local address (::1); set NOTIFY_ALLOW_PRIVATE_NETWORKS=true to allow it"],
    ['http://169.254.169.254/latest/meta-data', "url's host 169.254.169.254 is a loopback, private or link-local address (169.254.169.254); set NOTIFY_ALLOW_PRIVATE_NETWORKS=true to allow it"],
    ['https://inside.example/hook', "url's host inside.example is a loopback, private or link-local address (10.0.0.5); set NOTIFY_ALLOW_PRIVATE_NETWORKS=true to allow it"],
    ['https://both.example/hook', "url's host both.example is a loopback, private or link-local address (127.0.0.1); set NOTIFY_ALLOW_PRIVATE_NETWORKS=true to allow it"],
    ['https://v6.example/hook', "url's host v6.example is a loopback, private or link-local address (fd00::5); set NOTIFY_ALLOW_PRIVATE_NETWORKS=true to allow it"],
    ['https://nowhere.example/hook', "url's host nowhere.example does not resolve (ENOTFOUND)"],
    ['http://[::127.0.0.1]/hook', "url's host ::7f00:1 is a loopback, private or link-local address (::7f00:1); set NOTIFY_ALLOW_PRIVATE_NETWORKS=true to allow it"],
    ['http://[::ffff:0:127.0.0.1]/hook', "url's host ::ffff:0:7f00:1 is a loopback, private or link-local address (::ffff:0:7f00:1); set NOTIFY_ALLOW_PRIVATE_NETWORKS=true to allow it"],
    ['http://[64:ff9b:1::7f00:1]/hook', "url's host 64:ff9b:1::7f00:1 is a loopback, private or link-local address (64:ff9b:1::7f00:1); set NOTIFY_ALLOW_PRIVATE_NETWORKS=true to allow it"],
    ['http://[2002:7f00:1::]/hook', "url's host 2002:7f00:1:: is a loopback, private or link-local address (2002:7f00:1::); set NOTIFY_ALLOW_PRIVATE_NETWORKS=true to allow it"],
    ['http://[2001::1]/hook', "url's host 2001::1 is a loopback, private or link-local address (2001::1); set NOTIFY_ALLOW_PRIVATE_NETWORKS=true to allow it"],
    ['http://[100::1]/hook', "url's host 100::1 is a loopback, private or link-local address (100::1); set NOTIFY_ALLOW_PRIVATE_NETWORKS=true to allow it"],
    ['https://sixtofour.example/hook', "url's host sixtofour.example is a loopback, private or link-local address (2002:7f00:1::); set NOTIFY_ALLOW_PRIVATE_NETWORKS=true to allow it"],
  ])('refuses %s', async (url, reason) => {
    expect(await checkEndpointUrl(url, false, dns)).toEqual({ ok: false, reason });
  });

  it('takes a public host, with the address to connect to; and private ones with the opt-in', async () => {
    expect(await checkEndpointUrl('https://shop.example/hook', false, dns)).toMatchObject({ ok: true, address: '93.184.216.34', family: 4 });
    expect(await checkEndpointUrl('http://127.0.0.1:9/hook', true, dns)).toMatchObject({ ok: true, address: '127.0.0.1' });
    expect(await checkEndpointUrl('https://inside.example/hook', true, dns)).toMatchObject({ ok: true, address: '10.0.0.5' });
  });

  it('takes public IPv6 forms, and connects to an IPv4-mapped address as the IPv4 address it is', async () => {
    expect(await checkEndpointUrl('https://nat64.example/hook', false, dns)).toMatchObject({ ok: true, address: '64:ff9b::808:808', family: 6 });
    expect(await checkEndpointUrl('http://[2002:808:808::1]/hook', false, dns)).toMatchObject({ ok: true, address: '2002:808:808::1', family: 6 });
    expect(await checkEndpointUrl('http://[2606:4700:4700::1111]/hook', false, dns)).toMatchObject({ ok: true, address: '2606:4700:4700::1111', family: 6 });
    expect(await checkEndpointUrl('http://[::ffff:8.8.8.8]/hook', false, dns)).toMatchObject({ ok: true, address: '8.8.8.8', family: 4 });
  });

  it('answers a connection lookup with the address checked, whatever name it is asked for', () => {
    const lookup = pinnedLookup('93.184.216.34', 4);
    const answers: unknown[] = [];
    lookup('rebound.example', {}, (_e, address, family) => answers.push([address, family]));
    lookup('rebound.example', { all: true }, (_e, address) => answers.push(address));
    expect(answers).toEqual([['93.184.216.34', 4], [{ address: '93.184.216.34', family: 4 }]]);
  });
});
