import { createSocket, type RemoteInfo } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { createServer, type Server, type Socket } from 'node:net';
import * as dnsPacket from 'dns-packet';
import { BadmxError } from '../errors.js';
import { inZone, SOA_TIMERS, soaMailbox, type Zone, type ZoneRecord } from './zone-records.js';

/** One question the server answered: what a sender looked up is evidence too (MX, A, TLSA). */
export interface DnsQueryRecord {
  at: string;
  peer: string;
  transport: 'udp' | 'tcp';
  name: string;
  type: string;
  rcode: 'NOERROR' | 'NXDOMAIN' | 'REFUSED' | 'FORMERR' | 'NOTIMP' | 'SERVFAIL';
  answers: number;
}

export interface DnsServerOptions {
  zone: Zone;
  address: string;
  /** 53 for resolvers that read resolv.conf (which has no port syntax). */
  port: number;
  onQuery?: (query: DnsQueryRecord) => void;
}

export interface DnsServer {
  address: string;
  port: number;
  /** Swap the zone (e.g. for a sequential schedule) without restarting. */
  setZone(zone: Zone): void;
  stop(): Promise<void>;
}

// RFC 1035 §4.2.1: UDP answers above 512 octets are truncated unless EDNS0 (RFC 6891 §6.2.5) allows more.
const CLASSIC_UDP_LIMIT = 512;
const MAX_UDP_PAYLOAD = 1232; // the DNS Flag Day 2020 size: no IP fragmentation
const TCP_IDLE_MS = 10_000; // RFC 7766 §6.2.3: servers may close idle connections
const TCP_MAX_MESSAGE = 65_535;
const TCP_MAX_BACKLOG = 65_536;
// In public mode the server is on the internet: bound the TCP connections it holds open.
const TCP_MAX_CONNECTIONS = 64;

/**
 * An authoritative-only DNS server for the harness zone, over UDP and TCP (RFC 7766
 * requires both). It answers for names in the zone and REFUSES everything else: a
 * sender whose resolver points here can find the receivers by MX, as in production,
 * and cannot resolve (and so cannot reach) anything outside the harness.
 */
export async function startDnsServer(options: DnsServerOptions): Promise<DnsServer> {
  let zone = options.zone;
  const udp = createSocket({ type: isIPv6(options.address) ? 'udp6' : 'udp4', reuseAddr: false });
  const tcpConnections = new Set<Socket>();

  const respond = (query: Buffer, peer: string, transport: 'udp' | 'tcp'): Buffer | null => {
    let request: dnsPacket.Packet;
    try {
      request = dnsPacket.decode(query);
    } catch {
      // RFC 1035 §4.1.1: FORMERR when the ID can be read; otherwise there is no one to answer.
      if (query.length < 2) return null;
      options.onQuery?.({ at: new Date().toISOString(), peer, transport, name: '', type: '', rcode: 'FORMERR', answers: 0 });
      return headerOnly(query.readUInt16BE(0), 1);
    }
    if (request.type !== 'query') return null;
    // RFC 1035 §4.1.1: only standard queries here; NOTIFY, UPDATE and the rest get NOTIMP.
    const opcode = (request as { opcode?: string }).opcode ?? 'QUERY';
    if (opcode !== 'QUERY') {
      options.onQuery?.({ at: new Date().toISOString(), peer, transport, name: request.questions?.[0]?.name ?? '', type: opcode, rcode: 'NOTIMP', answers: 0 });
      return headerOnly(request.id ?? 0, 4);
    }
    // RFC 8482 §4.4: no full ANY answer over UDP (a spoofed ANY would make us an amplifier); TC sends the client to TCP.
    if (transport === 'udp' && (request.questions?.[0]?.type as string | undefined) === 'ANY') {
      return dnsPacket.encode({ id: request.id ?? 0, type: 'response', flags: dnsPacket.TRUNCATED_RESPONSE | dnsPacket.AUTHORITATIVE_ANSWER, questions: request.questions });
    }
    const answer = answerQuery(zone, request, transport);
    const q = request.questions?.[0];
    options.onQuery?.({
      at: new Date().toISOString(),
      peer,
      transport,
      name: q?.name ?? '',
      type: q?.type ?? '',
      rcode: answer.rcode,
      answers: answer.packet.answers?.length ?? 0,
    });
    return encodeBounded(answer.packet, transport === 'udp' ? udpLimit(request) : TCP_MAX_MESSAGE);
  };

  udp.on('message', (message: Buffer, rinfo: RemoteInfo) => {
    const reply = respond(message, rinfo.address, 'udp');
    if (reply) udp.send(reply, rinfo.port, rinfo.address);
  });
  // A malformed datagram or an ICMP error must never take the server down.
  udp.on('error', () => undefined);

  const tcp: Server = createServer((socket) => {
    tcpConnections.add(socket);
    // At most 64 KiB of answers waiting for a client that does not read: then it is dropped.
    const writeAnswer = (framed: Buffer): void => {
      if (!socket.write(framed) && socket.writableLength > TCP_MAX_BACKLOG) socket.destroy();
    };
    socket.setTimeout(TCP_IDLE_MS, () => socket.destroy());
    socket.on('close', () => tcpConnections.delete(socket));
    socket.on('error', () => socket.destroy());
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      // RFC 1035 §4.2.2: each message is preceded by a two-octet length.
      while (pending.length >= 2) {
        const length = pending.readUInt16BE(0);
        if (pending.length < 2 + length) break;
        const message = pending.subarray(2, 2 + length);
        pending = pending.subarray(2 + length);
        const reply = respond(message, socket.remoteAddress ?? '', 'tcp');
        if (!reply) {
          socket.destroy();
          return;
        }
        const framed = Buffer.alloc(2 + reply.length);
        framed.writeUInt16BE(reply.length, 0);
        reply.copy(framed, 2);
        writeAnswer(framed);
      }
    });
  });

  tcp.maxConnections = TCP_MAX_CONNECTIONS;
  try {
    await Promise.all([
      new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(options.port, options.address, () => {
          udp.off('error', reject);
          resolve();
        });
      }),
      new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(options.port, options.address, () => {
          tcp.off('error', reject);
          resolve();
        });
      }),
    ]);
  } catch (error) {
    udp.close();
    tcp.close();
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'EACCES'
        ? 'port 53 needs root or CAP_NET_BIND_SERVICE'
        : code === 'EADDRINUSE'
          ? 'something already listens there'
          : code === 'EADDRNOTAVAIL'
            ? 'that address is not on this machine'
            : String((error as Error).message);
    throw new BadmxError(`the harness DNS server cannot listen on ${options.address}:${options.port}: ${why}`, 'ELISTEN');
  }

  return {
    address: options.address,
    port: options.port,
    setZone(next: Zone): void {
      zone = next;
    },
    async stop(): Promise<void> {
      for (const socket of tcpConnections) socket.destroy();
      await Promise.all([new Promise<void>((resolve) => udp.close(() => resolve())), new Promise<void>((resolve) => tcp.close(() => resolve()))]);
    },
  };
}

