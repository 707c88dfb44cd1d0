import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import * as dnsPacket from 'dns-packet';
import { startDnsServer, tcpPeerKey, type DnsServer } from '../../src/dns/dns-server.js';
import { AMPLIFICATION_BOUND, questionBomb } from '../../src/dns/dns-fuzz.js';
import { buildZone } from '../../src/dns/zone-records.js';
import { testNet } from '../helpers/net-plan.js';

/**
 * The harness DNS server on the open internet: no reflection of what a query carries
 * (RFC 1035, RFC 6891, RFC 8482, unbound's and BIND's anti-amplification practice), and
 * TCP connections bounded per peer, in total and in time (RFC 7766 §6.2.2, §6.2.3, §10).
 * Real sockets on 127.0.131.0/24: servers on .1 to .3, clients bound to .10 to .40.
 */

const PORT = 10531;
const AMPLIFY = testNet('dns/dns-hardening').host(1); // default limits: amplification and REFUSED
const CROWD = testNet('dns/dns-hardening').host(2); // default limits: the TCP connection limits
const TIMERS = testNet('dns/dns-hardening').host(3); // short TCP timers: the idle timeout and the message deadline
const servers: DnsServer[] = [];

const zone = buildZone({
  origin: 'badmx.test',
  hosts: [{ domain: 'tls1.2.badmx.test', hostname: 'mx.tls1.2.badmx.test', address: '127.0.2.6', description: 'badmx profile tls1.2: control' }],
  nameServer: { hostname: 'ns.badmx.test', address: AMPLIFY },
});

beforeAll(async () => {
  servers.push(await startDnsServer({ zone, address: AMPLIFY, port: PORT }));
  servers.push(await startDnsServer({ zone, address: CROWD, port: PORT }));
  servers.push(await startDnsServer({ zone, address: TIMERS, port: PORT, tcp: { idleMs: 1500, messageMs: 500 } }));
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

function frame(message: Buffer): Buffer {
  return Buffer.concat([Buffer.from([message.length >> 8, message.length & 0xff]), message]);
}

async function udpAsk(address: string, packet: Buffer): Promise<Buffer | null> {
  const socket = createSocket('udp4');
  try {
    return await new Promise<Buffer | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), 1000);
      socket.on('message', (message) => {
        clearTimeout(timer);
        resolve(message);
      });
      socket.send(packet, PORT, address);
    });
  } finally {
    socket.close();
  }
}

/** One framed message over a new TCP connection: the answer, or null if the connection closed or nothing came in time. */
async function tcpAsk(address: string, packet: Buffer, localAddress?: string, timeoutMs = 1000): Promise<Buffer | null> {
  return await new Promise<Buffer | null>((resolve) => {
    const timer = setTimeout(() => done(null), timeoutMs);
    const socket = connect({ host: address, port: PORT, ...(localAddress ? { localAddress } : {}) }, () => socket.write(frame(packet)));
    const done = (answer: Buffer | null): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    let data = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      if (data.length >= 2 && data.length >= 2 + data.readUInt16BE(0)) done(data.subarray(2, 2 + data.readUInt16BE(0)));
    });
    socket.on('error', () => done(null));
    socket.on('close', () => done(null));
  });
}

async function ask(transport: 'udp' | 'tcp', address: string, packet: Buffer): Promise<Buffer | null> {
  return transport === 'udp' ? await udpAsk(address, packet) : await tcpAsk(address, packet);
}

const rcodeOf = (answer: Buffer): number => answer.readUInt16BE(2) & 0x000f;
const query = (name: string, type: string, id = 77, extra: Partial<dnsPacket.Packet> = {}): Buffer =>
  dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type: type as 'A' }], ...extra });
const opt = (options: Array<{ code: number; data: Buffer }> = []): dnsPacket.Answer =>
  ({ name: '.', type: 'OPT', udpPayloadSize: 4096, flags: 0, options }) as unknown as dnsPacket.Answer;

