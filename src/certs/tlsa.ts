import { createHash, X509Certificate } from 'node:crypto';
import { tlsaName } from '../profiles/naming.js';
import type { DaneSpec } from '../profiles/profile-schema.js';

/**
 * The certificate association data of a TLSA record (RFC 6698 §2.1): what a DANE profile
 * publishes for the certificate it serves, and what a DANE sender compares with what it is shown.
 *
 * - selector 0: the whole certificate (DER); 1: its SubjectPublicKeyInfo (DER), which survives a
 *   re-issue with the same key: RFC 7671 §5.1 recommends `3 1 1` (DANE-EE, SPKI, SHA-256) for SMTP.
 * - matching type 0: the selected data itself; 1: its SHA-256; 2: its SHA-512.
 */
export type TlsaSelector = 0 | 1;
export type TlsaMatchingType = 0 | 1 | 2;

export function tlsaAssociation(certificatePem: string | X509Certificate, selector: TlsaSelector, matchingType: TlsaMatchingType): Buffer {
  const certificate = typeof certificatePem === 'string' ? new X509Certificate(certificatePem) : certificatePem;
  const selected = selector === 0 ? certificate.raw : certificate.publicKey.export({ type: 'spki', format: 'der' });
  if (matchingType === 0) return Buffer.from(selected);
  return createHash(matchingType === 1 ? 'sha256' : 'sha512').update(selected).digest();
}

/** One TLSA record as a profile publishes it (RFC 6698 §2.1), the association data in hex. */
export interface TlsaRecordData {
  name: string;
  usage: number;
  selector: number;
  matchingType: number;
  data: string;
}

/** What a DANE profile publishes: its TLSA records and how a validating resolver finds them. */
export interface TlsaPublication {
  records: TlsaRecordData[];
  dnssec: DaneSpec['dnssec'];
  /** The leaf certificate the receiver presents (holds, for dane-no-starttls): what a sender is shown. */
  presented: { subject: string; issuer: string; spkiSha256: string; validTo: string } | null;
}

/**
 * `3 1 1` data that no certificate can match: the SHA-256 of a text, not of any public key
 * (finding a key whose SPKI hashes to it would be a SHA-256 preimage).
 */
export const NO_MATCH_DATA = createHash('sha256').update('badmx: this TLSA record names no key that any receiver holds').digest();

/**
 * The TLSA records of a DANE profile, from the certificates it serves (its chain, leaf first,
 * as the receiver sends it; for dane-no-starttls, the chain it holds without offering it):
 * `ee`: `3 1 1` of the leaf (RFC 7671 §5.1's recommended form); `ta`: `2 1 1` of the issuing
 * intermediate, the chain's second certificate (RFC 7672 §3.1.2); `no-match`: NO_MATCH_DATA.
 */
export function danePublication(dane: DaneSpec | null | undefined, hostname: string, chainPem: string | null): TlsaPublication | null {
  if (!dane) return null;
  const chain = splitPemCertificates(chainPem ?? '');
  const record = (usage: number, data: Buffer): TlsaRecordData => ({ name: tlsaName(hostname), usage, selector: 1, matchingType: 1, data: data.toString('hex') });
  const leaf = chain[0] ? new X509Certificate(chain[0]) : null;
  const presented = leaf
    ? { subject: leaf.subject.replace(/\n/g, ', '), issuer: leaf.issuer.replace(/\n/g, ', '), spkiSha256: tlsaAssociation(leaf, 1, 1).toString('hex'), validTo: new Date(leaf.validTo).toISOString() }
    : null;
  const certificate = (index: number): string => {
    const pem = chain[index];
    if (!pem) throw new Error(`the DANE record "${dane.tlsa}" of ${hostname} needs certificate ${index + 1} of the chain served, which has ${chain.length}`);
    return pem;
  };
  switch (dane.tlsa) {
    case 'ee':
      return { records: [record(3, tlsaAssociation(certificate(0), 1, 1))], dnssec: dane.dnssec, presented };
    case 'ta':
      return { records: [record(2, tlsaAssociation(certificate(1), 1, 1))], dnssec: dane.dnssec, presented };
    case 'no-match':
      return { records: [record(3, NO_MATCH_DATA)], dnssec: dane.dnssec, presented };
  }
}

/** The PEM certificates of a chain file, in order. */
export function splitPemCertificates(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
}
