import { createHash, createPrivateKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as dnsPacket from 'dns-packet';
import { BadmxError } from '../errors.js';
import { writeAtomic } from '../files/write-atomic.js';

/**
 * DNSSEC for the harness zone (RFC 4033-4035), the signing side: one key per zone, ECDSA
 * P-256 with SHA-256 (algorithm 13, RFC 6605: small keys and signatures, which every
 * validating resolver implements), used as a combined signing key (flags 257: the DS at the
 * parent names it, and it signs every RRset). Keys are made once and kept beside the test PKI,
 * like it: a resolver configured with the trust anchor yesterday still trusts the zone today.
 */

export const DNSSEC_ALGORITHM = 13;
/** DNSKEY flags: Zone Key (bit 7) and Secure Entry Point (bit 15), RFC 4034 §2.1.1. */
export const KEY_FLAGS = 257;
/** DS digest type 2: SHA-256 (RFC 4509). */
export const DIGEST_SHA256 = 2;

export interface ZoneKey {
  zone: string;
  privateKey: KeyObject;
  /** The public key as DNSKEY carries it for algorithm 13: the point's x and y, 32 octets each (RFC 6605 §4). */
  publicKey: Buffer;
  keyTag: number;
}

/** The zone's key from `<dir>/dnssec/<zone>.pem`, made (0600, in a 0700 directory) when there is none. */
export function ensureZoneKey(dir: string, zone: string): ZoneKey {
  const origin = zone.toLowerCase().replace(/\.$/, '');
  const keysDir = join(dir, 'dnssec');
  const file = join(keysDir, `${origin}.pem`);
  if (!existsSync(file)) {
    mkdirSync(keysDir, { recursive: true, mode: 0o700 });
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeAtomic(file, privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), 0o600);
    chmodSync(file, 0o600);
  }
  try {
    return zoneKey(origin, readFileSync(file, 'utf8'));
  } catch (error) {
    throw new BadmxError(`the DNSSEC key ${file} cannot be read: ${(error as Error).message} (delete it to make a new one)`, 'EINPUT', { cause: error });
  }
}

