/**
 * Whether a sender's own words about a delivery (a bounce's status and diagnostic, a managed
 * MTA's final log line) say it refused because of TLS: then the refusal is its TLS policy at
 * work, evidence like a refusal the receiver saw. Anything else (an unknown sender domain, no
 * route, a DNS failure, a full queue) says the probe was never tested. A refused *submission*
 * is never read this way: its words are about the submission channel ("530 5.7.0 Must issue a
 * STARTTLS command first"), not about the receiver (judge-cell.ts).
 *
 * Enhanced status codes (RFC 3463 §3.8, and the IANA registry of RFC 5248): X.7.4 "Security
 * features not supported", X.7.5 "Cryptographic failure", X.7.10 "Encryption needed" (also
 * RFC 8689 REQUIRETLS). Not X.7.11, which is about AUTH on the submission channel (RFC 4954).
 * Words: what Postfix ("TLS is required, but was not offered by host …", "Server
 * certificate not trusted", "Server certificate not verified"), Exim ("TLS session
 * failure", "a TLS session is required, but the server did not offer TLS support"),
 * Sendmail ("STARTTLS: … failed", "TLS handshake") and providers ("TLS required",
 * "MTA-STS", "DANE") write.
 */
const TLS_STATUS = /^[45]\.7\.(?:4|5|10)$/;
// "handshake" alone would match Postfix's "while performing the EHLO handshake", and "TLSA" a DNS lookup failure.
const TLS_WORDS =
  /\b(?:start ?tls|tls|ssl|x\.?509|certificates?|encrypt(?:ion|ed)?|cipher|mta-sts|dane|requiretls|server certificate not (?:trusted|verified))\b/i;
const NOT_TLS = /\b(?:tlsa (?:lookup|record)s? (?:error|fail|defer)|ehlo handshake|helo handshake|authentication mechanism)/i;
/** Postfix: "TLSA lookup error for <host>:25"; Exim: "DANE error: tlsa lookup DEFER" (or FAIL). */
const TLSA_LOOKUP_FAILED = /\btlsa (?:lookup|record)s? (?:error|fail|defer)/i;

/**
 * `tlsaBogus`: the receiver's TLSA records fail DNSSEC validation on purpose (dane-bogus). A
 * TLSA lookup failure is then what the profile tests, and a sender that names it as why it did
 * not deliver is applying RFC 7672 §2.1.2: its DANE policy at work. Elsewhere it is a DNS failure.
 */
export function isTlsRefusal(words: { status?: string | null; text?: string | null }, context: { tlsaBogus?: boolean } = {}): boolean {
  if (words.status && TLS_STATUS.test(words.status.trim())) return true;
  const text = words.text ?? '';
  if (context.tlsaBogus && TLSA_LOOKUP_FAILED.test(text)) return true;
  const code = /\b([45]\.7\.\d{1,3})\b/.exec(text)?.[1];
  if (code && TLS_STATUS.test(code)) return true;
  return TLS_WORDS.test(text) && !NOT_TLS.test(text);
}