interface Answer {
  rcode: DnsQueryRecord['rcode'];
  packet: dnsPacket.Packet;
}

/** The authoritative answer to one query (RFC 1034 §4.3.2, steps 1-3, no recursion, no wildcards). */
export function answerQuery(zone: Zone, request: dnsPacket.Packet, transport: 'udp' | 'tcp' = 'udp'): Answer {
  const base = {
    id: request.id ?? 0,
    type: 'response' as const,
    // AA: we are the authority; RD is copied (RFC 1035 §4.1.1); RA stays clear: no recursion here.
    flags: dnsPacket.AUTHORITATIVE_ANSWER | ((request.flags ?? 0) & dnsPacket.RECURSION_DESIRED),
    questions: request.questions ?? [],
  };
  const edns = ednsFor(request, transport);
  const questions = request.questions ?? [];
  const question = questions[0];
  if (!question || questions.length !== 1) {
    return { rcode: 'FORMERR', packet: { ...base, flags: base.flags & ~dnsPacket.AUTHORITATIVE_ANSWER, rcode: 'FORMERR' } as dnsPacket.Packet };
  }
  const name = question.name.toLowerCase().replace(/\.$/, '');
  if (!inZone(name, zone.origin)) {
    // Not our zone: REFUSED (RFC 8906 §3.1.5), never a referral upwards.
    return { rcode: 'REFUSED', packet: { ...base, flags: base.flags & ~dnsPacket.AUTHORITATIVE_ANSWER, rcode: 'REFUSED', additionals: edns } as dnsPacket.Packet };
  }
  if (question.class !== 'IN' && question.class !== 'ANY') {
    return { rcode: 'REFUSED', packet: { ...base, rcode: 'REFUSED', additionals: edns } as dnsPacket.Packet };
  }
  if (zone.dormant?.some((domain) => inZone(name, domain.toLowerCase()))) {
    // RFC 2308 §7.1: SERVFAIL is a temporary failure; resolvers retry rather than cache an answer.
    return { rcode: 'SERVFAIL', packet: { ...base, flags: base.flags & ~dnsPacket.AUTHORITATIVE_ANSWER, rcode: 'SERVFAIL', additionals: edns } as dnsPacket.Packet };
  }
  const soa = soaRecord(zone);
  const atName = zone.records.filter((r) => r.name === name);
  const exists = name === zone.origin || atName.length > 0 || zone.records.some((r) => r.name.endsWith(`.${name}`));
  if (!exists) {
    // RFC 2308 §3: negative answers carry the SOA in the authority section.
    return { rcode: 'NXDOMAIN', packet: { ...base, rcode: 'NXDOMAIN', authorities: [soa], additionals: edns } as dnsPacket.Packet };
  }
  const wanted: string = question.type;
  const answers: dnsPacket.Answer[] = [];
  if ((wanted === 'SOA' || wanted === 'ANY') && name === zone.origin) answers.push(soa);
  for (const record of atName) if (wanted === 'ANY' || wanted === record.type) answers.push(toAnswer(record, question.name));
  // RFC 1035 §3.3.9 / §4.3.2 step 6: addresses of MX and NS targets go in the additional section.
  const additionals: dnsPacket.Answer[] = [];
  for (const answer of answers) {
    const target = answer.type === 'MX' ? answer.data.exchange : answer.type === 'NS' ? answer.data : null;
    if (!target) continue;
    for (const record of zone.records) {
      if (record.name === target && (record.type === 'A' || record.type === 'AAAA')) additionals.push(toAnswer(record, record.name));
    }
  }
  return {
    rcode: 'NOERROR',
    packet: {
      ...base,
      rcode: 'NOERROR',
      answers,
      authorities: answers.length === 0 ? [soa] : [],
      additionals: [...additionals, ...edns],
    } as dnsPacket.Packet,
  };
}

