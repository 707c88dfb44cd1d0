import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, isIPv4, isIPv6 } from 'node:net';
import * as dnsPacket from 'dns-packet';
import { DEFAULT_ZONE } from '../profiles/naming.js';
import { inZone } from './zone-records.js';

/**
 * A bounded fuzz round against a DNS server on this machine: random and mutated packets
 * over UDP and TCP, each followed by a valid "sentinel" query, so that every packet is
 * known to have been answered or dropped (the sentinel's answer comes after it) and the
 * server is known to be alive after it. For the test suite and a later soak script.
 *
 * It only ever talks to loopback addresses (127.0.0.0/8, ::1): a fuzzer aimed at someone
 * else's server is an attack. Every loop is bounded by the packet count.
 */

/**
 * The amplification bound: no answer larger than this many times its query, except an
 * answer from the zone to a well-formed question about a name in it (BIND's and unbound's
 * anti-reflection practice: an error answer carries no more than the query did).
 */
export const AMPLIFICATION_BOUND = 3;
/** No round sends more than this, whatever it is asked. */
export const MAX_FUZZ_PACKETS = 100_000;
/** Largest fuzz packet: a UDP datagram fits, and so does a TCP message (RFC 1035 §4.2.2). */
const MAX_PACKET = 4096;

export type FuzzTransport = 'udp' | 'tcp';

export interface DnsFuzzTarget {
  /** A loopback address: anything else is refused. */
  address: string;
  port: number;
  /**
   * The zone's origin (default: `badmx serve`'s, badmx.test): answers from it (NOERROR or
   * NXDOMAIN, AA, one question in the zone) are exempt from the bound, and the sentinel
   * queries ask for a name in it.
   */
  origin?: string;
  /** Source address for the fuzzer's sockets (also loopback), e.g. to stay clear of per-peer limits. */
  localAddress?: string;
  /** How long to wait for the sentinel's answer; default 1000 ms. */
  timeoutMs?: number;
}

/** What became of one packet. */
export interface FuzzOutcome {
  transport: FuzzTransport;
  queryLength: number;
  /** Answers to the fuzz packet itself (0 = dropped; more than 1 is a server bug). */
  answers: number;
  /** The largest of them, in octets (without TCP's two-octet length). */
  answerLength: number;
  /** answerLength / queryLength (a zero-length query counts as one octet). */
  factor: number;
  /** The answer is from the zone (see AMPLIFICATION_BOUND), so its size is the zone's, not the query's. */
  exempt: boolean;
  /** RCODE of the answer, if there was one. */
  rcode: number | null;
  /** The answer does not parse as DNS (a server bug). */
  undecodable: boolean;
  /** The server answered a valid query after this packet. */
  alive: boolean;
}

export interface DnsFuzzOptions extends DnsFuzzTarget {
  /** Generated packets to send; default 1000, at most MAX_FUZZ_PACKETS. */
  packets?: number;
  /** PRNG seed for the generated packets (a round is reproducible from its seed). */
  seed?: number;
  /** Transports, used in turn; default both. */
  transports?: FuzzTransport[];
  /** Packets to send as well (e.g. from a property-based generator); at most MAX_FUZZ_PACKETS in all. */
  extra?: Iterable<Buffer>;
  /** Stop the round after this many packets in a row after which the server did not answer; default 3. */
  maxConsecutiveFailures?: number;
}

export interface DnsFuzzFigures {
  seed: number;
  sent: number;
  /** Packets that got an answer. */
  answered: number;
  /** Packets that got none (silence over UDP, the connection closed over TCP). */
  dropped: number;
  byTransport: Record<FuzzTransport, { sent: number; answered: number }>;
  /** Worst answer/query size ratio among answers not from the zone: must stay at or under AMPLIFICATION_BOUND. */
  worstFactor: number;
  /** The packet that gave it, in hex (first 256 octets). */
  worstPacket: string;
  /** Answers not from the zone above AMPLIFICATION_BOUND. */
  overBound: number;
  /** Worst ratio among answers from the zone (legitimate, for information). */
  worstExemptFactor: number;
  undecodable: number;
  /** Packets that got more than one answer. */
  multipleAnswers: number;
  /** Packets after which the server did not answer a valid query (a crash or a hang). */
  crashes: number;
  /** The round stopped early after maxConsecutiveFailures. */
  aborted: boolean;
  elapsedMs: number;
}

