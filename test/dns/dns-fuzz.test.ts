import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Resolver } from 'node:dns/promises';
import * as fc from 'fast-check';
import * as dnsPacket from 'dns-packet';
import { startDnsServer, type DnsServer } from '../../src/dns/dns-server.js';
import { AMPLIFICATION_BOUND, runDnsFuzzRound, sendFuzzPacket, type DnsFuzzTarget } from '../../src/dns/dns-fuzz.js';
import { dnsTestZone } from '../helpers/dns-test-zone.js';
import { testNet } from '../helpers/net-plan.js';

/**
 * Fuzzing the harness DNS server over real UDP and TCP sockets: 2,000 generated packets
 * (src/dns/dns-fuzz.ts, reproducible from the seed) and 1,000 from fast-check (shrunk to
 * the smallest failing packet). The server must never crash, answer or drop every packet,
 * never answer more than AMPLIFICATION_BOUND times a query except from the zone, and
 * still answer a valid query afterwards.
 */

const ADDRESS = testNet('dns/dns-fuzz').host(4);
const PORT = 10531;
const target: DnsFuzzTarget = { address: ADDRESS, port: PORT, origin: 'badmx.test', localAddress: testNet('dns/dns-fuzz').host(5) };
let server: DnsServer;

const zone = dnsTestZone(ADDRESS);

beforeAll(async () => {
  server = await startDnsServer({ zone, address: ADDRESS, port: PORT });
});
afterAll(async () => {
  await server?.stop();
});

async function stillAnswers(): Promise<void> {
  const resolver = new Resolver({ timeout: 1000, tries: 1 });
  resolver.setServers([`${ADDRESS}:${PORT}`]);
  expect(await resolver.resolveMx('tls1.2.badmx.test')).toEqual([{ exchange: 'mx.tls1.2.badmx.test', priority: 10 }]);
}

/** Errors thrown out of the server's socket handlers would land here (and crash a real process). */
async function countingUncaught<T>(run: () => Promise<T>): Promise<{ result: T; uncaught: unknown[] }> {
  const uncaught: unknown[] = [];
  const onError = (error: unknown): void => void uncaught.push(error);
  process.on('uncaughtException', onError);
  try {
    return { result: await run(), uncaught };
  } finally {
    process.off('uncaughtException', onError);
  }
}

describe('fuzzing the harness DNS server', () => {
  it('2,000 generated packets over UDP and TCP: no crash, each answered or dropped, none amplified but from the zone', async () => {
    const { result: figures, uncaught } = await countingUncaught(() => runDnsFuzzRound({ ...target, packets: 2000, seed: 20_250_531 }));
    expect(uncaught).toEqual([]);
    expect(figures.sent).toBe(2000);
    expect(figures.answered + figures.dropped).toBe(figures.sent);
    expect(figures.byTransport.udp.sent).toBe(1000);
    expect(figures.byTransport.tcp.sent).toBe(1000);
    expect(figures.crashes).toBe(0);
    expect(figures.aborted).toBe(false);
    expect(figures.multipleAnswers).toBe(0);
    expect(figures.undecodable).toBe(0);
    expect(figures.overBound).toBe(0);
    expect(figures.worstFactor, `worst packet: ${figures.worstPacket}`).toBeLessThanOrEqual(AMPLIFICATION_BOUND);
    // the round exercised both answers and drops
    expect(figures.answered).toBeGreaterThan(500);
    expect(figures.dropped).toBeGreaterThan(50);
    await stillAnswers();
  }, 90_000);

  it('1,000 packets from fast-check (random octets, forged headers, mutated queries) over UDP and TCP: the same, packet by packet', async () => {
    const names = ['badmx.test', 'mx.tls1.2.badmx.test', 'big.badmx.test', 'nosuch.badmx.test', '_25._tcp.mx.tls1.2.badmx.test', 'example.com', '.'];
    const types = ['A', 'AAAA', 'MX', 'TXT', 'NS', 'SOA', 'TLSA', 'ANY', 'AXFR', 'UNKNOWN_999'];
    const word = fc.integer({ min: 0, max: 0xffff });
    const raw = fc.uint8Array({ maxLength: 600 }).map((bytes) => Buffer.from(bytes));
    const forged = fc.tuple(fc.array(word, { minLength: 6, maxLength: 6 }), fc.uint8Array({ maxLength: 300 })).map(([header, body]) => {
      const packet = Buffer.alloc(12 + body.length);
      header.forEach((value, i) => packet.writeUInt16BE(value, i * 2));
      packet.set(body, 12);
      return packet;
    });
    const mutated = fc
      .record({
        name: fc.constantFrom(...names),
        type: fc.constantFrom(...types),
        edns: fc.boolean(),
        padding: fc.nat({ max: 1200 }),
        edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        cut: fc.option(fc.nat()),
      })
      .map(({ name, type, edns, padding, edits, cut }) => {
        const packet = Buffer.from(
          dnsPacket.encode({
            type: 'query',
            id: 4242,
            questions: [{ name, type: type as 'A' }],
            additionals: edns ? [{ name: '.', type: 'OPT', udpPayloadSize: 4096, flags: 0, options: padding ? [{ code: 12, data: Buffer.alloc(padding) }] : [] } as unknown as dnsPacket.Answer] : [],
          }),
        );
        for (const [at, value] of edits) packet[at % packet.length] = value;
        return cut === null ? packet : packet.subarray(0, cut % (packet.length + 1));
      });
    const packets = fc.oneof(raw, forged, mutated, mutated);
    const { uncaught } = await countingUncaught(() =>
      fc.assert(
        fc.asyncProperty(packets, fc.constantFrom('udp' as const, 'tcp' as const), async (packet, transport) => {
          const outcome = await sendFuzzPacket(target, packet, transport);
          expect(outcome.alive).toBe(true);
          expect(outcome.answers).toBeLessThanOrEqual(1);
          expect(outcome.undecodable).toBe(false);
          if (!outcome.exempt) expect(outcome.factor).toBeLessThanOrEqual(AMPLIFICATION_BOUND);
        }),
        { numRuns: 1000, seed: 531 },
      ),
    );
    expect(uncaught).toEqual([]);
    await stillAnswers();
  }, 90_000);
});
