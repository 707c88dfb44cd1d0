import type * as dnsPacket from 'dns-packet';
import { dnskeyAnswer, nsecChain, signRRset, type SignatureWindow, type ZoneKey } from './dnssec.js';
import { soaRecord, toAnswer } from './zone-answers.js';
import { SOA_TIMERS, ZONE_TTL, type Zone } from './zone-records.js';

/**
 * A zone, signed (RFC 4035 §2): the DNSKEY at the apex, an RRSIG over every RRset, and an NSEC
 * chain over every owner name (each NSEC signed too), all from the records the server answers
 * with (zone-answers.ts). The server serves these; `badmx zone` can print them; a validator
 * (BIND's dnssec-verify, unbound, delv) checks them, never badmx's own code.
 */
export interface SignedZone {
  /** Every RRset by owner name (lower case) and type, as served. */
  rrsets: Map<string, Map<string, dnsPacket.Answer[]>>;
  /** The RRSIG over each RRset, by owner name and covered type. */
  signatures: Map<string, Map<string, dnsPacket.Answer>>;
  /** The NSEC record of each owner name. */
  nsec: Map<string, dnsPacket.Answer>;
}

export function signZone(zone: Zone, key: ZoneKey, window: SignatureWindow): SignedZone {
  const rrsets = new Map<string, Map<string, dnsPacket.Answer[]>>();
  const add = (answer: dnsPacket.Answer): void => {
    const name = answer.name.toLowerCase();
    const byType = rrsets.get(name) ?? new Map<string, dnsPacket.Answer[]>();
    byType.set(answer.type, [...(byType.get(answer.type) ?? []), answer]);
    rrsets.set(name, byType);
  };
  add(soaRecord(zone));
  add(dnskeyAnswer(key, ZONE_TTL));
  for (const record of zone.records) add(toAnswer(record, record.name));

  const signatures = new Map<string, Map<string, dnsPacket.Answer>>();
  const signed = (name: string, type: string, rrset: dnsPacket.Answer[]): void => {
    const byType = signatures.get(name) ?? new Map<string, dnsPacket.Answer>();
    byType.set(type, signRRset(rrset, key, window));
    signatures.set(name, byType);
  };
  for (const [name, byType] of rrsets) for (const [type, rrset] of byType) signed(name, type, rrset);

  const types = new Map([...rrsets].map(([name, byType]) => [name, [...byType.keys()]]));
  const nsec = new Map<string, dnsPacket.Answer>();
  for (const record of nsecChain(types, SOA_TIMERS.minimum)) {
    nsec.set(record.name, record);
    signed(record.name, 'NSEC', [record]);
  }
  return { rrsets, signatures, nsec };
}

/**
 * The DNSSEC records of a signed zone in master-file syntax (RFC 4034 §2.2, §3.2, §4.2): to
 * append to the zone's own file (zone-file.ts), for a validator or a secondary to read.
 */
export function renderDnssecRecords(signed: SignedZone): string {
  const lines: string[] = [];
  for (const [name, byType] of signed.rrsets) {
    for (const answer of byType.get('DNSKEY') ?? []) lines.push(presentation(answer));
    if (signed.nsec.has(name)) lines.push(presentation(signed.nsec.get(name) as dnsPacket.Answer));
    for (const rrsig of signed.signatures.get(name)?.values() ?? []) lines.push(presentation(rrsig));
  }
  return `${lines.join('\n')}\n`;
}

function presentation(answer: dnsPacket.Answer): string {
  const head = `${answer.name}.\t${(answer as { ttl?: number }).ttl ?? 0}\tIN\t${answer.type}\t`;
  const data = (answer as { data: unknown }).data;
  switch (answer.type) {
    case 'DNSKEY': {
      const d = data as { flags: number; algorithm: number; key: Buffer };
      return `${head}${d.flags} 3 ${d.algorithm} ${d.key.toString('base64')}`;
    }
    case 'NSEC': {
      const d = data as { nextDomain: string; rrtypes: string[] };
      return `${head}${d.nextDomain}. ${d.rrtypes.join(' ')}`;
    }
    case 'RRSIG': {
      const d = data as { typeCovered: string; algorithm: number; labels: number; originalTTL: number; expiration: number; inception: number; keyTag: number; signersName: string; signature: Buffer };
      return `${head}${d.typeCovered} ${d.algorithm} ${d.labels} ${d.originalTTL} ${timestamp(d.expiration)} ${timestamp(d.inception)} ${d.keyTag} ${d.signersName}. ${d.signature.toString('base64')}`;
    }
    default:
      throw new Error(`renderDnssecRecords writes DNSSEC records only, not ${answer.type}`);
  }
}

/** RFC 4034 §3.2: YYYYMMDDHHmmSS in UTC. */
function timestamp(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/[-:T]/g, '').slice(0, 14);
}