/** Send one packet and a sentinel after it; report what came back. */
export async function sendFuzzPacket(target: DnsFuzzTarget, packet: Buffer, transport: FuzzTransport): Promise<FuzzOutcome> {
  assertLoopback(target);
  if (packet.length > (transport === 'tcp' ? 65_535 : 65_507)) throw new RangeError(`a ${packet.length}-octet packet cannot be sent over ${transport}`);
  const sentinel = sentinelQuery(target.origin ?? DEFAULT_ZONE);
  const exchange = transport === 'udp' ? await udpExchange(target, [packet, sentinel.wire], sentinel) : await tcpExchange(target, [packet, sentinel.wire], sentinel);
  // Over TCP a dropped message closes the connection before the sentinel is read: ask again on a new
  // one. Over UDP a lost sentinel is asked once more before the server is called dead.
  const alive = exchange.alive || (await probe(target, transport));
  const largest = exchange.answers.reduce<Buffer | null>((a, b) => (a && a.length >= b.length ? a : b), null);
  const judged = largest ? judge(largest, target.origin ?? DEFAULT_ZONE) : { exempt: false, rcode: null, undecodable: false };
  return {
    transport,
    queryLength: packet.length,
    answers: exchange.answers.length,
    answerLength: largest?.length ?? 0,
    factor: largest ? largest.length / Math.max(1, packet.length) : 0,
    ...judged,
    alive,
  };
}

/** Is the server answering a valid query over this transport? */
export async function probe(target: DnsFuzzTarget, transport: FuzzTransport): Promise<boolean> {
  assertLoopback(target);
  const sentinel = sentinelQuery(target.origin ?? DEFAULT_ZONE);
  const exchange = transport === 'udp' ? await udpExchange(target, [sentinel.wire], sentinel) : await tcpExchange(target, [sentinel.wire], sentinel);
  return exchange.alive;
}

/** One fuzz round: generated packets (and `extra` ones), each over the transports in turn. */
export async function runDnsFuzzRound(options: DnsFuzzOptions): Promise<DnsFuzzFigures> {
  assertLoopback(options);
  const started = Date.now();
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const count = Math.max(0, Math.min(options.packets ?? 1000, MAX_FUZZ_PACKETS));
  const transports = options.transports?.length ? options.transports : (['udp', 'tcp'] as const);
  const maxFailures = options.maxConsecutiveFailures ?? 3;
  const figures: DnsFuzzFigures = {
    seed,
    sent: 0,
    answered: 0,
    dropped: 0,
    byTransport: { udp: { sent: 0, answered: 0 }, tcp: { sent: 0, answered: 0 } },
    worstFactor: 0,
    worstPacket: '',
    overBound: 0,
    worstExemptFactor: 0,
    undecodable: 0,
    multipleAnswers: 0,
    crashes: 0,
    aborted: false,
    elapsedMs: 0,
  };
  let failuresInARow = 0;
  for (const packet of boundedPackets(fuzzPackets(seed, count, options.origin ?? DEFAULT_ZONE), options.extra)) {
    const transport = transports[figures.sent % transports.length] ?? 'udp';
    const outcome = await sendFuzzPacket(options, packet, transport);
    figures.sent++;
    figures.byTransport[transport].sent++;
    if (outcome.answers > 0) {
      figures.answered++;
      figures.byTransport[transport].answered++;
    } else figures.dropped++;
    if (outcome.answers > 1) figures.multipleAnswers++;
    if (outcome.undecodable) figures.undecodable++;
    if (outcome.exempt) figures.worstExemptFactor = Math.max(figures.worstExemptFactor, outcome.factor);
    else if (outcome.answers > 0) {
      if (outcome.factor > AMPLIFICATION_BOUND) figures.overBound++;
      if (outcome.factor > figures.worstFactor) {
        figures.worstFactor = outcome.factor;
        figures.worstPacket = packet.subarray(0, 256).toString('hex');
      }
    }
    if (outcome.alive) failuresInARow = 0;
    else {
      figures.crashes++;
      if (++failuresInARow >= maxFailures) {
        figures.aborted = true;
        break;
      }
    }
  }
  figures.elapsedMs = Date.now() - started;
  return figures;
}

