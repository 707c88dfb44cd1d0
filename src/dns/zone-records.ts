import { isIPv4, isIPv6 } from 'node:net';
import { stsRecord, tlsRptRecord } from '../profiles/mta-sts-policy.js';
import { stsRecordName, tlsRptName } from '../profiles/naming.js';
import type { TlsaPublication } from '../certs/tlsa.js';

/**
 * The records of the harness's zone, as data: what the embedded DNS server answers and
 * what `badmx zone` prints as a standard zone file. Names are absolute and lower case,
 * without the trailing dot.
 */
export type ZoneRecord =
  | { name: string; type: 'A'; ttl: number; data: string }
  | { name: string; type: 'AAAA'; ttl: number; data: string }
  | { name: string; type: 'MX'; ttl: number; data: { preference: number; exchange: string } }
  | { name: string; type: 'TXT'; ttl: number; data: string }
  | { name: string; type: 'NS'; ttl: number; data: string }
  | {
      name: string;
      type: 'TLSA';
      ttl: number;
      // RFC 6698 §2.1: usage, selector, matching type, certificate association data
      data: { usage: number; selector: number; matchingType: number; certificate: Buffer };
      /** Served with an RRSIG that does not verify (dane-bogus): a validator finds the RRset bogus. */
      brokenSignature?: boolean;
    };

export interface ZoneHost {
  /** The recipient domain whose MX this is, e.g. tls1.2.badmx.test. */
  domain: string;
  /** The MX hostname, e.g. mx.tls1.2.badmx.test. */
  hostname: string;
  /** Where the MX listens. */
  address: string;
  /** A one-line description, published as TXT on the recipient domain. */
  description?: string;
  /**
   * What the domain declares by MTA-STS (RFC 8461 §3.1) and TLS-RPT (RFC 8460 §3): its
   * policy id, the policy host and the address it resolves to (where badmx serves the policy,
   * or where nothing listens for an unreachable one), and whether that host takes reports.
   */
  mtaSts?: { id: string; policyHost: string; policyAddress: string; reportsByHttps: boolean } | null;
  /**
   * The MX host's TLSA records (RFC 7672 §2.2.3), and how a validator finds them: `secure`
   * (signed like the rest), `bogus` (their RRSIG broken), `insecure` (the MX host is delegated
   * to an unsigned child zone: NS, no DS).
   */
  tlsa?: TlsaPublication | null;
  /** A revoked leaf's CRL host (`crl.<domain>`, profiles/revocation.ts) and the address it resolves to, where badmx serves the CRL. */
  revocation?: { crlHost: string; crlAddress: string } | null;
}

export interface Zone {
  origin: string;
  /** The primary name server (SOA MNAME and NS). */
  nameServer: { hostname: string; address: string | null };
  /** SOA serial: seconds since the epoch at build time, so every rebuild is newer. */
  serial: number;
  records: ZoneRecord[];
  /**
   * Domains whose whole subtree answers SERVFAIL for now: in a sequential schedule, the
   * profiles that are not live. A sender retrying a probe of a profile whose step is over
   * gets a temporary failure and waits, instead of reaching the live profile's receiver
   * on the shared address and being judged by the wrong misconfiguration.
   */
  dormant?: string[];
  /**
   * Apexes of unsigned child zones (RFC 4035 §4.3 "insecure"): the parent publishes NS at each
   * and, signed, an NSEC proving there is no DS; the names at and below it are served by this
   * server too, authoritatively and unsigned. The MX host of dane-unsigned is one.
   */
  insecure?: string[];
}

/**
 * Short TTLs: the zone changes from run to run (a profile's address, a sequential
 * schedule), and a sender that cached a stale answer would deliver to the wrong receiver.
 */
export const ZONE_TTL = 60;

/**
 * SOA timers (RFC 1035 §3.3.13), shared by the embedded server and `badmx zone` so both
 * publish the same SOA. `minimum` is the negative-caching TTL (RFC 2308 §4): as short as
 * the records, so a sender that asked too early is not told "no such name" for long.
 * Refresh/retry/expire only matter to secondaries of an exported zone file.
 */
export const SOA_TIMERS = { refresh: 3600, retry: 600, expire: 86_400, minimum: 60 } as const;

/** The SOA RNAME (RFC 1035 §3.3.13: the mailbox hostmaster@<origin>, written as a name). */
export function soaMailbox(origin: string): string {
  return `hostmaster.${origin}`;
}

