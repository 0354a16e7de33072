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

/** IPv4 addresses no notification reaches without the opt-in: loopback, private, link-local, unspecified and the like. */
const PRIVATE_IPV4 = new BlockList();
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
  PRIVATE_IPV4.addSubnet(network, prefix, 'ipv4');
}

/**
 * An IPv6 address is public only if it is global unicast (2000::/3) outside
 * these blocks, which IANA's special-purpose registry marks not globally
 * reachable. The registry's few global anycast blocks inside 2001::/23 (PCP,
 * TURN, AMT, AS112...) are no place for a webhook and are refused with it.
 * Everything outside 2000::/3 is refused (loopback, unspecified, unique local,
 * link-local, site-local, multicast, discard-only 100::/64, the deprecated
 * IPv4-compatible ::/96 and IPv4-translated ::ffff:0:0:0/96, local-use NAT64
 * 64:ff9b:1::/48, whose IPv4 bits sit where the operator's prefix length puts
 * them), except the two forms in IPV4_CARRIERS that are judged by their IPv4.
 */
const NOT_GLOBAL_IPV6: readonly (readonly [string, number])[] = [
  ['2001::', 23], // IETF protocol assignments: benchmarking 2001:2::/48, ORCHID 2001:10::/28... (Teredo is judged by IPV4_CARRIERS first)
  ['2001:db8::', 32], // documentation
  ['3fff::', 20], // documentation
  ['5f00::', 16], // segment routing SIDs
];

/**
 * IPv6 forms that carry IPv4 addresses, each judged by every IPv4 address it
 * carries: private if any of them is.
 */
const IPV4_CARRIERS: readonly { network: string; prefix: number; ipv4: (value: bigint) => bigint[] }[] = [
  { network: '::ffff:0:0', prefix: 96, ipv4: (v) => [bits(v, 96, 32)] }, // IPv4-mapped: the socket connects to the IPv4 address itself
  { network: '64:ff9b::', prefix: 96, ipv4: (v) => [bits(v, 96, 32)] }, // NAT64 well-known prefix (DNS64 on an IPv6-only host)
  { network: '2002::', prefix: 16, ipv4: (v) => [bits(v, 16, 32)] }, // 6to4: the site's IPv4 address, bits 16-47
  { network: '2001::', prefix: 32, ipv4: (v) => [bits(v, 32, 32), bits(v, 96, 32) ^ 0xffffffffn] }, // Teredo: server (bits 32-63), client (last 32 bits, inverted)
];

/** `length` bits of a 128-bit address starting at bit `from` (0 is the most significant). */
function bits(value: bigint, from: number, length: number): bigint {
  return (value >> BigInt(128 - from - length)) & ((1n << BigInt(length)) - 1n);
}

function inNetwork(value: bigint, network: string, prefix: number): boolean {
  return bits(value, 0, prefix) === bits(ipv6Value(network), 0, prefix);
}

/** A valid IPv6 address (as isIP checks it, zone removed) as its 128-bit value. */
function ipv6Value(address: string): bigint {
  let text = address;
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number);
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const before = head ? head.split(':') : [];
  const after = tail ? tail.split(':') : [];
  const groups = tail === undefined ? before : [...before, ...Array<string>(8 - before.length - after.length).fill('0'), ...after];
  return groups.reduce((value, group) => (value << 16n) | BigInt(parseInt(group, 16)), 0n);
}

function ipv4Text(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
}

function isPrivateIpv6(address: string): boolean {
  const value = ipv6Value(address);
  const carrier = IPV4_CARRIERS.find((c) => inNetwork(value, c.network, c.prefix));
  if (carrier) return carrier.ipv4(value).some((ipv4) => PRIVATE_IPV4.check(ipv4Text(ipv4), 'ipv4'));
  const globalUnicast = bits(value, 0, 3) === 1n;
  return !globalUnicast || NOT_GLOBAL_IPV6.some(([network, prefix]) => inNetwork(value, network, prefix));
}

/** An IPv4 address written as IPv6 (`::ffff:127.0.0.1`, `::ffff:7f00:1`, any case), as the IPv4 address it is. */
function unmapped(address: string): string {
  if (isIP(address) !== 6) return address;
  const value = ipv6Value(address);
  return inNetwork(value, '::ffff:0:0', 96) ? ipv4Text(bits(value, 96, 32)) : address;
}

/**
 * Whether a literal address is loopback, private, link-local, unspecified or
 * otherwise not on the public internet, IPv4 addresses carried inside IPv6
 * ones (mapped, NAT64, 6to4, Teredo) included.
 */
export function isPrivateAddress(address: string): boolean {
  const plain = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = isIP(plain);
  if (family === 0) return true; // not an address: never treated as public
  return family === 4 ? PRIVATE_IPV4.check(plain, 'ipv4') : isPrivateIpv6(plain);
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
