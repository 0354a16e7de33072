import { describe, expect, it } from '@jest/globals';
import { plainAddress } from '../../src/http/http.js';

describe('plainAddress: a client address as the allowed-IP check and the rate limits read it', () => {
  it.each([
    ['an IPv4 address as it is', '192.0.2.7', '192.0.2.7'],
    ['an IPv4 address seen through an IPv6 socket as the IPv4 address', '::ffff:10.1.2.3', '10.1.2.3'],
    ['that prefix in upper case too', '::FFFF:10.1.2.3', '10.1.2.3'],
    ['a mapped prefix carrying no IPv4 address as it is', '::ffff:1:2', '::ffff:1:2'],
    ['a mapped prefix carrying an address cut short as it is', '::ffff:10.1.2', '::ffff:10.1.2'],
    ['an IPv6 address as it is', '2001:db8::1', '2001:db8::1'],
    ['an IPv4-compatible (not mapped) address as it is', '::10.1.2.3', '::10.1.2.3'],
    ['the IPv6 loopback as it is', '::1', '::1'],
    ['no address (the socket gone) as it is', '', ''],
  ])('reads %s', (_what, address, plain) => {
    expect(plainAddress(address)).toBe(plain);
  });
});
