import type * as dnsPacket from 'dns-packet';
import { SOA_TIMERS, soaMailbox, type Zone, type ZoneRecord } from './zone-records.js';

/**
 * The harness zone's records as DNS answers (dns-packet's shape): what the server sends and
 * what DNSSEC signs (sign-zone.ts), so that a signature always covers exactly what is served.
 */

/** One record as an answer, owned by the name as it was asked (a resolver matches the case it sent). */
export function toAnswer(record: ZoneRecord, asked: string): dnsPacket.Answer {
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
export function chunkTxt(text: string): Buffer[] {
  const bytes = Buffer.from(text, 'utf8');
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += 255) chunks.push(bytes.subarray(i, i + 255));
  return chunks.length ? chunks : [Buffer.alloc(0)];
}

export function soaRecord(zone: Zone): dnsPacket.Answer {
  return {
    name: zone.origin,
    type: 'SOA',
    ttl: SOA_TIMERS.minimum,
    class: 'IN',
    data: { mname: zone.nameServer.hostname, rname: soaMailbox(zone.origin), serial: zone.serial, ...SOA_TIMERS },
  };
}

