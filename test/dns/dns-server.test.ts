import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSocket } from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import { connect } from 'node:net';
import * as dnsPacket from 'dns-packet';
import { startDnsServer, type DnsQueryRecord, type DnsServer } from '../../src/dns/dns-server.js';
import { buildZone } from '../../src/dns/zone-records.js';
import { dnsTestZone } from '../helpers/dns-test-zone.js';
import { testNet } from '../helpers/net-plan.js';

/**
 * The harness DNS server answers real resolvers: Node's c-ares resolver (the same wire
 * protocol glibc's resolver speaks for Postfix and Exim), raw UDP and TCP.
 */

const ADDRESS = testNet('dns/dns-server').host(53);
const PORT = 10053;
let server: DnsServer;
const queries: DnsQueryRecord[] = [];

const zone = dnsTestZone(ADDRESS);

function resolver(): Resolver {
  const r = new Resolver({ timeout: 1000, tries: 1 });
  r.setServers([`${ADDRESS}:${PORT}`]);
  return r;
}

async function udpQuery(packet: Buffer): Promise<Buffer | null> {
  const socket = createSocket('udp4');
  try {
    return await new Promise<Buffer | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), 500);
      socket.on('message', (message) => {
        clearTimeout(timer);
        resolve(message);
      });
      socket.send(packet, PORT, ADDRESS);
    });
  } finally {
    socket.close();
  }
}

async function tcpQuery(query: dnsPacket.Packet): Promise<dnsPacket.Packet> {
  const body = dnsPacket.encode(query);
  const framed = Buffer.concat([Buffer.from([body.length >> 8, body.length & 0xff]), body]);
  return await new Promise((resolve, reject) => {
    const socket = connect({ host: ADDRESS, port: PORT }, () => socket.write(framed));
    let data = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      if (data.length >= 2 && data.length >= 2 + data.readUInt16BE(0)) {
        socket.destroy();
        resolve(dnsPacket.decode(data.subarray(2, 2 + data.readUInt16BE(0))));
      }
    });
    socket.on('error', reject);
  });
}

beforeAll(async () => {
  server = await startDnsServer({ zone, address: ADDRESS, port: PORT, onQuery: (q) => queries.push(q) });
});
afterAll(async () => {
  await server?.stop();
});

describe('harness DNS server', () => {
  it('gives each profile its MX, the MX its address, and the profile a TXT description', async () => {
    const r = resolver();
    expect(await r.resolveMx('tls1.2.badmx.test')).toEqual([{ exchange: 'mx.tls1.2.badmx.test', priority: 10 }]);
    expect(await r.resolve4('mx.tls1.2.badmx.test')).toEqual(['127.0.2.6']);
    expect(await r.resolve6('mx.v6.badmx.test')).toEqual(['::1']);
    expect((await r.resolveTxt('tls1.2.badmx.test')).map((chunks) => chunks.join(''))).toEqual(['badmx profile tls1.2: control']);
    expect(await r.resolveNs('badmx.test')).toEqual(['ns.badmx.test']);
    const soa = await r.resolveSoa('badmx.test');
    expect(soa).toMatchObject({ nsname: 'ns.badmx.test', hostmaster: 'hostmaster.badmx.test' });
  });

  it('is authoritative, puts MX target addresses in the additional section, and answers case-insensitively', async () => {
    const reply = dnsPacket.decode(
      (await udpQuery(dnsPacket.encode({ type: 'query', id: 7, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'MX', name: 'TLS1.2.BadMX.test' }] })))!,
    );
    expect(reply.id).toBe(7);
    expect((reply.flags ?? 0) & dnsPacket.AUTHORITATIVE_ANSWER).toBeTruthy();
    expect((reply.flags ?? 0) & dnsPacket.RECURSION_AVAILABLE).toBe(0);
    expect(reply.answers?.[0]).toMatchObject({ name: 'TLS1.2.BadMX.test', type: 'MX' });
    expect(reply.additionals?.find((a) => a.type === 'A')).toMatchObject({ name: 'mx.tls1.2.badmx.test', data: '127.0.2.6' });
  });

  it('NXDOMAIN with the SOA for unknown names in the zone; NODATA for known names without that type', async () => {
    const r = resolver();
    await expect(r.resolveMx('nosuch.badmx.test')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    await expect(r.resolve6('mx.tls1.2.badmx.test')).rejects.toMatchObject({ code: 'ENODATA' });
    const reply = await tcpQuery({ type: 'query', id: 9, questions: [{ type: 'A', name: 'nosuch.badmx.test' }] });
    expect((reply as { rcode?: string }).rcode).toBe('NXDOMAIN');
    expect(reply.authorities?.[0]?.type).toBe('SOA');
  });

  it('REFUSES every name outside the zone, so a sender cannot resolve anything else', async () => {
    await expect(resolver().resolve4('example.com')).rejects.toMatchObject({ code: 'EREFUSED' });
    await expect(resolver().resolveMx('badmx.test.evil.example')).rejects.toMatchObject({ code: 'EREFUSED' });
    expect(queries.some((q) => q.name === 'example.com' && q.rcode === 'REFUSED')).toBe(true);
  });

  it('serves TLSA records for DANE profiles', async () => {
    const reply = await tcpQuery({ type: 'query', id: 3, questions: [{ type: 'TLSA', name: '_25._tcp.mx.tls1.2.badmx.test' }] });
    expect(reply.answers?.[0]).toMatchObject({ type: 'TLSA', data: { usage: 3, selector: 1, matchingType: 1 } });
  });

  it('truncates an answer too large for UDP and gives it whole over TCP (RFC 7766)', async () => {
    const query = { type: 'query' as const, id: 11, questions: [{ type: 'TXT' as const, name: 'big.badmx.test' }] };
    const udp = dnsPacket.decode((await udpQuery(dnsPacket.encode(query)))!);
    expect((udp.flags ?? 0) & dnsPacket.TRUNCATED_RESPONSE).toBeTruthy();
    expect(udp.answers).toEqual([]);
    const tcp = await tcpQuery(query);
    expect(tcp.answers).toHaveLength(1);
    // and the resolver, which retries over TCP by itself, gets the whole text
    expect((await resolver().resolveTxt('big.badmx.test'))[0]?.join('')).toHaveLength(1500);
  });

  it('answers garbage with FORMERR or silence and keeps serving', async () => {
    // A whole header (RFC 1035 §4.1.1) whose question is cut short: FORMERR, a bare header no larger than the query.
    const garbage = Buffer.from([0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x62, 0x61]);
    const formerr = await udpQuery(garbage);
    expect(formerr?.readUInt16BE(0)).toBe(0x1234);
    expect((formerr?.readUInt16BE(2) ?? 0) & 0x000f).toBe(1);
    expect(formerr?.length).toBeLessThanOrEqual(garbage.length);
    // Shorter than a header (no ID to answer to), or with QR set (a response): silence, as unbound does.
    expect(await udpQuery(Buffer.from([0x12, 0x34, 0x01, 0x00, 0x00, 0x09]))).toBeNull();
    expect(await udpQuery(Buffer.from([0x01]))).toBeNull();
    const response = Buffer.from(dnsPacket.encode({ type: 'response', id: 5, questions: [{ type: 'A', name: 'badmx.test' }] }));
    expect(await udpQuery(response)).toBeNull();
    expect(await resolver().resolve4('mx.tls1.2.badmx.test')).toEqual(['127.0.2.6']);
  });

  it('a port that is taken is a one-line error naming the address', async () => {
    await expect(startDnsServer({ zone, address: ADDRESS, port: PORT })).rejects.toThrow(/cannot listen on 127\.0\.8\.53:10053: something already listens there/);
  });
});

