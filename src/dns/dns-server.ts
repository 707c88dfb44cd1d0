import { createSocket, type RemoteInfo } from 'node:dgram';
import { createServer, isIPv4, isIPv6, type Server, type Socket } from 'node:net';
import * as dnsPacket from 'dns-packet';
import { BadmxError } from '../errors.js';
import { peerKey } from '../receivers/peer-limits.js';
import { inZone, insecureApex, type Zone } from './zone-records.js';
import { soaRecord, toAnswer } from './zone-answers.js';
import { compareCanonical, signatureWindow, type ZoneKey } from './dnssec.js';
import { signZone, type SignedZone } from './sign-zone.js';

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

/**
 * What the server holds open for DNS over TCP. Every connection costs a socket and a
 * buffer, and TCP is the one transport where a client can hold the server's resources
 * without sending anything: RFC 7766 §10 asks servers to bound the connections per
 * client and in total and to time out idle and slow ones.
 */
export interface DnsTcpLimits {
  /**
   * Connections held at once. When a new client arrives at the limit, the oldest idle
   * connection is closed to make room instead of turning the newcomer away (RFC 7766
   * §6.2.3: servers MAY use zero timeouts when under load or attack).
   */
  maxConnections: number;
  /** Connections held at once by one peer: an IPv4 address or an IPv6 /64 (RFC 7766 §6.2.2, RFC 6177 §2). */
  maxPerPeer: number;
  /** How long a connection may wait between messages (RFC 7766 §6.2.3: an idle period "of the order of seconds"). */
  idleMs: number;
  /**
   * How long a message may take to arrive once its first octet has. Further octets do not
   * extend it: a client trickling one octet at a time cannot hold a connection past it.
   */
  messageMs: number;
}

export const DEFAULT_TCP_LIMITS: Readonly<DnsTcpLimits> = { maxConnections: 64, maxPerPeer: 8, idleMs: 10_000, messageMs: 5_000 };

export interface DnsServerOptions {
  zone: Zone;
  address: string;
  /** 53 for resolvers that read resolv.conf (which has no port syntax). */
  port: number;
  onQuery?: (query: DnsQueryRecord) => void;
  /** Override the TCP limits (the defaults suit the open internet; tests shorten the timers). */
  tcp?: Partial<DnsTcpLimits>;
  /**
   * Sign the zone with this key (RFC 4035): signed again at every setZone, and answers to
   * queries that set the DO bit (RFC 3225) carry the RRSIGs, and negative ones the NSEC proofs.
   */
  dnssec?: { key: ZoneKey } | null;
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
const TCP_MAX_MESSAGE = 65_535;
const TCP_MAX_BACKLOG = 65_536;

/**
 * An authoritative-only DNS server for the harness zone, over UDP and TCP (RFC 7766
 * requires both). It answers for names in the zone and REFUSES everything else: a
 * sender whose resolver points here can find the receivers by MX, as in production,
 * and cannot resolve (and so cannot reach) anything outside the harness.
 *
 * In public mode it is on the internet, where a UDP server is a reflector for anyone who
 * can forge a source address: only an answer to a well-formed question about a name in
 * the zone may be larger than the query that asked for it (see `answerMessage`).
 */
export async function startDnsServer(options: DnsServerOptions): Promise<DnsServer> {
  let zone = options.zone;
  const sign = (z: Zone): SignedZone | null => (options.dnssec ? signZone(z, options.dnssec.key, signatureWindow()) : null);
  let signed = sign(zone);
  const limits: DnsTcpLimits = { ...DEFAULT_TCP_LIMITS, ...options.tcp };
  const udp = createSocket({ type: isIPv6(options.address) ? 'udp6' : 'udp4', reuseAddr: false });

  const respond = (query: Buffer, peer: string, transport: 'udp' | 'tcp'): Buffer | null => {
    const { reply, record } = answerMessage(zone, query, transport, signed);
    if (record) options.onQuery?.({ at: new Date().toISOString(), peer, transport, ...record });
    return reply;
  };

  udp.on('message', (message: Buffer, rinfo: RemoteInfo) => {
    const reply = respond(message, rinfo.address, 'udp');
    if (reply) udp.send(reply, rinfo.port, rinfo.address);
  });
  // A malformed datagram or an ICMP error must never take the server down.
  udp.on('error', () => undefined);

  const connections = new TcpConnections(limits);
  const tcp: Server = createServer((socket) => connections.accept(socket, (message) => respond(message, socket.remoteAddress ?? '', 'tcp')));
  // The limit is ours (TcpConnections sheds the oldest idle connection); the server's own maxConnections would refuse the newcomer instead.
  tcp.on('error', () => undefined);
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
      signed = sign(next);
    },
    async stop(): Promise<void> {
      connections.closeAll();
      await Promise.all([new Promise<void>((resolve) => udp.close(() => resolve())), new Promise<void>((resolve) => tcp.close(() => resolve()))]);
    },
  };
}