/** A zone key from its PKCS #8 PEM private key (P-256). */
export function zoneKey(zone: string, pem: string): ZoneKey {
  const privateKey = createPrivateKey(pem);
  const jwk = privateKey.export({ format: 'jwk' });
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || !jwk.x || !jwk.y) throw new Error('not a P-256 key');
  const publicKey = Buffer.concat([Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')]);
  return { zone: zone.toLowerCase().replace(/\.$/, ''), privateKey, publicKey, keyTag: keyTag(dnskeyRdata(publicKey)) };
}

/** The DNSKEY record of the zone's apex. */
export function dnskeyAnswer(key: ZoneKey, ttl: number): dnsPacket.Answer {
  return { name: key.zone, type: 'DNSKEY', ttl, class: 'IN', data: { flags: KEY_FLAGS, algorithm: DNSSEC_ALGORITHM, key: key.publicKey } };
}

/** The DS record the parent zone publishes for this key (RFC 4034 §5.1.4: digest of owner name and DNSKEY RDATA). */
export function dsData(key: ZoneKey): { keyTag: number; algorithm: number; digestType: number; digest: Buffer } {
  const digest = createHash('sha256').update(Buffer.concat([nameWire(key.zone), dnskeyRdata(key.publicKey)])).digest();
  return { keyTag: key.keyTag, algorithm: DNSSEC_ALGORITHM, digestType: DIGEST_SHA256, digest };
}

/** The DS record as a zone file writes it: `<zone>. IN DS <tag> 13 2 <HEX>`. */
export function dsPresentation(key: ZoneKey, ttl = 3600): string {
  const ds = dsData(key);
  return `${key.zone}.\t${ttl}\tIN\tDS\t${ds.keyTag} ${ds.algorithm} ${ds.digestType} ${ds.digest.toString('hex').toUpperCase()}`;
}

/** The DNSKEY as a trust anchor line (unbound's `trust-anchor:`, delv's `-a` file takes the DS). */
export function dnskeyPresentation(key: ZoneKey, ttl = 3600): string {
  return `${key.zone}.\t${ttl}\tIN\tDNSKEY\t${KEY_FLAGS} 3 ${DNSSEC_ALGORITHM} ${key.publicKey.toString('base64')}`;
}

export interface SignatureWindow {
  /** Seconds since the epoch. */
  inception: number;
  expiration: number;
}

/**
 * A window a validator accepts: from an hour ago (clocks differ) to 14 days ahead, so that a
 * run, or a public zone re-signed at each start, never serves an expired signature.
 */
export function signatureWindow(now: Date = new Date()): SignatureWindow {
  const seconds = Math.floor(now.getTime() / 1000);
  return { inception: seconds - 3600, expiration: seconds + 14 * 86_400 };
}

/**
 * The RRSIG over one RRset (RFC 4034 §3.1.8.1): the RRSIG RDATA without its signature, then
 * every RR in canonical form (owner lower-cased and uncompressed, the original TTL) in
 * canonical order of RDATA (§6.3), signed with ECDSA P-256/SHA-256 as r || s (RFC 6605 §4).
 */
export function signRRset(rrset: readonly dnsPacket.Answer[], key: ZoneKey, window: SignatureWindow): dnsPacket.Answer {
  const first = rrset[0];
  if (!first) throw new Error('an empty RRset has no signature');
  const owner = first.name.toLowerCase().replace(/\.$/, '');
  const ttl = (first as { ttl?: number }).ttl ?? 0;
  const rrsig = {
    typeCovered: first.type,
    algorithm: DNSSEC_ALGORITHM,
    labels: owner === '' ? 0 : owner.split('.').filter((l) => l !== '*').length,
    originalTTL: ttl,
    expiration: window.expiration,
    inception: window.inception,
    keyTag: key.keyTag,
    signersName: key.zone,
    signature: Buffer.alloc(0),
  };
  const prefix = rdataOf('RRSIG', rrsig);
  const header = Buffer.alloc(10);
  header.writeUInt16BE(typeCode(first.type), 0);
  header.writeUInt16BE(1, 2); // class IN
  header.writeUInt32BE(ttl, 4);
  const ownerWire = nameWire(owner);
  const rdatas = rrset.map((rr) => rdataOf(rr.type, (rr as { data: unknown }).data)).sort((a, b) => Buffer.compare(a, b));
  const records = rdatas.map((rdata) => {
    const length = Buffer.alloc(2);
    length.writeUInt16BE(rdata.length, 0);
    return Buffer.concat([ownerWire, header.subarray(0, 8), length, rdata]);
  });
  const signature = sign('sha256', Buffer.concat([prefix, ...records]), { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  return { name: owner, type: 'RRSIG', ttl, class: 'IN', data: { ...rrsig, signature } };
}

/**
 * RFC 4034 §6.1 canonical order of names: label by label from the root, each compared as
 * lower-cased octets, a name sorting before the names below it.
 */
export function compareCanonical(a: string, b: string): number {
  const la = labelsFromRoot(a);
  const lb = labelsFromRoot(b);
  for (let i = 0; i < Math.min(la.length, lb.length); i++) {
    const order = Buffer.compare(la[i] as Buffer, lb[i] as Buffer);
    if (order !== 0) return order;
  }
  return la.length - lb.length;
}

/**
 * The NSEC chain of a zone (RFC 4034 §4): one NSEC per owner name, naming the next owner in
 * canonical order (the last names the apex) and the types at its own name, RRSIG and NSEC
 * included; its TTL the SOA minimum (RFC 4035 §2.3).
 */
export function nsecChain(types: ReadonlyMap<string, readonly string[]>, ttl: number): dnsPacket.Answer[] {
  const names = [...types.keys()].map((n) => n.toLowerCase()).sort(compareCanonical);
  return names.map((name, i) => ({
    name,
    type: 'NSEC',
    ttl,
    class: 'IN',
    data: { nextDomain: names[(i + 1) % names.length] as string, rrtypes: [...new Set([...(types.get(name) ?? []), 'RRSIG', 'NSEC'])].sort((x, y) => typeCode(x) - typeCode(y)) },
  }));
}

/** RFC 4034 Appendix B: the key tag of a DNSKEY RDATA. */
export function keyTag(rdata: Buffer): number {
  let sum = 0;
  for (let i = 0; i < rdata.length; i++) sum += i & 1 ? (rdata[i] as number) : (rdata[i] as number) << 8;
  sum += (sum >> 16) & 0xffff;
  return sum & 0xffff;
}

function dnskeyRdata(publicKey: Buffer): Buffer {
  return rdataOf('DNSKEY', { flags: KEY_FLAGS, algorithm: DNSSEC_ALGORITHM, key: publicKey });
}

interface Codec {
  encode(data: unknown): Buffer;
}

/** A record's RDATA in wire form (dns-packet's codecs write a two-octet length first: dropped). */
export function rdataOf(type: string, data: unknown): Buffer {
  const codec = (dnsPacket as unknown as Record<string, Codec | undefined>)[type.toLowerCase()];
  if (!codec) throw new Error(`no codec for ${type}`);
  const prepared = type === 'TXT' && typeof data === 'string' ? [data] : data;
  return codec.encode(prepared).subarray(2);
}

/** A name in wire form, lower-cased, uncompressed (RFC 4034 §6.2). */
export function nameWire(name: string): Buffer {
  return (dnsPacket as unknown as { name: Codec }).name.encode(name.toLowerCase().replace(/\.$/, ''));
}

function labelsFromRoot(name: string): Buffer[] {
  const clean = name.toLowerCase().replace(/\.$/, '');
  return clean === '' ? [] : clean.split('.').reverse().map((label) => Buffer.from(label, 'utf8'));
}

const TYPE_CODES: Record<string, number> = { A: 1, NS: 2, SOA: 6, MX: 15, TXT: 16, AAAA: 28, DS: 43, RRSIG: 46, NSEC: 47, DNSKEY: 48, TLSA: 52 };

function typeCode(type: string): number {
  const code = TYPE_CODES[type];
  if (code === undefined) throw new Error(`no type code for ${type}`);
  return code;
}
