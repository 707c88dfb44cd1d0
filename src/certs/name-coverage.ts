/**
 * Which host names a certificate covers, by the rules of RFC 6125 §6.4 as every sender
 * under test applies them (OpenSSL's X509_check_host, Go's crypto/x509, Java's
 * HostnameChecker agree on this subset):
 *
 * - Only DNS-IDs count: the subjectAltName dNSName entries. The subject CN is a reference
 *   identifier only when the certificate has no subjectAltName at all (§6.4.4; RFC 9525,
 *   which obsoletes RFC 6125, drops even that, so such a certificate is reported).
 * - Comparison is ASCII and case-insensitive (§6.4.1); a single trailing dot (the
 *   absolute form, RFC 1034 §3.1) is ignored on either side. No IDNA processing is done:
 *   internationalized names must already be A-labels (`xn--…`) on both sides, and an
 *   identifier holding anything but letters, digits, "-" and "." never matches.
 * - A wildcard is accepted only as the entire left-most label (`*.example.com`, §6.4.3
 *   and RFC 9525 §6.3), and matches exactly one label: `*.example.com` covers
 *   `a.example.com`, not `example.com` nor `a.b.example.com`. Partial wildcards
 *   (`f*.example.com`, `*x.example.com`), wildcards in other labels and wildcards over a
 *   single label (`*.com`, which no CA may issue: CA/Browser Forum BR §3.2.2.6) never match.
 *   Without a public suffix list, `*.co.uk` is not recognized as a suffix wildcard.
 */

const HOST = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** Lower case, one trailing dot dropped; null when it is not an ASCII host name. */
function canonical(name: string): string | null {
  const lowered = name.toLowerCase().replace(/\.$/, '');
  return HOST.test(lowered) ? lowered : null;
}

/** Whether a presented identifier (a DNS-ID, possibly `*.`-prefixed) is one badmx will match with. */
export function usableIdentifier(presented: string): boolean {
  if (presented.startsWith('*.')) {
    const rest = canonical(presented.slice(2));
    // At least two labels under the wildcard: never "*.com" nor "*.test".
    return rest !== null && rest.includes('.');
  }
  return canonical(presented) !== null;
}

/** Whether one presented identifier covers the host name (the reference identifier). */
export function identifierCovers(presented: string, host: string): boolean {
  const reference = canonical(host);
  if (reference === null || !usableIdentifier(presented)) return false;
  if (!presented.startsWith('*.')) return canonical(presented) === reference;
  const parent = canonical(presented.slice(2));
  const dot = reference.indexOf('.');
  // Exactly one label in place of the "*": what follows the first dot is the wildcard's parent.
  return dot > 0 && reference.slice(dot + 1) === parent;
}

/** Whether any of the presented identifiers covers the host name. */
export function namesCover(presented: readonly string[], host: string): boolean {
  return presented.some((name) => identifierCovers(name, host));
}