interface TcpConnection {
  socket: Socket;
  peer: string;
  /** Octets of the message being read (RFC 1035 §4.2.2: a two-octet length, then the message). */
  pending: Buffer;
  /** When the first octet of the message being read arrived; null between messages. */
  messageStartedAt: number | null;
  /** When the connection last finished a message (or opened). */
  idleSince: number;
  timer: NodeJS.Timeout | null;
}

/**
 * The TCP connections, with the limits of RFC 7766 §6.2.2, §6.2.3 and §10: a deadline for
 * each message that further octets do not extend, an idle timeout between messages, a
 * per-peer cap, and a global cap that makes room by closing the oldest idle connection,
 * so that a crowd of idle connections cannot lock new clients out.
 */
class TcpConnections {
  readonly #limits: DnsTcpLimits;
  // A Map keeps insertion order: the first idle one found is not necessarily the oldest, so shedding compares idleSince.
  readonly #open = new Map<Socket, TcpConnection>();
  readonly #perPeer = new Map<string, number>();

  constructor(limits: DnsTcpLimits) {
    this.#limits = limits;
  }

  accept(socket: Socket, respond: (message: Buffer) => Buffer | null): void {
    socket.on('error', () => socket.destroy());
    const address = socket.remoteAddress;
    if (!address) {
      socket.destroy();
      return;
    }
    const peer = tcpPeerKey(address);
    if ((this.#perPeer.get(peer) ?? 0) >= this.#limits.maxPerPeer) {
      // RFC 7766 §6.2.2: a per-client limit. The peer's own oldest idle connection makes room;
      // if all of its connections are mid-message, the newcomer is the one turned away.
      const victim = this.#oldest((c) => c.peer === peer && this.#idle(c));
      if (!victim) {
        socket.destroy();
        return;
      }
      this.#close(victim);
    }
    if (this.#open.size >= this.#limits.maxConnections) {
      // RFC 7766 §6.2.3: under load, idle connections go first; failing that, the one whose
      // message has been arriving the longest (a slow sender), never the newcomer.
      const victim = this.#oldest((c) => this.#idle(c)) ?? this.#slowest();
      if (victim) this.#close(victim);
    }
    const connection: TcpConnection = { socket, peer, pending: Buffer.alloc(0), messageStartedAt: null, idleSince: Date.now(), timer: null };
    this.#open.set(socket, connection);
    this.#perPeer.set(peer, (this.#perPeer.get(peer) ?? 0) + 1);
    this.#arm(connection, this.#limits.idleMs);
    socket.on('close', () => this.#close(connection));
    socket.on('data', (chunk: Buffer) => this.#read(connection, chunk, respond));
  }

  closeAll(): void {
    for (const connection of [...this.#open.values()]) this.#close(connection);
  }

  #read(connection: TcpConnection, chunk: Buffer, respond: (message: Buffer) => Buffer | null): void {
    if (!this.#open.has(connection.socket)) return;
    if (connection.messageStartedAt === null) this.#startMessage(connection);
    connection.pending = connection.pending.length === 0 ? chunk : Buffer.concat([connection.pending, chunk]);
    // RFC 1035 §4.2.2: each message is preceded by a two-octet length. Several may come in one chunk (RFC 7766 §6.2.1.1).
    while (connection.pending.length >= 2) {
      const length = connection.pending.readUInt16BE(0);
      if (connection.pending.length < 2 + length) break;
      const message = connection.pending.subarray(2, 2 + length);
      connection.pending = connection.pending.subarray(2 + length);
      const reply = respond(message);
      if (!reply) {
        // Not a query worth answering (shorter than a header, or a response): the stream is not DNS, close it.
        this.#close(connection);
        return;
      }
      const framed = Buffer.alloc(2 + reply.length);
      framed.writeUInt16BE(reply.length, 0);
      reply.copy(framed, 2);
      // At most 64 KiB of answers waiting for a client that does not read: then it is dropped.
      if (!connection.socket.write(framed) && connection.socket.writableLength > TCP_MAX_BACKLOG) {
        this.#close(connection);
        return;
      }
      // Octets already here for the next message start its deadline now.
      if (connection.pending.length > 0) this.#startMessage(connection);
    }
    if (connection.pending.length === 0) {
      connection.messageStartedAt = null;
      connection.idleSince = Date.now();
      this.#arm(connection, this.#limits.idleMs);
    }
  }

  /** RFC 7766 §6.2.3: the deadline for a whole message, set once, when its first octet arrives. */
  #startMessage(connection: TcpConnection): void {
    connection.messageStartedAt = Date.now();
    this.#arm(connection, this.#limits.messageMs);
  }

  #arm(connection: TcpConnection, ms: number): void {
    if (connection.timer) clearTimeout(connection.timer);
    connection.timer = setTimeout(() => this.#close(connection), ms);
    connection.timer.unref();
  }

  #idle(connection: TcpConnection): boolean {
    return connection.messageStartedAt === null && connection.socket.writableLength === 0;
  }

  #oldest(which: (connection: TcpConnection) => boolean): TcpConnection | undefined {
    let oldest: TcpConnection | undefined;
    for (const connection of this.#open.values()) if (which(connection) && (!oldest || connection.idleSince < oldest.idleSince)) oldest = connection;
    return oldest;
  }

  #slowest(): TcpConnection | undefined {
    let slowest: TcpConnection | undefined;
    for (const connection of this.#open.values()) {
      if (slowest === undefined || (connection.messageStartedAt ?? Infinity) < (slowest.messageStartedAt ?? Infinity)) slowest = connection;
    }
    return slowest;
  }

  #close(connection: TcpConnection): void {
    if (connection.timer) clearTimeout(connection.timer);
    connection.timer = null;
    connection.socket.destroy();
    if (!this.#open.delete(connection.socket)) return;
    const count = (this.#perPeer.get(connection.peer) ?? 1) - 1;
    if (count > 0) this.#perPeer.set(connection.peer, count);
    else this.#perPeer.delete(connection.peer);
  }
}

/**
 * What the TCP limits count as one peer: an IPv4 address, or an IPv6 /64 (one host
 * usually holds a whole /64; RFC 6177 §2). An IPv4-mapped IPv6 address (a dual-stack
 * listener's view of an IPv4 client) is its IPv4 address, not one /64 for all of them.
 */
export function tcpPeerKey(address: string): string {
  const bare = address.toLowerCase().replace(/%.*$/, '');
  if (isIPv4(bare) || (!isIPv6(bare) && !/^::ffff:/.test(bare))) return bare;
  // The same rule as the receivers' per-peer limits.
  return peerKey(bare);
}

type Rcode = DnsQueryRecord['rcode'];
type Handled = { reply: Buffer | null; record: Omit<DnsQueryRecord, 'at' | 'peer' | 'transport'> | null };

const HEADER_LENGTH = 12;
const QR = 0x8000;
const OPCODE_BITS = 0x7800;
const TC = 0x0200;
const RD = 0x0100;
const OPCODES = ['QUERY', 'IQUERY', 'STATUS', 'OPCODE3', 'NOTIFY', 'UPDATE', 'DSO'];

/**
 * The answer to one DNS message, as octets, or null to drop it; and what to record.
 *
 * Anti-amplification (the practice of unbound's worker_check_request and BIND's FORMERR
 * handling): only a well-formed query about a name in the zone gets an answer built from
 * the zone, which may be larger than the query (and over UDP is still bounded by RFC 1035
 * §4.2.1 / RFC 6891 §6.2.5). Every other answer (FORMERR, NOTIMP, REFUSED, SERVFAIL) is
 * the header, at most the first question (when it parses as a plain name), and the OPT
 * record; it is never larger than the query, and when it would be, it is the bare header.
 * Nothing of the query beyond its first question is ever echoed.
 */
export function answerMessage(zone: Zone, query: Buffer, transport: 'udp' | 'tcp', signed: SignedZone | null = null): Handled {
  // RFC 1035 §4.1.1: without a whole header there is no ID to answer to; a message with QR
  // set is a response, and answering responses lets two servers bounce packets forever.
  if (query.length < HEADER_LENGTH) return { reply: null, record: null };
  const flags = query.readUInt16BE(2);
  if (flags & QR) return { reply: null, record: null };
  const question = readQuestion(query);
  const recordError = (rcode: Rcode, type = question?.type ?? ''): Handled['record'] => ({ name: question?.name ?? '', type, rcode, answers: 0 });
  // RFC 1035 §4.1.1: only standard queries here; NOTIFY, UPDATE and the rest get NOTIMP.
  const opcode = (flags & OPCODE_BITS) >> 11;
  if (opcode !== 0) return { reply: errorAnswer(query, 'NOTIMP', null, false), record: recordError('NOTIMP', OPCODES[opcode] ?? `OPCODE${opcode}`) };
  // unbound's worker_check_request: a query has TC clear, exactly one question, no answer or
  // authority records and at most one additional (the OPT, RFC 6891 §6.1.1). Anything else is FORMERR.
  const [qdcount, ancount, nscount, arcount] = [4, 6, 8, 10].map((offset) => query.readUInt16BE(offset)) as [number, number, number, number];
  if (flags & TC || qdcount !== 1 || ancount !== 0 || nscount !== 0 || arcount > 1 || !question) {
    return { reply: errorAnswer(query, 'FORMERR', question, false), record: recordError('FORMERR') };
  }
  let request: dnsPacket.Packet;
  try {
    request = dnsPacket.decode(query);
  } catch {
    return { reply: errorAnswer(query, 'FORMERR', question, false), record: recordError('FORMERR') };
  }
  const edns = ednsFor(request, transport);
  const answer = answerQuery(zone, { ...request, questions: [question] }, transport, signed);
  const record = { name: question.name, type: question.type, rcode: answer.rcode, answers: answer.packet.answers?.length ?? 0 };
  // Answers built from the zone: a name in the zone, a single well-formed question.
  const fromZone = answer.rcode === 'NOERROR' || answer.rcode === 'NXDOMAIN';
  if (!fromZone) return { reply: errorAnswer(query, answer.rcode, question, edns.length > 0), record };
  // RFC 8482 §4.4: no full ANY answer over UDP (a spoofed ANY would make us an amplifier); TC
  // sends the client to TCP. Only for names in the zone: anything else was REFUSED above.
  if (transport === 'udp' && (question.type as string) === 'ANY' && answer.rcode === 'NOERROR') {
    return {
      reply: dnsPacket.encode({ id: request.id ?? 0, type: 'response', flags: (answer.packet.flags ?? 0) | dnsPacket.TRUNCATED_RESPONSE, questions: [question], additionals: edns }),
      record: { ...record, answers: 0 },
    };
  }
  return { reply: encodeBounded(answer.packet, transport === 'udp' ? udpLimit(request) : TCP_MAX_MESSAGE), record };
}

/**
 * The first question, when it is a plain name (RFC 1035 §4.1.2): no compression pointer
 * (a query has nothing earlier to point to), no reserved label type, at most 255 octets
 * (RFC 1035 §2.3.4), and labels of printable ASCII other than "." so it is echoed exactly
 * as it was asked. The harness zone holds host names only; a query for any other name is
 * one this server cannot interpret, and gets FORMERR (RFC 1035 §4.1.1).
 */
function readQuestion(query: Buffer): dnsPacket.Question | null {
  if (query.readUInt16BE(4) === 0) return null;
  let offset = HEADER_LENGTH;
  let nameLength = 1;
  // Bounded: every pass consumes a label of at least two octets of a name of at most 255.
  for (;;) {
    const length = query[offset];
    if (length === undefined || length > 63) return null;
    if (length === 0) break;
    nameLength += length + 1;
    if (nameLength > 255 || offset + 1 + length > query.length) return null;
    for (let i = offset + 1; i <= offset + length; i++) {
      const octet = query[i]!;
      if (octet < 0x21 || octet > 0x7e || octet === 0x2e) return null;
    }
    offset += 1 + length;
  }
  if (offset + 5 > query.length) return null;
  // dns-packet's types leave out its question codec: decode the question alone, under a header of its own.
  const alone = Buffer.concat([Buffer.from([0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]), query.subarray(HEADER_LENGTH, offset + 5)]);
  try {
    return dnsPacket.decode(alone).questions?.[0] ?? null;
  } catch {
    return null;
  }
}

const RCODE_VALUES: Record<Rcode, number> = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 };

/**
 * An error answer: the header (ID, opcode and RD copied, RFC 1035 §4.1.1), the first
 * question if there is one and it fits, and an OPT record if the query had one (RFC 6891
 * §7). Never larger than the query: if the question would make it so, the bare header.
 */
function errorAnswer(query: Buffer, rcode: Rcode, question: dnsPacket.Question | null, edns: boolean): Buffer {
  const id = query.readUInt16BE(0);
  const flags = QR | (query.readUInt16BE(2) & (OPCODE_BITS | RD)) | RCODE_VALUES[rcode];
  if (question) {
    const additionals = edns ? [optRecord()] : [];
    const withQuestion = dnsPacket.encode({ id, type: 'response', flags, questions: [question], additionals });
    if (withQuestion.length <= query.length) return withQuestion;
  }
  const header = Buffer.alloc(HEADER_LENGTH);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(flags, 2);
  return header;
}

interface Answer {
  rcode: DnsQueryRecord['rcode'];
  packet: dnsPacket.Packet;
}

/** The authoritative answer to one query (RFC 1034 §4.3.2, steps 1-3, no recursion, no wildcards). */
export function answerQuery(zone: Zone, request: dnsPacket.Packet, transport: 'udp' | 'tcp' = 'udp', signed: SignedZone | null = null): Answer {
  const base = {
    id: request.id ?? 0,
    type: 'response' as const,
    // AA: we are the authority; RD is copied (RFC 1035 §4.1.1); RA stays clear: no recursion here.
    flags: dnsPacket.AUTHORITATIVE_ANSWER | ((request.flags ?? 0) & dnsPacket.RECURSION_DESIRED),
    // Only the first question is ever echoed: echoing a query's questions back is an amplifier.
    questions: (request.questions ?? []).slice(0, 1),
  };
  const edns = ednsFor(request, transport);
  const questions = request.questions ?? [];
  const question = questions[0];
  if (!question || questions.length !== 1) {
    return { rcode: 'FORMERR', packet: { ...base, flags: base.flags & ~dnsPacket.AUTHORITATIVE_ANSWER, rcode: 'FORMERR', questions: [] } as dnsPacket.Packet };
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
  // A name in an unsigned child zone is answered from the child, unsigned; except the DS at its
  // apex, which is the parent's to answer (RFC 4035 §3.1.4.1): NODATA, with the NSEC that proves it.
  const childApex = insecureApex(zone, name);
  const inChild = childApex !== null && !(name === childApex && question.type === 'DS');
  const soa = inChild ? { ...soaRecord(zone), name: childApex } : soaRecord(zone);
  const atName = zone.records.filter((r) => r.name === name && (inChild || insecureApex(zone, r.name) === null || (r.name === childApex && r.type === 'NS')));
  const exists = name === zone.origin || name === childApex || atName.length > 0 || zone.records.some((r) => r.name.endsWith(`.${name}`));
  // DNSSEC records only for a resolver that asks for them (RFC 3225: the DO bit), from a signed zone.
  const proofs = signed && wantsDnssec(request) && !inChild ? signed : null;
  if (!exists) {
    // RFC 2308 §3: negative answers carry the SOA in the authority section; signed, the NSEC
    // records that prove the name and any wildcard that could have made it absent (RFC 4035 §3.1.3.2).
    const authorities = proofs ? [soa, ...signaturesOf(proofs, zone.origin, 'SOA'), ...denial(proofs, name, zone.origin)] : [soa];
    return { rcode: 'NXDOMAIN', packet: { ...base, rcode: 'NXDOMAIN', authorities, additionals: edns } as dnsPacket.Packet };
  }
  const wanted: string = question.type;
  const answers: dnsPacket.Answer[] = [];
  if ((wanted === 'SOA' || wanted === 'ANY') && (inChild ? name === childApex : name === zone.origin)) answers.push(soa);
  // At a delegation the parent holds nothing but the NS (and its NSEC): a DS query there is NODATA.
  for (const record of atName) if (wanted === 'ANY' || wanted === record.type) answers.push(toAnswer(record, question.name));
  // The DNSKEY RRset lives in the signed zone only (the key is not a record of the zone's data).
  if (signed && name === zone.origin && (wanted === 'DNSKEY' || wanted === 'ANY')) {
    answers.push(...(signed.rrsets.get(name)?.get('DNSKEY') ?? []).map((a) => ({ ...a, name: question.name.replace(/\.$/, '') })));
  }
  if (proofs) {
    for (const type of new Set(answers.map((a) => a.type))) answers.push(...signaturesOf(proofs, name, type, question.name));
  }
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
      // NODATA (RFC 2308 §2.2): the SOA; signed, the name's own NSEC (its types), or for an
      // empty non-terminal the NSEC that covers it (RFC 4035 §3.1.3.1).
      authorities: answers.length === 0 ? (proofs ? [soa, ...signaturesOf(proofs, zone.origin, 'SOA'), ...nodata(proofs, name)] : [soa]) : [],
      additionals: [...additionals, ...edns],
    } as dnsPacket.Packet,
  };
}

/** Echo EDNS0 (RFC 6891 §7) when the client used it, with our payload size and no options; the DO bit copied back (RFC 3225 §3). */
function ednsFor(request: dnsPacket.Packet, _transport: 'udp' | 'tcp'): dnsPacket.Answer[] {
  const opt = (request.additionals ?? []).find((a) => a.type === 'OPT');
  return opt ? [optRecord(wantsDnssec(request))] : [];
}

function optRecord(dnssecOk = false): dnsPacket.Answer {
  return { name: '.', type: 'OPT', udpPayloadSize: MAX_UDP_PAYLOAD, flags: dnssecOk ? DO_BIT : 0, options: [] } as unknown as dnsPacket.Answer;
}

/** RFC 3225 §3: the DO bit, the top bit of the OPT record's extended flags. */
const DO_BIT = 0x8000;

function wantsDnssec(request: dnsPacket.Packet): boolean {
  const opt = (request.additionals ?? []).find((a) => a.type === 'OPT') as { flags?: number } | undefined;
  return ((opt?.flags ?? 0) & DO_BIT) !== 0;
}

/** The RRSIG over one RRset, owned by the name as asked. */
function signaturesOf(signed: SignedZone, name: string, type: string, asked: string = name): dnsPacket.Answer[] {
  const rrsig = signed.signatures.get(name)?.get(type);
  return rrsig ? [{ ...rrsig, name: asked.replace(/\.$/, '') }] : [];
}

/** An NSEC record with its signature. */
function withSignature(signed: SignedZone, nsec: dnsPacket.Answer | undefined): dnsPacket.Answer[] {
  return nsec ? [nsec, ...signaturesOf(signed, nsec.name, 'NSEC')] : [];
}

/** The NSEC whose span holds `name` (owner < name < next in canonical order, the last one wrapping to the apex). */
function covering(signed: SignedZone, name: string): dnsPacket.Answer | undefined {
  const owners = [...signed.nsec.keys()].sort(compareCanonical);
  let found = owners[owners.length - 1];
  for (const owner of owners) {
    if (compareCanonical(owner, name) < 0) found = owner;
    else break;
  }
  return found === undefined ? undefined : signed.nsec.get(found);
}

/** NODATA: the name's own NSEC, or the one covering an empty non-terminal. */
function nodata(signed: SignedZone, name: string): dnsPacket.Answer[] {
  return withSignature(signed, signed.nsec.get(name) ?? covering(signed, name));
}

/**
 * NXDOMAIN (RFC 4035 §3.1.3.2): the NSEC covering the name, and the one covering the wildcard
 * at its closest encloser (the nearest ancestor that exists), which proves no wildcard made it.
 */
function denial(signed: SignedZone, name: string, origin: string): dnsPacket.Answer[] {
  const owners = [...signed.nsec.keys()];
  const exists = (candidate: string): boolean => owners.some((o) => o === candidate || o.endsWith(`.${candidate}`));
  let encloser = name;
  while (encloser !== origin && !exists(encloser)) encloser = encloser.slice(encloser.indexOf('.') + 1);
  const proofs = [covering(signed, name), covering(signed, `*.${encloser}`)];
  return [...new Set(proofs.filter((p): p is dnsPacket.Answer => p !== undefined))].flatMap((nsec) => withSignature(signed, nsec));
}

function udpLimit(request: dnsPacket.Packet): number {
  const opt = (request.additionals ?? []).find((a) => a.type === 'OPT') as { udpPayloadSize?: number } | undefined;
  return opt?.udpPayloadSize ? Math.max(CLASSIC_UDP_LIMIT, Math.min(opt.udpPayloadSize, MAX_UDP_PAYLOAD)) : CLASSIC_UDP_LIMIT;
}

/**
 * Encode, and if it does not fit, answer with TC set, the question and the OPT record
 * (RFC 6891 §7) and nothing else, so the client retries over TCP (RFC 7766 §5).
 * dns-packet encodes the RCODE from the low four bits of `flags`, not from `rcode`.
 */
function encodeBounded(answer: dnsPacket.Packet, limit: number): Buffer {
  const rcode = RCODE_VALUES[((answer as { rcode?: string }).rcode ?? 'NOERROR') as Rcode] ?? 0;
  const packet = { ...answer, flags: ((answer.flags ?? 0) & ~0xf) | rcode };
  const full = dnsPacket.encode(packet);
  if (full.length <= limit) return full;
  const opt = (packet.additionals ?? []).filter((a) => a.type === 'OPT');
  return dnsPacket.encode({ ...packet, flags: (packet.flags ?? 0) | dnsPacket.TRUNCATED_RESPONSE, answers: [], authorities: [], additionals: opt });
}
