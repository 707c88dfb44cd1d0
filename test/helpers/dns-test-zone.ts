import { buildZone, type Zone } from '../../src/dns/zone-records.js';

/** The small zone the DNS server tests answer from: a profile, an IPv6 host, a TLSA record and a TXT too big for classic UDP. */
export function dnsTestZone(nameServerAddress: string): Zone {
  return buildZone({
    origin: 'badmx.test',
    hosts: [
      { domain: 'tls1.2.badmx.test', hostname: 'mx.tls1.2.badmx.test', address: '127.0.2.6', description: 'badmx profile tls1.2: control' },
      { domain: 'v6.badmx.test', hostname: 'mx.v6.badmx.test', address: '::1' },
    ],
    nameServer: { hostname: 'ns.badmx.test', address: nameServerAddress },
    extra: [
      { name: '_25._tcp.mx.tls1.2.badmx.test', type: 'TLSA', ttl: 60, data: { usage: 3, selector: 1, matchingType: 1, certificate: Buffer.alloc(32, 0xab) } },
      { name: 'big.badmx.test', type: 'TXT', ttl: 60, data: 'x'.repeat(1500) },
    ],
  });
}
