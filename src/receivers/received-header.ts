import type { TlsVersion } from '../recorder/events.js';

export interface ReceivedStamp {
  /** What the client said in EHLO/HELO, or null if it never did. */
  helo: string | null;
  /** Whether the client greeted with EHLO (ESMTP) rather than HELO. */
  esmtp: boolean;
  peerAddress: string;
  byHost: string;
  software: string;
  tls: { version: TlsVersion | 'unknown'; cipher: string; sni: string | null } | null;
  /** The client asked for SMTPUTF8 (RFC 6531 §3.7.3 gives it its own protocol keywords). */
  utf8: boolean;
  id: string;
  recipients: string[];
  date: Date;
}

/**
 * Build the Received header a receiver stamps on a message it accepts (RFC 5321 §4.4):
 *
 *   Received: from <helo> ([<ip>])
 *           by <mx hostname> (<software>)
 *           with ESMTPS (version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256 sni=<name>)
 *           id <id> for <rcpt>; <RFC 5322 date>
 *
 * The protocol keyword follows RFC 3848 (ESMTP, ESMTPS) and RFC 6531 (UTF8SMTP, UTF8SMTPS);
 * TLS facts go in a comment after it, in the `key=value` form Sendmail uses, which Received
 * parsers already read. Version and cipher come from the TLS socket, so the header records
 * what was negotiated, not what was configured.
 */
export function formatReceived(stamp: ReceivedStamp): string {
  const literal = stamp.peerAddress.includes(':') ? `[IPv6:${stamp.peerAddress}]` : `[${stamp.peerAddress}]`;
  const from = stamp.helo ? `from ${stamp.helo} (${literal})` : `from ${literal}`;
  const protocol = protocolKeyword(stamp);
  const tlsComment = stamp.tls
    ? ` (version=${stamp.tls.version} cipher=${stamp.tls.cipher} bits=${cipherBits(stamp.tls.cipher) ?? 'unknown'}${
        stamp.tls.sni ? ` sni=${stamp.tls.sni}` : ''
      })`
    : '';
  const recipients = stamp.recipients.length === 1 ? `\r\n\tfor <${stamp.recipients[0]}>` : '';
  return (
    `Received: ${from}\r\n\tby ${stamp.byHost} (${stamp.software})\r\n\twith ${protocol}${tlsComment}\r\n\tid ${stamp.id}` +
    `${recipients}; ${rfc5322Date(stamp.date)}\r\n`
  );
}

function protocolKeyword(stamp: ReceivedStamp): string {
  if (!stamp.esmtp) return 'SMTP';
  if (stamp.utf8) return stamp.tls ? 'UTF8SMTPS' : 'UTF8SMTP';
  return stamp.tls ? 'ESMTPS' : 'ESMTP';
}

/** Symmetric key bits of a cipher suite, from its name (OpenSSL or IANA form). */
export function cipherBits(cipher: string): number | null {
  const name = cipher.toUpperCase();
  if (/CHACHA20/.test(name)) return 256;
  const aes = /AES[_-]?(128|256)/.exec(name);
  if (aes?.[1]) return Number(aes[1]);
  if (/^AES-?SHA|^AES-?\d*-?SHA/.test(name)) return 128;
  if (/DES-CBC3|3DES/.test(name)) return 112;
  if (/CAMELLIA[_-]?(128|256)/.test(name)) return Number(/(128|256)/.exec(name)?.[1]);
  return null;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** RFC 5322 §3.3 date-time in UTC with a numeric zone ("GMT" is obsolete syntax). */
export function rfc5322Date(date: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${DAYS[date.getUTCDay()]}, ${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()} ${pad(
    date.getUTCHours(),
  )}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}
