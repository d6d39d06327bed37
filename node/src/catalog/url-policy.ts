/**
 * Where a catalog import may fetch from. An admin token must not turn a node into a proxy into
 * its own network (SSRF): only the configured schemes and hosts, and never a loopback, private,
 * link-local or otherwise non-public address unless the operator allows it. Host names are
 * resolved and every address they resolve to is checked. A name that resolves to a public
 * address here and to a private one a moment later (DNS rebinding) is not caught; see
 * docs/security.md.
 */
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

export interface UrlPolicy {
  schemes: readonly string[];
  /** Lower-case host names, `*.example.org` for any subdomain, or `*` for any host. */
  hosts: readonly string[];
  allowPrivate: boolean;
}

export class UrlRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UrlRefused';
  }
}

const NON_PUBLIC = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  NON_PUBLIC.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  NON_PUBLIC.addSubnet(net, prefix, 'ipv6');
}

/** Whether `address` (an IP literal) is a public unicast address. */
export function isPublicAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '');
  const family = isIP(bare);
  if (family === 4) return !NON_PUBLIC.check(bare, 'ipv4');
  if (family === 6) {
    // IPv4-mapped (::ffff:10.0.0.1) and IPv4-compatible forms are judged by their IPv4 part.
    const mapped = /^(?:0{0,4}:){0,5}(?:ffff:)?(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
    if (mapped) return isPublicAddress(mapped[1]!);
    const hexMapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(bare);
    if (hexMapped) {
      const hi = Number.parseInt(hexMapped[1]!, 16);
      const lo = Number.parseInt(hexMapped[2]!, 16);
      return isPublicAddress(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`);
    }
    return !NON_PUBLIC.check(bare, 'ipv6');
  }
  return false;
}

function hostAllowed(host: string, hosts: readonly string[]): boolean {
  return hosts.some((h) => h === '*' || h === host || (h.startsWith('*.') && host.endsWith(h.slice(1))));
}

export type Resolver = (host: string) => Promise<string[]>;

const systemResolver: Resolver = async (host) => (await lookup(host, { all: true })).map((a) => a.address);

/** Resolves if `raw` may be fetched under `policy`; throws UrlRefused saying why not. */
export async function checkUrl(
  raw: string | URL,
  policy: UrlPolicy,
  resolve: Resolver = systemResolver,
): Promise<URL> {
  let url: URL;
  try {
    url = new URL(String(raw));
  } catch {
    throw new UrlRefused('not a URL');
  }
  const scheme = url.protocol.replace(/:$/, '');
  if (!policy.schemes.includes(scheme)) {
    throw new UrlRefused(`scheme ${scheme} is not allowed (allowed: ${policy.schemes.join(', ')})`);
  }
  if (url.username || url.password) throw new UrlRefused('credentials in the URL are not allowed');
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (!hostAllowed(host, policy.hosts)) throw new UrlRefused(`host ${host} is not in BOOKING_IMPORT_HOSTS`);
  if (policy.allowPrivate) return url;
  let addresses: string[];
  if (isIP(host) !== 0) addresses = [host];
  else {
    try {
      addresses = await resolve(host);
    } catch {
      throw new UrlRefused(`host ${host} does not resolve`);
    }
  }
  if (addresses.length === 0 || !addresses.every(isPublicAddress)) {
    throw new UrlRefused(
      `host ${host} is a loopback, private or otherwise non-public address (BOOKING_IMPORT_ALLOW_PRIVATE=1 allows it)`,
    );
  }
  return url;
}