function* boundedPackets(generated: Buffer[], extra: Iterable<Buffer> | undefined): Generator<Buffer> {
  let n = 0;
  for (const packet of generated) {
    if (n++ >= MAX_FUZZ_PACKETS) return;
    yield packet;
  }
  for (const packet of extra ?? []) {
    if (n++ >= MAX_FUZZ_PACKETS) return;
    yield packet.subarray(0, MAX_PACKET);
  }
}

// ---------------------------------------------------------------------------------------
// Packets

/** A small seeded PRNG (mulberry32): the same seed gives the same round. */
function prng(seed: number): { next(): number; int(n: number): number; bytes(n: number): Buffer } {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  const bytes = (n: number): Buffer => {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = int(256);
    return out;
  };
  return { next, int, bytes };
}

type Rng = ReturnType<typeof prng>;

const TYPES = ['A', 'AAAA', 'MX', 'TXT', 'NS', 'SOA', 'TLSA', 'ANY', 'AXFR', 'CNAME', 'PTR', 'SRV', 'CAA', 'UNKNOWN_65280'];
const CLASSES = ['IN', 'IN', 'IN', 'ANY', 'CH', 'HS', 'UNKNOWN_254'];

function pick<T>(rng: Rng, list: readonly T[]): T {
  return list[rng.int(list.length)]!;
}

/** `count` packets from `seed`: random octets, mutated valid queries, and known-nasty shapes. */
export function fuzzPackets(seed: number, count: number, origin: string): Buffer[] {
  const rng = prng(seed);
  const names = [origin, `mx.${origin}`, `ns.${origin}`, `nosuch.${origin}`, `_25._tcp.mx.${origin}`, 'example.com', `${origin}.evil.example`, 'com', ''];
  const name = (): string => (rng.int(3) === 0 ? `${rng.bytes(1 + rng.int(20)).toString('hex')}.${pick(rng, names)}` : pick(rng, names)).replace(/\.$/, '');
  const valid = (): Buffer => {
    const edns = rng.int(2) === 0;
    const options = edns && rng.int(3) === 0 ? [{ code: pick(rng, [10, 12, 8, 15, 65001]), data: rng.bytes(rng.int(600)) }] : [];
    return dnsPacket.encode({
      type: 'query',
      id: rng.int(65_536),
      flags: rng.int(2) ? dnsPacket.RECURSION_DESIRED : 0,
      questions: [{ name: name() || '.', type: pick(rng, TYPES) as 'A', class: pick(rng, CLASSES) as 'IN' }],
      additionals: edns ? [{ name: '.', type: 'OPT', udpPayloadSize: pick(rng, [0, 512, 1232, 4096, 65_535, rng.int(65_536)]), flags: 0, options } as unknown as dnsPacket.Answer] : [],
    });
  };
  const mutate = (packet: Buffer): Buffer => {
    let out = Buffer.from(packet);
    const edits = 1 + rng.int(8);
    for (let e = 0; e < edits; e++) {
      switch (rng.int(7)) {
        case 0: // flip a bit
          if (out.length) out[rng.int(out.length)]! ^= 1 << rng.int(8);
          break;
        case 1: // set an octet
          if (out.length) out[rng.int(out.length)] = rng.int(256);
          break;
        case 2: // truncate
          out = out.subarray(0, rng.int(out.length + 1));
          break;
        case 3: // append
          out = Buffer.concat([out, rng.bytes(rng.int(64))]);
          break;
        case 4: // repeat a slice
          if (out.length) {
            const from = rng.int(out.length);
            out = Buffer.concat([out, out.subarray(from, from + rng.int(64))]);
          }
          break;
        case 5: // lie about a section count
          if (out.length >= 12) out.writeUInt16BE(pick(rng, [0, 1, 2, 3, 255, 0xffff, rng.int(65_536)]), pick(rng, [4, 6, 8, 10]));
          break;
        default: // rewrite the flags (QR, opcode, TC, RCODE)
          if (out.length >= 4) out.writeUInt16BE(rng.int(65_536), 2);
      }
    }
    return out;
  };
  const strategies: Array<() => Buffer> = [
    () => rng.bytes(rng.int(rng.int(2) ? 16 : 600)),
    valid,
    () => mutate(valid()),
    () => mutate(valid()),
    () => questionBomb(rng, 2 + rng.int(400)),
    () => pointerTricks(rng),
    () => longName(rng),
    () => {
      // a well-formed query with an odd header: any opcode, QR, TC, Z, RCODE
      const packet = valid();
      packet.writeUInt16BE(rng.int(65_536), 2);
      return packet;
    },
    () => {
      // two OPT records, or an OPT with a large option: RFC 6891 §6.1.1
      const packet = valid();
      const opt = dnsPacket.encode({ type: 'query', additionals: [{ name: '.', type: 'OPT', udpPayloadSize: 4096, flags: 0, options: [{ code: 12, data: rng.bytes(rng.int(1500)) }] } as unknown as dnsPacket.Answer] }).subarray(12);
      const out = Buffer.concat([packet, opt]);
      out.writeUInt16BE(out.readUInt16BE(10) + 1, 10);
      return out;
    },
    () => {
      // ANY, in and out of the zone (RFC 8482)
      return dnsPacket.encode({ type: 'query', id: rng.int(65_536), questions: [{ name: pick(rng, names) || '.', type: 'ANY' as 'A' }] });
    },
  ];
  const packets: Buffer[] = [];
  const total = Math.max(0, Math.min(count, MAX_FUZZ_PACKETS));
  for (let i = 0; i < total; i++) packets.push(pick(rng, strategies)().subarray(0, MAX_PACKET));
  return packets;
}

