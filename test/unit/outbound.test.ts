import { describe, expect, it } from 'vitest';
import { addressKind, checkOutboundUrl, OutboundRefusedError, type AddressKind } from '../../src/net/outbound.js';

const GUARDED = { allowPrivateNetworks: false };
const ALLOWED = { allowPrivateNetworks: true };

/** The refusal `checkOutboundUrl` throws for `url`; fails the test when it accepts it. */
async function refusalOf(url: string, policy = GUARDED): Promise<OutboundRefusedError> {
  try {
    await checkOutboundUrl(url, policy);
  } catch (error) {
    expect(error).toBeInstanceOf(OutboundRefusedError);
    return error as OutboundRefusedError;
  }
  throw new Error(`expected ${url} to be refused`);
}

describe('addressKind', () => {
  it.each<[string, AddressKind]>([
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['100.64.0.1', 'shared (carrier-grade NAT)'],
    ['100.127.255.255', 'shared (carrier-grade NAT)'],
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.0.0.170', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['192.168.1.1', 'private'],
    ['198.18.0.1', 'reserved'],
    ['198.19.255.255', 'reserved'],
    ['224.0.0.251', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf:ffff::1', 'link-local'],
    ['fc00::1', 'unique-local'],
    ['fd00:ec2::254', 'unique-local'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:10.1.2.3', 'private'],
    ['64:ff9b::127.0.0.1', 'loopback'],
    ['64:ff9b::a9fe:a9fe', 'link-local'],
    ['64:ff9b:1::1', 'private'],
    ['2002:7f00:1::', 'loopback'],
    ['2002:c0a8:0101::1', 'private'],
    ['::127.0.0.1', 'reserved'],
    ['2001:db8::1', 'reserved'],
  ])('%s is %s', (address, kind) => {
    expect(addressKind(address)).toBe(kind);
  });

  it.each(['1.1.1.1', '8.8.8.8', '93.184.215.14', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1'])(
    '%s is public',
    (address) => {
      expect(addressKind(address)).toBeNull();
    },
  );

  it('refuses what is not an IP address', () => {
    expect(() => addressKind('localhost')).toThrow(TypeError);
  });
});

describe('checkOutboundUrl', () => {
  it.each([
    // What the WHATWG URL parser makes of the odd IPv4 forms is what a connection would use.
    ['http://2130706433/', '127.0.0.1 is a loopback address'],
    ['http://0x7f000001/', '127.0.0.1 is a loopback address'],
    ['http://127.1/', '127.0.0.1 is a loopback address'],
    ['http://0177.0.0.1/', '127.0.0.1 is a loopback address'],
    ['http://127.0.0.1.:6379/', '127.0.0.1 is a loopback address'],
    ['http://[::1]:5432/', '::1 is a loopback address'],
    ['http://[::ffff:127.0.0.1]/', '::ffff:7f00:1 is a loopback address'],
    ['http://0.0.0.0/', '0.0.0.0 is an unspecified address'],
    ['http://169.254.169.254/latest/meta-data/', '169.254.169.254 is a link-local address'],
    ['https://10.0.0.5/hook', '10.0.0.5 is a private address'],
    ['http://localhost:3000/admin/queues', 'localhost names a host inside the network'],
    ['http://LOCALHOST./', 'localhost names a host inside the network'],
    ['http://api.localhost/', 'api.localhost names a host inside the network'],
    ['http://metadata.google.internal/computeMetadata/v1/', 'metadata.google.internal names a host inside the network'],
    ['http://printer.local/', 'printer.local names a host inside the network'],
    ['http://router.home.arpa/', 'router.home.arpa names a host inside the network'],
  ])('refuses %s: %s', async (url, message) => {
    const refusal = await refusalOf(url);
    expect(refusal.reason).toBe('forbidden');
    expect(refusal.message).toBe(message);
  });

  it.each([
    ['http://user:pw@127.0.0.1/', 'the URL carries credentials: put secrets elsewhere'],
    ['https://token@hooks.example.com/', 'the URL carries credentials: put secrets elsewhere'],
    ['ftp://hooks.example.com/', 'ftp: URLs are not allowed: use http or https'],
    ['file:///etc/passwd', 'file: URLs are not allowed: use http or https'],
    ['not a url', 'not a URL'],
  ])('refuses %s whatever WEBHOOK_ALLOW_PRIVATE_NETWORKS says', async (url, message) => {
    for (const policy of [GUARDED, ALLOWED]) {
      const refusal = await refusalOf(url, policy);
      expect(refusal.reason).toBe('forbidden');
      expect(refusal.message).toBe(message);
    }
  });

  it('accepts public address literals, and with WEBHOOK_ALLOW_PRIVATE_NETWORKS internal ones, without resolving anything', async () => {
    await expect(checkOutboundUrl('https://93.184.215.14/hook', GUARDED)).resolves.toBeUndefined();
    await expect(checkOutboundUrl('https://[2606:4700:4700::1111]/hook', GUARDED)).resolves.toBeUndefined();
    for (const url of ['http://127.0.0.1:9/hook', 'http://[::1]/', 'http://localhost:3000/', 'http://metadata.google.internal/', 'http://no-such-host.invalid/']) {
      await expect(checkOutboundUrl(url, ALLOWED), url).resolves.toBeUndefined();
    }
  });
});