/** Build the zone from the receivers: MX, A/AAAA and TXT per profile (RFC 5321 §5.1 finds them by MX). */
export function buildZone(options: {
  origin: string;
  hosts: ZoneHost[];
  nameServer?: { hostname: string; address: string | null };
  /**
   * The probes' own domain (profiles/mailbox.ts): published like a host, plus SPF that
   * passes any sender (permissiveSpf), so that a relay checking the sender's domain takes the probes.
   */
  mailbox?: ZoneHost;
  extra?: ZoneRecord[];
}): Zone {
  const origin = options.origin.toLowerCase().replace(/\.$/, '');
  const nameServer = options.nameServer ?? { hostname: `ns.${origin}`, address: null };
  const records: ZoneRecord[] = [{ name: origin, type: 'NS', ttl: ZONE_TTL, data: nameServer.hostname }];
  const insecure: string[] = [];
  if (nameServer.address && inZone(nameServer.hostname, origin)) records.push(addressRecord(nameServer.hostname, nameServer.address));
  for (const host of [...options.hosts, ...(options.mailbox ? [options.mailbox] : [])]) {
    const domain = host.domain.toLowerCase();
    const hostname = host.hostname.toLowerCase();
    records.push({ name: domain, type: 'MX', ttl: ZONE_TTL, data: { preference: 10, exchange: hostname } });
    records.push(addressRecord(hostname, host.address));
    if (host.description) records.push({ name: domain, type: 'TXT', ttl: ZONE_TTL, data: host.description });
    if (host.mtaSts) records.push(...mtaStsRecords(domain, host.mtaSts, options.mailbox?.domain ?? null));
    if (host.revocation) records.push(addressRecord(host.revocation.crlHost.toLowerCase(), host.revocation.crlAddress));
    if (host.tlsa) {
      records.push(...tlsaRecords(host.tlsa));
      if (host.tlsa.dnssec === 'insecure') {
        // A delegation to the same server, without DS: the child is unsigned (RFC 4035 §2.4, §4.3).
        records.push({ name: hostname, type: 'NS', ttl: ZONE_TTL, data: nameServer.hostname });
        insecure.push(hostname);
      }
    }
  }
  if (options.mailbox) records.push(permissiveSpf(options.mailbox.domain));
  records.push(...(options.extra ?? []));
  return { origin, nameServer, serial: Math.floor(Date.now() / 1000), records, ...(insecure.length ? { insecure } : {}) };
}

function tlsaRecords(tlsa: TlsaPublication): ZoneRecord[] {
  return tlsa.records.map((record) => ({
    name: record.name.toLowerCase(),
    type: 'TLSA' as const,
    ttl: ZONE_TTL,
    data: { usage: record.usage, selector: record.selector, matchingType: record.matchingType, certificate: Buffer.from(record.data, 'hex') },
    ...(tlsa.dnssec === 'bogus' ? { brokenSignature: true } : {}),
  }));
}

/** The apex of the unsigned child zone that holds `name`, if any. */
export function insecureApex(zone: Pick<Zone, 'insecure'>, name: string): string | null {
  return zone.insecure?.find((apex) => inZone(name, apex)) ?? null;
}

function mtaStsRecords(domain: string, sts: NonNullable<ZoneHost['mtaSts']>, mailboxDomain: string | null): ZoneRecord[] {
  const records: ZoneRecord[] = [
    { name: stsRecordName(domain), type: 'TXT', ttl: ZONE_TTL, data: stsRecord(sts.id) },
    addressRecord(sts.policyHost.toLowerCase(), sts.policyAddress),
  ];
  // Reports need somewhere to go: the probes' mailbox, and the policy host where it serves.
  if (mailboxDomain || sts.reportsByHttps) {
    const data = tlsRptRecord({ mailboxDomain, httpsHost: sts.reportsByHttps ? sts.policyHost : null });
    records.push({ name: tlsRptName(domain), type: 'TXT', ttl: ZONE_TTL, data });
  }
  return records;
}

function addressRecord(name: string, address: string): ZoneRecord {
  if (isIPv4(address)) return { name, type: 'A', ttl: ZONE_TTL, data: address };
  if (isIPv6(address)) return { name, type: 'AAAA', ttl: ZONE_TTL, data: address };
  throw new Error(`"${address}" is not an IP address (for ${name})`);
}

export function inZone(name: string, origin: string): boolean {
  const n = name.toLowerCase().replace(/\.$/, '');
  return n === origin || n.endsWith(`.${origin}`);
}

/**
 * SPF that passes any sending host (RFC 7208 §5.1: "all" with the "+" qualifier), for the
 * probes' own domain: relays submit probes from wherever they run, and a sender-domain or
 * SPF check must not be why a probe is refused. SPF ignores TXT records that do not start
 * with "v=spf1" (RFC 7208 §4.5), so a descriptive TXT may stand beside it.
 */
export function permissiveSpf(domain: string): ZoneRecord {
  return { name: domain.toLowerCase(), type: 'TXT', ttl: ZONE_TTL, data: 'v=spf1 +all' };
}