/** Many questions that are compression pointers to one long name: the shape that once came back 28.9 times larger. */
export function questionBomb(rng: Rng | null, questions: number): Buffer {
  const label = Buffer.concat([Buffer.from([63]), Buffer.alloc(63, 0x61)]);
  const first = Buffer.concat([label, label, label, Buffer.from([0, 0, 1, 0, 1])]);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(rng ? rng.int(65_536) : 0xbeef, 0);
  header.writeUInt16BE(questions, 4);
  const rest = Buffer.alloc(6 * (questions - 1));
  for (let i = 0; i < questions - 1; i++) {
    rest.writeUInt16BE(0xc00c, i * 6); // a pointer to the first name (RFC 1035 §4.1.4)
    rest.writeUInt16BE(rng ? pick(rng, [1, 255, 16]) : 1, i * 6 + 2);
    rest.writeUInt16BE(1, i * 6 + 4);
  }
  return Buffer.concat([header, first, rest]);
}

function pointerTricks(rng: Rng): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(rng.int(65_536), 0);
  header.writeUInt16BE(1 + rng.int(3), 4);
  const target = pick(rng, [0xc00c, 0xc000, 0xc00e, 0xc000 | rng.int(0x4000), 0x4000 | rng.int(0x4000), 0x8000 | rng.int(0x4000)]);
  const body = Buffer.alloc(6);
  body.writeUInt16BE(target, 0); // self-pointer, pointer into the header, forward pointer, reserved label types
  body.writeUInt16BE(pick(rng, [1, 15, 255]), 2);
  body.writeUInt16BE(1, 4);
  return Buffer.concat([header, body, rng.bytes(rng.int(32))]);
}

function longName(rng: Rng): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(rng.int(65_536), 0);
  header.writeUInt16BE(1, 4);
  const labels: Buffer[] = [];
  const n = 100 + rng.int(60); // around the 255-octet limit of RFC 1035 §2.3.4
  for (let i = 0; i < n; i++) labels.push(Buffer.from([1, 0x61 + rng.int(26)]));
  return Buffer.concat([header, ...labels, Buffer.from([0, 0, 1, 0, 1])]);
}

// ---------------------------------------------------------------------------------------
// Exchanges

interface Sentinel {
  wire: Buffer;
  id: number;
  name: string;
}

let sentinelCounter = 0;

/** A valid query no fuzz answer can be mistaken for: a fresh random name in the zone. */
function sentinelQuery(origin: string): Sentinel {
  const id = Math.floor(Math.random() * 65_536);
  const name = `fz${(sentinelCounter = (sentinelCounter + 1) % 1_000_000)}-${Math.random().toString(36).slice(2, 10)}.${origin}`;
  return { wire: dnsPacket.encode({ type: 'query', id, questions: [{ name, type: 'A' }] }), id, name };
}