describe('no answer larger than its query, but from the zone', () => {
  it('a 1,703-octet query of 250 questions pointing at one name gets FORMERR, not 49,262 octets (28.9x)', async () => {
    const bomb = questionBomb(null, 250);
    expect(bomb.length).toBe(1703);
    for (const transport of ['udp', 'tcp'] as const) {
      const answer = await ask(transport, AMPLIFY, bomb);
      expect(answer, transport).not.toBeNull();
      expect(answer!.readUInt16BE(0)).toBe(0xbeef);
      expect(rcodeOf(answer!)).toBe(1); // FORMERR (RFC 1035 §4.1.1)
      expect(answer!.readUInt16BE(4), 'at most the first question is echoed').toBeLessThanOrEqual(1);
      expect(answer!.length, transport).toBeLessThanOrEqual(bomb.length);
      expect(answer!.length / bomb.length).toBeLessThanOrEqual(AMPLIFICATION_BOUND);
    }
  });

  it('every malformed or unwanted query gets a bare header or header and question, never more than the query', async () => {
    const withCounts = (packet: Buffer, offset: number, value: number): Buffer => {
      const copy = Buffer.from(packet);
      copy.writeUInt16BE(value, offset);
      return copy;
    };
    const valid = query('mx.tls1.2.badmx.test', 'A', 41);
    const twoQuestions = dnsPacket.encode({ type: 'query', id: 42, questions: [{ name: 'badmx.test', type: 'A' }, { name: 'mx.tls1.2.badmx.test', type: 'A' }] });
    const twoOpts = dnsPacket.encode({ type: 'query', id: 43, questions: [{ name: 'badmx.test', type: 'A' }], additionals: [opt(), opt()] });
    const pointerQuestion = Buffer.from([0, 44, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0x0c, 0, 1, 0, 1]);
    const update = withCounts(valid, 2, 5 << 11); // opcode 5: UPDATE
    const cases: Array<[string, Buffer, number]> = [
      ['no question', withCounts(valid, 4, 0), 1],
      ['two questions', twoQuestions, 1],
      ['an answer record in a query', Buffer.concat([withCounts(valid, 6, 1), Buffer.alloc(11)]), 1],
      ['an authority record in a query', withCounts(valid, 8, 1), 1],
      ['two OPT records (RFC 6891 §6.1.1)', twoOpts, 1],
      ['TC set in a query', withCounts(valid, 2, 0x0300), 1],
      ['a compression pointer loop as the question', pointerQuestion, 1],
      ['a question count of 65,535', withCounts(valid, 4, 0xffff), 1],
      ['UPDATE', update, 4],
      ['a 1,400-octet padded query for a name outside the zone', query('example.com', 'A', 45, { additionals: [opt([{ code: 12, data: Buffer.alloc(1400) }])] }), 5],
      ['a class outside the zone (CH)', dnsPacket.encode({ type: 'query', id: 46, questions: [{ name: 'version.badmx.test', type: 'TXT', class: 'CH' }] }), 5],
    ];
    for (const [what, packet, rcode] of cases) {
      for (const transport of ['udp', 'tcp'] as const) {
        const answer = await ask(transport, AMPLIFY, packet);
        expect(answer, `${what} over ${transport}`).not.toBeNull();
        expect(rcodeOf(answer!), `${what} over ${transport}`).toBe(rcode);
        expect(answer!.readUInt16BE(0), what).toBe(packet.readUInt16BE(0));
        expect(answer!.readUInt16BE(4), what).toBeLessThanOrEqual(1);
        expect(answer!.length, `${what} over ${transport}`).toBeLessThanOrEqual(packet.length);
      }
    }
  });

  it('REFUSES every name outside the zone whatever the type: ANY over UDP too (the RFC 8482 TC is for names in the zone)', async () => {
    for (const name of ['example.com', 'badmx.test.evil.example', '.']) {
      for (const type of ['ANY', 'A', 'AAAA', 'MX', 'TXT', 'NS', 'SOA', 'TLSA', 'AXFR', 'UNKNOWN_65280']) {
        for (const transport of ['udp', 'tcp'] as const) {
          const packet = query(name, type, 51);
          const answer = await ask(transport, AMPLIFY, packet);
          expect(answer, `${type} ${name} over ${transport}`).not.toBeNull();
          expect(rcodeOf(answer!), `${type} ${name} over ${transport}`).toBe(5);
          expect(answer!.readUInt16BE(2) & 0x0200, `${type} ${name} over ${transport}: no TC`).toBe(0);
          expect(answer!.length).toBeLessThanOrEqual(packet.length);
        }
      }
    }
    // EDNS0 is echoed on a REFUSED answer too (RFC 6891 §7)
    const refused = dnsPacket.decode((await udpAsk(AMPLIFY, query('example.com', 'ANY', 52, { additionals: [opt()] })))!);
    expect((refused as { rcode?: string }).rcode).toBe('REFUSED');
    expect(refused.additionals?.map((a) => a.type)).toEqual(['OPT']);
    // ... while ANY for a name in the zone still gets TC over UDP and the whole answer over TCP
    const any = dnsPacket.decode((await udpAsk(AMPLIFY, query('tls1.2.badmx.test', 'ANY', 53)))!);
    expect((any.flags ?? 0) & dnsPacket.TRUNCATED_RESPONSE).toBeTruthy();
    expect((any as { rcode?: string }).rcode).toBe('NOERROR');
    expect(any.answers).toEqual([]);
    expect(dnsPacket.decode((await tcpAsk(AMPLIFY, query('tls1.2.badmx.test', 'ANY', 54)))!).answers?.map((a) => a.type).sort()).toEqual(['MX', 'TXT']);
  });
});

