import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { clientAddressOf, trustedProxiesOf } from '../src/client-address.js';

const requestFrom = (peer: string, forwardedFor?: string | string[]) =>
  ({ socket: { remoteAddress: peer }, headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor } }) as unknown as IncomingMessage;

describe("a request's client address", () => {
  const loopback = trustedProxiesOf(['127.0.0.1', '::1']);

  it('is the peer when the peer is no trusted proxy, whatever x-forwarded-for it sends', () => {
    expect(clientAddressOf(requestFrom('203.0.113.9', '198.51.100.1'), loopback)).toBe('203.0.113.9');
    expect(clientAddressOf(requestFrom('203.0.113.9'), trustedProxiesOf([]))).toBe('203.0.113.9');
    expect(clientAddressOf(requestFrom('127.0.0.1', '198.51.100.1'), trustedProxiesOf([]))).toBe('127.0.0.1');
  });

  it('is what a trusted proxy forwards, read from the right: entries a client wrote further left are not believed', () => {
    expect(clientAddressOf(requestFrom('127.0.0.1', '198.51.100.1'), loopback)).toBe('198.51.100.1');
    expect(clientAddressOf(requestFrom('::ffff:127.0.0.1', '198.51.100.1'), loopback)).toBe('198.51.100.1');
    expect(clientAddressOf(requestFrom('127.0.0.1', '10.9.9.9, 198.51.100.1'), loopback)).toBe('198.51.100.1');
    expect(clientAddressOf(requestFrom('127.0.0.1', ['10.9.9.9', '198.51.100.1']), loopback)).toBe('198.51.100.1');
  });

  it('goes through proxies that forward for each other, as far as they are trusted', () => {
    const chain = trustedProxiesOf(['127.0.0.1', '10.0.0.0/8']);
    expect(clientAddressOf(requestFrom('127.0.0.1', '203.0.113.9, 10.1.2.3'), chain)).toBe('203.0.113.9');
    expect(clientAddressOf(requestFrom('127.0.0.1', '192.0.2.1, 203.0.113.9, 10.1.2.3'), chain)).toBe('203.0.113.9');
    // Only trusted hops: the farthest one is as close to the client as is known.
    expect(clientAddressOf(requestFrom('127.0.0.1', '10.1.2.3'), chain)).toBe('10.1.2.3');
  });

  it('stops at an entry that is no address, and is the peer when nothing is forwarded', () => {
    expect(clientAddressOf(requestFrom('127.0.0.1', 'unknown'), loopback)).toBe('127.0.0.1');
    expect(clientAddressOf(requestFrom('127.0.0.1', '203.0.113.9, not-an-address'), loopback)).toBe('127.0.0.1');
    expect(clientAddressOf(requestFrom('127.0.0.1'), loopback)).toBe('127.0.0.1');
    expect(clientAddressOf(requestFrom('::1', '2001:DB8::7'), loopback)).toBe('2001:db8::7');
  });

  it('trusts IPv6 blocks as well as IPv4 ones', () => {
    const proxies = trustedProxiesOf(['fd00::/8']);
    expect(clientAddressOf(requestFrom('fd12::1', '203.0.113.9'), proxies)).toBe('203.0.113.9');
    expect(clientAddressOf(requestFrom('fe80::1', '203.0.113.9'), proxies)).toBe('fe80::1');
  });
});