function isSentinelAnswer(answer: Buffer, sentinel: Sentinel): boolean {
  if (answer.length < 12 || answer.readUInt16BE(0) !== sentinel.id) return false;
  try {
    return dnsPacket.decode(answer).questions?.[0]?.name.toLowerCase() === sentinel.name.toLowerCase();
  } catch {
    return false;
  }
}

function judge(answer: Buffer, origin: string): { exempt: boolean; rcode: number | null; undecodable: boolean } {
  const rcode = answer.length >= 4 ? answer.readUInt16BE(2) & 0xf : null;
  let decoded: dnsPacket.Packet;
  try {
    decoded = dnsPacket.decode(answer);
  } catch {
    return { exempt: false, rcode, undecodable: true };
  }
  const question = decoded.questions?.length === 1 ? decoded.questions[0] : undefined;
  const exempt =
    (rcode === 0 || rcode === 3) && ((decoded.flags ?? 0) & dnsPacket.AUTHORITATIVE_ANSWER) !== 0 && question !== undefined && inZone(question.name, origin.toLowerCase());
  return { exempt, rcode, undecodable: false };
}

interface Exchange {
  answers: Buffer[];
  alive: boolean;
  /** TCP: the server closed the connection before the sentinel's answer. */
  closed: boolean;
}

async function udpExchange(target: DnsFuzzTarget, packets: Buffer[], sentinel: Sentinel): Promise<Exchange> {
  const socket: UdpSocket = createSocket(isIPv6(target.address) ? 'udp6' : 'udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, target.localAddress, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return await new Promise<Exchange>((resolve) => {
      const answers: Buffer[] = [];
      const finish = (alive: boolean): void => {
        clearTimeout(timer);
        resolve({ answers, alive, closed: false });
      };
      const timer = setTimeout(() => finish(false), target.timeoutMs ?? 1000);
      socket.on('error', () => undefined);
      socket.on('message', (message: Buffer) => {
        if (isSentinelAnswer(message, sentinel)) finish(true);
        else answers.push(message);
      });
      // Loopback keeps the order: the server reads the packet first and answers it (or not) before the sentinel.
      for (const packet of packets) socket.send(packet, target.port, target.address);
    });
  } finally {
    socket.close();
  }
}

async function tcpExchange(target: DnsFuzzTarget, packets: Buffer[], sentinel: Sentinel): Promise<Exchange> {
  return await new Promise<Exchange>((resolve) => {
    const answers: Buffer[] = [];
    let settled = false;
    const finish = (alive: boolean, closed: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ answers, alive, closed });
    };
    const timer = setTimeout(() => finish(false, false), target.timeoutMs ?? 1000);
    const socket = connect({ host: target.address, port: target.port, ...(target.localAddress ? { localAddress: target.localAddress } : {}) }, () => {
      socket.write(Buffer.concat(packets.map((p) => Buffer.concat([Buffer.from([p.length >> 8, p.length & 0xff]), p]))));
    });
    let data = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      // Bounded: every pass consumes a framed message.
      while (data.length >= 2 && data.length >= 2 + data.readUInt16BE(0)) {
        const message = data.subarray(2, 2 + data.readUInt16BE(0));
        data = data.subarray(2 + message.length);
        if (isSentinelAnswer(message, sentinel)) return finish(true, false);
        answers.push(Buffer.from(message));
      }
    });
    socket.on('error', () => finish(false, true));
    socket.on('close', () => finish(false, true));
  });
}

function isLoopback(address: string): boolean {
  const bare = address.toLowerCase().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
  return (isIPv4(bare) && bare.startsWith('127.')) || bare === '::1';
}

function assertLoopback(target: DnsFuzzTarget): void {
  if (!isLoopback(target.address)) throw new RangeError(`the DNS fuzzer only talks to loopback addresses, not ${target.address}`);
  if (target.localAddress !== undefined && !isLoopback(target.localAddress)) throw new RangeError(`the DNS fuzzer only sends from loopback addresses, not ${target.localAddress}`);
}
