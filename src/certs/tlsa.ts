import { createHash, X509Certificate } from 'node:crypto';

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

export function tlsaAssociation(certificatePem: string, selector: TlsaSelector, matchingType: TlsaMatchingType): Buffer {
  const certificate = new X509Certificate(certificatePem);
  const selected = selector === 0 ? certificate.raw : certificate.publicKey.export({ type: 'spki', format: 'der' });
  if (matchingType === 0) return Buffer.from(selected);
  return createHash(matchingType === 1 ? 'sha256' : 'sha512').update(selected).digest();
}