describe('a sequential schedule', () => {
  it('dormant profiles answer SERVFAIL (try again later), the live one answers, and the swap needs no restart', async () => {
    const live = buildZone({
      origin: 'badmx.test',
      hosts: [
        { domain: 'tls1.2.badmx.test', hostname: 'mx.tls1.2.badmx.test', address: '192.0.2.25' },
        { domain: 'tls1.0.badmx.test', hostname: 'mx.tls1.0.badmx.test', address: '192.0.2.25' },
      ],
    });
    server.setZone({ ...live, dormant: ['tls1.0.badmx.test'] });
    try {
      expect(await resolver().resolveMx('tls1.2.badmx.test')).toEqual([{ exchange: 'mx.tls1.2.badmx.test', priority: 10 }]);
      await expect(resolver().resolveMx('tls1.0.badmx.test')).rejects.toMatchObject({ code: 'ESERVFAIL' });
      await expect(resolver().resolve4('mx.tls1.0.badmx.test')).rejects.toMatchObject({ code: 'ESERVFAIL' });
      server.setZone({ ...live, dormant: ['tls1.2.badmx.test'] });
      expect(await resolver().resolve4('mx.tls1.0.badmx.test')).toEqual(['192.0.2.25']);
    } finally {
      server.setZone(zone);
    }
  });
});

describe('on the open internet', () => {
  it('ANY over UDP gets TC and nothing else (RFC 8482), over TCP the whole answer; a NOTIFY gets NOTIMP', async () => {
    const any = dnsPacket.decode((await udpQuery(dnsPacket.encode({ type: 'query', id: 21, questions: [{ type: 'ANY' as never, name: 'tls1.2.badmx.test' }] })))!);
    expect((any.flags ?? 0) & dnsPacket.TRUNCATED_RESPONSE).toBeTruthy();
    expect(any.answers).toEqual([]);
    const whole = await tcpQuery({ type: 'query', id: 22, questions: [{ type: 'ANY' as never, name: 'tls1.2.badmx.test' }] });
    expect(whole.answers?.map((a) => a.type).sort()).toEqual(['MX', 'TXT']);
    const notify = Buffer.from(dnsPacket.encode({ type: 'query', id: 23, questions: [{ type: 'SOA', name: 'badmx.test' }] }));
    notify.writeUInt16BE((notify.readUInt16BE(2) & ~0x7800) | (4 << 11), 2); // opcode 4: NOTIFY
    const reply = await udpQuery(notify);
    expect(reply?.readUInt16BE(0)).toBe(23);
    expect((reply?.readUInt16BE(2) ?? 0) & 0x000f).toBe(4);
  });
});
