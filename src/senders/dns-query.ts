import { createSocket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { connect } from 'node:net';
import * as dnsPacket from 'dns-packet';

/**
 * A DNS query to a validating resolver that says what Node's resolver does not: whether the
 * answer is authenticated (the AD bit, RFC 4035 §3.2.3, RFC 6840 §5.8) and the RCODE (SERVFAIL
 * is how a validating resolver reports a bogus answer). What a DANE sender needs: RFC 7672 §2.2
 * uses TLSA records only from a secure answer, and defers on a bogus one.
 *
 * UDP first, with EDNS0 and the DO bit (RFC 3225) so that the resolver validates and says so;
 * over TCP when the answer comes back truncated (RFC 7766 §5). The reply must match the query
 * (ID and question), and both transports have a deadline.
 */

export interface DnsAnswer {
  rcode: string;
  /** The resolver vouches that answer and authority are authentic (AD). */
  authenticated: boolean;
  answers: dnsPacket.Answer[];
}

/** Largest answer taken over TCP. */
const MAX_TCP_ANSWER = 65_535;

export async function queryDns(
  server: { address: string; port: number },
  name: string,
  type: dnsPacket.RecordType | 'ANY',
  options: { timeoutMs?: number } = {},
): Promise<DnsAnswer> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const id = randomInt(0, 0x10000);
  const query = dnsPacket.encode({
    id,
    type: 'query',
    flags: dnsPacket.RECURSION_DESIRED | AD_FLAG,
    questions: [{ name, type: type as dnsPacket.RecordType, class: 'IN' }],
    additionals: [{ name: '.', type: 'OPT', udpPayloadSize: 1232, flags: DO_BIT, options: [] } as unknown as dnsPacket.Answer],
  });
  let reply = await overUdp(server, query, timeoutMs);
  let packet = checked(reply, id, name, type);
  if ((packet.flags ?? 0) & dnsPacket.TRUNCATED_RESPONSE) {
    reply = await overTcp(server, query, timeoutMs);
    packet = checked(reply, id, name, type);
  }
  return { rcode: packet.rcode ?? 'NOERROR', authenticated: ((packet.flags ?? 0) & AD_FLAG) !== 0, answers: packet.answers ?? [] };
}

/** RFC 4035 §3.2.3 / RFC 6840 §5.7: AD in a query asks for it in the answer even without DO. */
const AD_FLAG = 1 << 5;
/** RFC 3225 §3: the DO bit of the OPT record's extended flags. */
const DO_BIT = 0x8000;

function checked(reply: Buffer, id: number, name: string, type: string): dnsPacket.Packet & { rcode?: string } {
  const packet = dnsPacket.decode(reply) as dnsPacket.Packet & { rcode?: string };
  const question = packet.questions?.[0];
  if (packet.id !== id || packet.type !== 'response' || !question || question.name.toLowerCase() !== name.toLowerCase().replace(/\.$/, '') || question.type !== type) {
    throw new Error(`the resolver's answer does not match the query for ${name} ${type}`);
  }
  return packet;
}

function overUdp(server: { address: string; port: number }, query: Buffer, timeoutMs: number): Promise<Buffer> {
  const socket = createSocket(server.address.includes(':') ? 'udp6' : 'udp4');
  return new Promise<Buffer>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer from ${server.address}:${server.port} within ${timeoutMs} ms`)), timeoutMs);
    socket.once('error', (error) => reject(error));
    socket.on('message', (message, from) => {
      // Only from the server asked: anything else on this port is not its answer.
      if (from.address !== server.address || from.port !== server.port) return;
      clearTimeout(timer);
      resolve(message);
    });
    socket.send(query, server.port, server.address);
  }).finally(() => socket.close());
}

function overTcp(server: { address: string; port: number }, query: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const socket = connect(server.port, server.address);
    let pending = Buffer.alloc(0);
    const fail = (error: Error): void => {
      socket.destroy();
      reject(error);
    };
    socket.setTimeout(timeoutMs, () => fail(new Error(`no answer from ${server.address}:${server.port} over TCP within ${timeoutMs} ms`)));
    socket.on('error', fail);
    socket.on('connect', () => {
      const length = Buffer.alloc(2);
      length.writeUInt16BE(query.length, 0);
      socket.write(Buffer.concat([length, query]));
    });
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      if (pending.length > MAX_TCP_ANSWER + 2) return fail(new Error('the answer over TCP is too long'));
      if (pending.length < 2) return;
      const length = pending.readUInt16BE(0);
      if (pending.length < 2 + length) return;
      socket.destroy();
      resolve(pending.subarray(2, 2 + length));
    });
  });
}
