import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * Where a notification may go: an http(s) URL whose host resolves only to
 * public addresses, unless NOTIFY_ALLOW_PRIVATE_NETWORKS=true. Checked when
 * an endpoint is registered or changed (400 naming the problem), and again
 * at every send against what DNS answers then (a name that resolved to a
 * public address at registration may be rebound to 127.0.0.1 later); the
 * sender connects to the address checked (`pinnedLookup`), never resolving
 * the name a second time.
 */

/** Addresses no notification reaches without the opt-in: loopback, private, link-local, unspecified and the like. */
const PRIVATE = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this network", 0.0.0.0 included
  ['10.0.0.0', 8], // RFC 1918
  ['100.64.0.0', 10], // carrier-grade NAT (RFC 6598)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, cloud metadata (169.254.169.254) included
  ['172.16.0.0', 12], // RFC 1918
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.168.0.0', 16], // RFC 1918
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast included
] as const) {
  PRIVATE.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['fc00::', 7], // unique local (RFC 4193)
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
  ['64:ff9b::', 96], // NAT64: may carry a private IPv4
  ['2001:db8::', 32], // documentation
] as const) {
  PRIVATE.addSubnet(network, prefix, 'ipv6');
}

/** An IPv4 address written as IPv6 (`::ffff:127.0.0.1`, any case), as the IPv4 address it is. */
function unmapped(address: string): string {
  const match = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return match ? match[1] : address;
}

/** Whether a literal address is loopback, private, link-local, unspecified or otherwise not on the public internet. */
export function isPrivateAddress(address: string): boolean {
  const plain = unmapped(address.replace(/^\[|\]$/g, '').replace(/%.*$/, ''));
  const family = isIP(plain);
  if (family === 0) return true; // not an address: never treated as public
  return PRIVATE.check(plain, family === 4 ? 'ipv4' : 'ipv6');
}

export type UrlCheck = { ok: true; url: URL; address: string; family: 4 | 6 } | { ok: false; reason: string };

/**
 * Parses and checks an endpoint URL, resolving its host: ok with the
 * address to connect to (the first the resolver gave), or why not. Every
 * address the name resolves to must be allowed, so that a name with one
 * public and one private address cannot be used to reach the private one.
 */
export async function checkEndpointUrl(
  raw: string,
  allowPrivate: boolean,
  resolve: (host: string) => Promise<{ address: string; family: number }[]> = (host) => lookup(host, { all: true, verbatim: true }),
): Promise<UrlCheck> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'url must be an absolute http(s) URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, reason: 'url must be http or https' };
  if (url.username || url.password) return { ok: false, reason: 'url must not hold credentials (user:password@)' };
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: { address: string; family: number }[];
  if (isIP(host)) {
    addresses = [{ address: host, family: isIP(host) }];
  } else {
    try {
      addresses = await resolve(host);
    } catch (error) {
      return { ok: false, reason: `url's host ${host} does not resolve (${(error as { code?: string }).code ?? 'lookup failed'})` };
    }
    if (addresses.length === 0) return { ok: false, reason: `url's host ${host} does not resolve` };
  }
  if (!allowPrivate) {
    const refused = addresses.find((a) => isPrivateAddress(a.address));
    if (refused) {
      return {
        ok: false,
        reason: `url's host ${host} is a loopback, private or link-local address (${refused.address}); set NOTIFY_ALLOW_PRIVATE_NETWORKS=true to allow it`,
      };
    }
  }
  const [first] = addresses;
  return { ok: true, url, address: unmapped(first.address), family: isIP(unmapped(first.address)) === 6 ? 6 : 4 };
}

/**
 * A `lookup` for http.request / https.request that answers with the address
 * already checked, so the connection goes where the check said, whatever DNS
 * would answer now (TLS still verifies the certificate against the URL's name).
 */
export function pinnedLookup(address: string, family: 4 | 6) {
  return (
    _host: string,
    options: { all?: boolean },
    callback: (error: NodeJS.ErrnoException | null, address: string | { address: string; family: number }[], family?: number) => void,
  ): void => {
    if (options.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  };
}