interface Held {
  socket: Socket;
  closed: boolean;
  closedAt: number;
}

async function hold(address: string, localAddress: string): Promise<Held> {
  return await new Promise<Held>((resolve, reject) => {
    const socket = connect({ host: address, port: PORT, localAddress }, () => resolve(held));
    const held: Held = { socket, closed: false, closedAt: 0 };
    socket.setNoDelay(true);
    socket.on('error', reject);
    socket.on('close', () => {
      held.closed = true;
      held.closedAt = Date.now();
    });
  });
}

describe('DNS over TCP cannot be locked up (RFC 7766 §6.2.2, §6.2.3, §10)', () => {
  it('66 idle connections from 11 addresses do not lock a new client out: the oldest idle ones make room', async () => {
    const held: Held[] = [];
    try {
      for (let i = 0; i < 66; i++) held.push(await hold(CROWD, testNet('dns/dns-hardening').host(10 + (i % 11))));
      await delay(200);
      const started = Date.now();
      const answer = await tcpAsk(CROWD, query('mx.tls1.2.badmx.test', 'A', 61), testNet('dns/dns-hardening').host(21), 3000);
      expect(answer, 'a new client gets an answer').not.toBeNull();
      expect(Date.now() - started).toBeLessThan(3000);
      expect(dnsPacket.decode(answer!).answers?.[0]).toMatchObject({ type: 'A', data: '127.0.2.6' });
      await delay(200);
      // 64 at most: the 65th and 66th and the new client each closed the oldest idle connection.
      expect(held.flatMap((h, i) => (h.closed ? [i] : []))).toEqual([0, 1, 2]);
    } finally {
      for (const h of held) h.socket.destroy();
    }
  });

  it('one peer holds at most 8 connections: its oldest idle one makes room for the next', async () => {
    const held: Held[] = [];
    try {
      for (let i = 0; i < 10; i++) held.push(await hold(CROWD, testNet('dns/dns-hardening').host(30)));
      await delay(200);
      expect(held.flatMap((h, i) => (h.closed ? [i] : []))).toEqual([0, 1]);
      expect(await tcpAsk(CROWD, query('badmx.test', 'SOA', 62), testNet('dns/dns-hardening').host(30))).not.toBeNull();
      await delay(100);
      expect(held.flatMap((h, i) => (h.closed ? [i] : []))).toEqual([0, 1, 2]);
    } finally {
      for (const h of held) h.socket.destroy();
    }
  });

  it('counts a peer as its IPv4 address or its IPv6 /64', () => {
    expect(tcpPeerKey(testNet('dns/dns-hardening').host(30))).toBe(testNet('dns/dns-hardening').host(30));
    expect(tcpPeerKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(tcpPeerKey('2001:db8:1:2:3:4:5:6')).toBe(tcpPeerKey('2001:0db8:0001:0002::9'));
    expect(tcpPeerKey('2001:db8:1:2::1')).not.toBe(tcpPeerKey('2001:db8:1:3::1'));
    expect(tcpPeerKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  });

  it('an idle connection is closed after the idle timeout', async () => {
    const idle = await hold(TIMERS, testNet('dns/dns-hardening').host(40));
    const opened = Date.now();
    for (let i = 0; i < 30 && !idle.closed; i++) await delay(100);
    expect(idle.closed).toBe(true);
    expect(idle.closedAt - opened).toBeGreaterThanOrEqual(1400);
    expect(idle.closedAt - opened).toBeLessThan(2500);
  });

  it('a message must arrive whole within its deadline: trickling octets does not keep the connection open', async () => {
    const slow = await hold(TIMERS, testNet('dns/dns-hardening').host(40));
    let answered = false;
    slow.socket.on('data', () => (answered = true));
    const framed = frame(query('mx.tls1.2.badmx.test', 'A', 63));
    const started = Date.now();
    // One octet every 100 ms: 3 s for the whole message, were it allowed.
    for (let i = 0; i < framed.length && !slow.closed; i++) {
      slow.socket.write(framed.subarray(i, i + 1));
      await delay(100);
    }
    expect(slow.closed).toBe(true);
    expect(answered).toBe(false);
    expect(slow.closedAt - started).toBeLessThan(1200);
  });

  it('a connection that keeps asking is kept: each answer starts a new idle period', async () => {
    const busy = await hold(TIMERS, testNet('dns/dns-hardening').host(40));
    let answers = 0;
    busy.socket.on('data', () => answers++);
    try {
      // 5 queries 400 ms apart: 2 s in all, longer than the idle timeout and the message deadline.
      for (let i = 0; i < 5; i++) {
        busy.socket.write(frame(query('badmx.test', 'NS', 70 + i)));
        await delay(400);
      }
      expect(busy.closed).toBe(false);
      expect(answers).toBeGreaterThanOrEqual(5);
    } finally {
      busy.socket.destroy();
    }
  });
});
