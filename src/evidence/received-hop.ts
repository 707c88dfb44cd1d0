/** A TLS protocol version as a Received field states it, normalised (TLS1_2, TLS 1.2, TLSv1.2 → TLSv1.2). */
export type HopTlsVersion = 'SSLv3' | 'TLSv1.0' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

/**
 * One Received field (RFC 5321 §4.4, RFC 5322 §3.6.7), read into what it claims about one
 * hop. Every value is what the field *says*, as its writer put it: a Received field is
 * written by the receiving MTA and only the topmost one (our own) is trustworthy.
 * Part of run.json (`cells[].hops`): change only by adding fields.
 */
export interface ReceivedHop {
  /** The field value, unfolded (CRLF+WSP -> single space), without "Received:". */
  raw: string;
  from: { helo: string | null; rdns: string | null; address: string | null };
  by: { host: string | null; software: string | null };
  /** Protocol keyword as written, e.g. ESMTPS, ESMTPSA, SMTP, LMTP, UTF8SMTPS. */
  with: string | null;
  id: string | null;
  for: string | null;
  /** ISO 8601 UTC when the date parses, else null. */
  date: string | null;
  tls: { tls: boolean | 'unknown'; version: HopTlsVersion | null; cipher: string | null; bits: number | null; verify: string | null };
}
