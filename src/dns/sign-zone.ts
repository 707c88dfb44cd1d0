import type * as dnsPacket from 'dns-packet';
import { dnskeyAnswer, nsecChain, signRRset, type SignatureWindow, type ZoneKey } from './dnssec.js';
import { soaRecord, toAnswer } from './zone-answers.js';
import { insecureApex, SOA_TIMERS, ZONE_TTL, type Zone } from './zone-records.js';

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
  // An unsigned child's data is not this zone's: only the delegation's NS at its apex is, and
  // that is not signed either (RFC 4035 §2.2), but its NSEC is (the proof that there is no DS).
  const delegations = new Set<string>();
  for (const record of zone.records) {
    const apex = insecureApex(zone, record.name);
    if (apex === null) add(toAnswer(record, record.name));
    else if (record.name === apex && record.type === 'NS') {
      add(toAnswer(record, record.name));
      delegations.add(apex);
    }
  }
  const broken = new Set(zone.records.filter((r) => r.type === 'TLSA' && r.brokenSignature).map((r) => `${r.name}/${r.type}`));

  const signatures = new Map<string, Map<string, dnsPacket.Answer>>();
  const signed = (name: string, type: string, rrset: dnsPacket.Answer[]): void => {
    const byType = signatures.get(name) ?? new Map<string, dnsPacket.Answer>();
    const rrsig = signRRset(rrset, key, window);
    byType.set(type, broken.has(`${name}/${type}`) ? breakSignature(rrsig) : rrsig);
    signatures.set(name, byType);
  };
  for (const [name, byType] of rrsets) for (const [type, rrset] of byType) if (!(delegations.has(name) && type === 'NS')) signed(name, type, rrset);

  const types = new Map([...rrsets].map(([name, byType]) => [name, [...byType.keys()]]));
  const nsec = new Map<string, dnsPacket.Answer>();
  for (const record of nsecChain(types, SOA_TIMERS.minimum)) {
    nsec.set(record.name, record);
    signed(record.name, 'NSEC', [record]);
  }
  return { rrsets, signatures, nsec };
}

/**
 * The same RRSIG with its signature's last octet flipped: well formed, signed by the zone's
 * key tag and within its window, and it does not verify (dane-bogus). A validator must call
 * the RRset bogus (RFC 4035 §5.3, §5.5), not insecure.
 */
function breakSignature(rrsig: dnsPacket.Answer): dnsPacket.Answer {
  const data = (rrsig as { data: { signature: Buffer } }).data;
  const signature = Buffer.from(data.signature);
  signature[signature.length - 1] = (signature[signature.length - 1] as number) ^ 0xff;
  return { ...rrsig, data: { ...data, signature } } as dnsPacket.Answer;
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
