import { crlHostname } from './naming.js';
import type { CertificateSpec } from './profile-schema.js';

/**
 * Where a revoked profile (`certificate.revoked`) says its leaf is revoked, as data: the CRL
 * distribution point its leaf names (RFC 5280 §4.2.1.13), the host serving it and where that
 * host resolves. Pure, so the certificate, the zone, the CRL server and `badmx zone` agree.
 *
 * The host is `crl.<domain>`, resolving to the profile's own address, where badmx serves the
 * CRL over plain HTTP on port 80 (receivers/crl-server.ts): RFC 5280 §4.2.1.13 names HTTP
 * URIs for CRLs, and a CRL is signed, so it needs no TLS (RFC 5280 §8). The path names the CA
 * whose CRL it is.
 */

/** The path the CRL is served at: the issuing intermediate's CRL (DER, RFC 5280 §5). */
export const CRL_PATH = '/intermediate.crl';

/** RFC 2585 §4.2: the media type of a DER CRL served over HTTP. */
export const CRL_MEDIA_TYPE = 'application/pkix-crl';

/** The port a `http://` distribution point without a port means (RFC 9110 §4.2.1). */
export const CRL_DEFAULT_PORT = 80;

export interface RevocationPublication {
  /** The URL in the leaf's CRL distribution points extension. */
  crlUrl: string;
  /** Its host, `crl.<domain>`. */
  crlHost: string;
  /** Where the harness zone resolves the host: the profile's own address. */
  crlAddress: string;
  /**
   * Whether the fleet's CRL host listened (false: port 80 could not be bound, a warning: the
   * receiver still staples). Set once the fleet has started; absent in runs before it was said.
   */
  served?: boolean;
}

/** The URL a revoked profile's leaf names (its names only: the same wherever the profile listens). */
export function crlUrl(domain: string): string {
  return `http://${crlHostname(domain)}${CRL_PATH}`;
}

/** A profile's revocation publication, or null for a profile whose certificate is not revoked. */
export function revocationPublication(
  certificate: Pick<CertificateSpec, 'revoked'> | undefined,
  names: { domain: string },
  address: string,
): RevocationPublication | null {
  if (certificate?.revoked !== true) return null;
  return { crlUrl: crlUrl(names.domain), crlHost: crlHostname(names.domain), crlAddress: address };
}
