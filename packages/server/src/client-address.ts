import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';

/** The proxies a service believes about who their client is. */
export interface TrustedProxies {
  has(address: string): boolean;
}

/** Node reports IPv4 clients of a dual-stack socket as `::ffff:a.b.c.d`; they are the IPv4 address. */
export function normalizeAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return (mapped ? mapped[1]! : address).toLowerCase();
}

/** From the addresses and CIDR blocks of a TRUSTED_PROXIES setting (already validated by the configuration). */
export function trustedProxiesOf(entries: readonly string[]): TrustedProxies {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', prefix] = entry.split('/');
    const normalized = normalizeAddress(address);
    const type = isIP(normalized) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(normalized, type);
    else list.addSubnet(normalized, Number(prefix), type);
  }
  return {
    has(address) {
      const normalized = normalizeAddress(address);
      const version = isIP(normalized);
      return version !== 0 && list.check(normalized, version === 6 ? 'ipv6' : 'ipv4');
    },
  };
}

/**
 * The address of the client a request comes from. That is the socket's peer, unless the peer is a trusted proxy:
 * then `x-forwarded-for` is read from its right end (the entry the nearest proxy wrote) leftwards, for as long as
 * the hops are trusted proxies themselves. Entries further left were written by the client or by proxies nobody
 * vouches for, so a client cannot choose the address it is counted under.
 */
export function clientAddressOf(request: IncomingMessage, trusted: TrustedProxies): string {
  let client = normalizeAddress(request.socket.remoteAddress ?? '');
  if (!trusted.has(client)) return client;
  const header = request.headers['x-forwarded-for'];
  const hops = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((hop) => normalizeAddress(hop.trim()))
    .filter(Boolean);
  while (hops.length > 0 && trusted.has(client)) {
    const hop = hops.pop()!;
    // A malformed entry says nothing: the last proxy that wrote a real one is as close to the client as is known.
    if (isIP(hop) === 0) break;
    client = hop;
  }
  return client;
}