function toAnswer(record: ZoneRecord, asked: string): dnsPacket.Answer {
  const name = asked.replace(/\.$/, '');
  switch (record.type) {
    case 'A':
    case 'AAAA':
    case 'NS':
      return { name, type: record.type, ttl: record.ttl, class: 'IN', data: record.data };
    case 'MX':
      return { name, type: 'MX', ttl: record.ttl, class: 'IN', data: record.data };
    case 'TXT':
      return { name, type: 'TXT', ttl: record.ttl, class: 'IN', data: chunkTxt(record.data) };
    case 'TLSA':
      return { name, type: 'TLSA', ttl: record.ttl, class: 'IN', data: record.data } as unknown as dnsPacket.Answer;
  }
}

/** RFC 1035 §3.3.14: a TXT string is at most 255 octets; longer text is split into several. */
function chunkTxt(text: string): Buffer[] {
  const bytes = Buffer.from(text, 'utf8');
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += 255) chunks.push(bytes.subarray(i, i + 255));
  return chunks.length ? chunks : [Buffer.alloc(0)];
}

function soaRecord(zone: Zone): dnsPacket.Answer {
  return {
    name: zone.origin,
    type: 'SOA',
    ttl: SOA_TIMERS.minimum,
    class: 'IN',
    data: { mname: zone.nameServer.hostname, rname: soaMailbox(zone.origin), serial: zone.serial, ...SOA_TIMERS },
  };
}

/** Echo EDNS0 (RFC 6891 §7) when the client used it, with our payload size. */
function ednsFor(request: dnsPacket.Packet, _transport: 'udp' | 'tcp'): dnsPacket.Answer[] {
  const opt = (request.additionals ?? []).find((a) => a.type === 'OPT');
  return opt ? [{ name: '.', type: 'OPT', udpPayloadSize: MAX_UDP_PAYLOAD, flags: 0, options: [] } as unknown as dnsPacket.Answer] : [];
}

function udpLimit(request: dnsPacket.Packet): number {
  const opt = (request.additionals ?? []).find((a) => a.type === 'OPT') as { udpPayloadSize?: number } | undefined;
  return opt?.udpPayloadSize ? Math.max(CLASSIC_UDP_LIMIT, Math.min(opt.udpPayloadSize, MAX_UDP_PAYLOAD)) : CLASSIC_UDP_LIMIT;
}

// dns-packet encodes the RCODE from the low four bits of `flags`, not from `rcode`.
const RCODE_BITS: Record<string, number> = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 };

/** Encode, and if it does not fit, answer with TC set and nothing else so the client retries over TCP (RFC 7766 §5). */
function encodeBounded(answer: dnsPacket.Packet, limit: number): Buffer {
  const packet = { ...answer, flags: ((answer.flags ?? 0) & ~0xf) | (RCODE_BITS[(answer as { rcode?: string }).rcode ?? 'NOERROR'] ?? 0) };
  const full = dnsPacket.encode(packet);
  if (full.length <= limit) return full;
  return dnsPacket.encode({ ...packet, flags: (packet.flags ?? 0) | dnsPacket.TRUNCATED_RESPONSE, answers: [], authorities: [], additionals: [] });
}

function headerOnly(id: number, rcode: number): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x8000 | rcode, 2); // QR=1, opcode 0, RCODE
  return header;
}
