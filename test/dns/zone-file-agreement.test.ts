import { createSocket } from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import * as dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePublicConfig } from '../../src/config/public-config.js';
import { publicZone } from '../../src/config/public-zone.js';
import { startDnsServer, type DnsServer } from '../../src/dns/dns-server.js';
import { renderZoneFile } from '../../src/dns/zone-file.js';
import type { ZoneRecord } from '../../src/dns/zone-records.js';
import { checkZone, type CheckedZone } from '../helpers/named-checkzone.js';
import { studyProfiles } from '../helpers/study.js';
import { testNet } from '../helpers/net-plan.js';

/**
 * "delegated" and "external" DNS must publish the same zone: the embedded server's answers
 * and the zone file `badmx zone` writes, as BIND reads it, are compared name by name and
 * type by type. The server is asked through Node's c-ares resolver (the wire protocol every
 * sender's resolver speaks) and, for TLSA, which c-ares cannot ask for, with a raw query.
 */

const ADDRESS = testNet('dns/zone-file-agreement').host(53);
const PORT = 10_053;
const ORIGIN = 'badmx.example.com';
const TYPES = ['SOA', 'NS', 'MX', 'A', 'AAAA', 'TXT', 'TLSA'] as const;

const profiles = studyProfiles();
const config = parsePublicConfig(
  {
    zone: ORIGIN,
    // one address per profile, IPv4 and IPv6 alternating
    listen: { addresses: profiles.map((_, i) => (i % 2 === 0 ? `203.0.113.${i + 1}` : `2001:db8::${(i + 1).toString(16)}`)) },
    dns: { mode: 'delegated', listen: '203.0.113.53' },
  },
  'test',
  '/',
);
const extra: ZoneRecord[] = [
  { name: `_25._tcp.mx.tls1.2.${ORIGIN}`, type: 'TLSA', ttl: 60, data: { usage: 3, selector: 1, matchingType: 1, certificate: Buffer.alloc(32, 0x5a) } },
  // quotes, backslashes and a split at 255 octets, where the server splits too
  { name: `notes.${ORIGIN}`, type: 'TXT', ttl: 60, data: `say "hi" \\ back\\slash; (paren) ${'z'.repeat(300)}` },
];
const zone = publicZone(config, profiles, extra);

let server: DnsServer;
let fromFile: CheckedZone;

beforeAll(async () => {
  server = await startDnsServer({ zone, address: ADDRESS, port: PORT });
  fromFile = await checkZone(ORIGIN, renderZoneFile(zone));
});
afterAll(async () => {
  await server?.stop();
});

function resolver(): Resolver {
  const r = new Resolver({ timeout: 2000, tries: 2 });
  r.setServers([`${ADDRESS}:${PORT}`]);
  return r;
}

/** TXT data in BIND's presentation form, to compare with what named-checkzone printed. */
function presentTxt(strings: string[]): string {
  return strings
    .map((s) => `"${[...Buffer.from(s, 'latin1')].map((b) => (b === 0x22 || b === 0x5c ? `\\${String.fromCharCode(b)}` : b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\${String(b).padStart(3, '0')}`)).join('')}"`)
    .join(' ');
}

async function tlsaAnswers(name: string): Promise<string[]> {
  const socket = createSocket('udp4');
  try {
    const reply = await new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no TLSA answer for ${name}`)), 2000);
      socket.on('message', (message) => {
        clearTimeout(timer);
        resolve(message);
      });
      socket.send(dnsPacket.encode({ type: 'query', id: 7, questions: [{ type: 'TLSA', name }] }), PORT, ADDRESS);
    });
    return (dnsPacket.decode(reply).answers ?? [])
      .filter((a) => a.type === 'TLSA')
      .map((a) => {
        const data = (a as unknown as { data: { usage: number; selector: number; matchingType: number; certificate: Buffer } }).data;
        return `${data.usage} ${data.selector} ${data.matchingType} ${data.certificate.toString('hex').toUpperCase()}`;
      });
  } finally {
    socket.close();
  }
}

/** What the server answers for one name and type, in presentation form; [] for NODATA or NXDOMAIN. */
async function served(name: string, type: (typeof TYPES)[number]): Promise<string[]> {
  const r = resolver();
  try {
    switch (type) {
      case 'SOA': {
        const soa = await r.resolveSoa(name);
        return [`${soa.nsname}. ${soa.hostmaster}. ${soa.serial} ${soa.refresh} ${soa.retry} ${soa.expire} ${soa.minttl}`];
      }
      case 'NS':
        return (await r.resolveNs(name)).map((ns) => `${ns}.`);
      case 'MX':
        return (await r.resolveMx(name)).map((mx) => `${mx.priority} ${mx.exchange}.`);
      case 'A':
        return (await r.resolve4(name, { ttl: true })).map((a) => `${a.address} ttl=${a.ttl}`);
      case 'AAAA':
        return (await r.resolve6(name, { ttl: true })).map((a) => `${a.address} ttl=${a.ttl}`);
      case 'TXT':
        return (await r.resolveTxt(name)).map(presentTxt);
      case 'TLSA':
        return await tlsaAnswers(name);
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENODATA' || code === 'ENOTFOUND') return [];
    throw error;
  }
}

/** The same, from the zone file as BIND loaded it. */
function inFile(name: string, type: (typeof TYPES)[number]): string[] {
  return fromFile.records
    .filter(([owner, , , t]) => owner === `${name}.` && t === type)
    .map(([, ttl, , , rdata]) => {
      if (type === 'A' || type === 'AAAA') return `${rdata} ttl=${ttl}`;
      if (type === 'TLSA') {
        const [usage, selector, matching, ...hex] = rdata.split(/\s+/);
        return `${usage} ${selector} ${matching} ${hex.join('').toUpperCase()}`;
      }
      return rdata;
    });
}

describe('the embedded DNS server and the zone file agree', () => {
  it('BIND loads the file', () => {
    expect(fromFile.messages).not.toMatch(/error/i);
    expect(fromFile.ok).toBe(true);
  });

  it('for every name in the file and every type, the server answers exactly the file\'s records', async () => {
    const names = [...new Set(fromFile.records.map(([owner]) => owner.replace(/\.$/, '')))];
    // the whole catalogue, its name server, the probes' domain and its MX host, the TLSA and TXT extras
    expect(names.length).toBe(1 + 1 + 2 * profiles.length + 2 + extra.length);
    for (const name of names) {
      for (const type of TYPES) {
        expect({ name, type, records: (await served(name, type)).sort() }).toEqual({ name, type, records: inFile(name, type).sort() });
      }
    }
  });

  it('names the file does not have do not exist on the server either', async () => {
    expect(inFile(`nothing-here.${ORIGIN}`, 'A')).toEqual([]);
    await expect(resolver().resolve4(`nothing-here.${ORIGIN}`)).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });
});
