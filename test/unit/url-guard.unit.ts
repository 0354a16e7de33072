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

  const resolver = (answers: Record<string, string[]>) => (host: string) => {
    const found = answers[host];
    if (!found) return Promise.reject(Object.assign(new Error('not found'), { code: 'ENOTFOUND' }));
    return Promise.resolve(found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
  };
  const dns = resolver({ 'shop.example': ['93.184.216.34'], 'inside.example': ['10.0.0.5'], 'both.example': ['93.184.216.34', '127.0.0.1'], 'v6.example': ['fd00::5'] });

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
  ])('refuses %s', async (url, reason) => {
    expect(await checkEndpointUrl(url, false, dns)).toEqual({ ok: false, reason });
  });

  it('takes a public host, with the address to connect to; and private ones with the opt-in', async () => {
    expect(await checkEndpointUrl('https://shop.example/hook', false, dns)).toMatchObject({ ok: true, address: '93.184.216.34', family: 4 });
    expect(await checkEndpointUrl('http://127.0.0.1:9/hook', true, dns)).toMatchObject({ ok: true, address: '127.0.0.1' });
    expect(await checkEndpointUrl('https://inside.example/hook', true, dns)).toMatchObject({ ok: true, address: '10.0.0.5' });
  });

  it('answers a connection lookup with the address checked, whatever name it is asked for', () => {
    const lookup = pinnedLookup('93.184.216.34', 4);
    const answers: unknown[] = [];
    lookup('rebound.example', {}, (_e, address, family) => answers.push([address, family]));
    lookup('rebound.example', { all: true }, (_e, address) => answers.push(address));
    expect(answers).toEqual([['93.184.216.34', 4], [{ address: '93.184.216.34', family: 4 }]]);
  });
});
