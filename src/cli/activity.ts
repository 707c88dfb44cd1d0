import type { ReceiverEvent } from '../recorder/events.js';

/**
 * One line for each event a person watching `badmx serve` cares about (what TLS was
 * negotiated or refused, what was delivered); null for the rest, which stay in the log.
 */
export function activityLine(event: ReceiverEvent): string | null {
  const head = `${event.time.slice(11, 19)} ${event.profile.padEnd(18)} ${event.conn.slice(0, 8)}`;
  switch (event.type) {
    case 'starttls':
      return event.reply === 220 ? null : `${head} STARTTLS answered ${event.reply}`;
    case 'tls':
      return `${head} TLS up: ${event.version} ${event.cipher}${event.sni ? ` (SNI ${event.sni})` : ' (no SNI)'}`;
    case 'tls-failed':
      return `${head} TLS failed (${event.origin}${event.alert ? `, ${event.alert}` : ''}): ${event.reason}`;
    case 'rcpt-to':
      return event.accepted ? null : `${head} RCPT <${event.address}> refused ${event.reply}`;
    case 'data':
      return `${head} ${event.accepted ? 'DELIVERED' : `REFUSED ${event.reply}`} ${event.messageId ?? '(no Message-ID)'} ${
        event.tls ? 'over TLS' : 'in PLAINTEXT'
      }, ${event.size} octets`;
    case 'peer-limit':
      return `${head} REFUSED 421: ${event.address} is over the per-peer limit (${event.max} ${event.limit === 'concurrent' ? 'at once' : 'per minute'})`;
    case 'data-aborted':
      return `${head} client vanished mid-DATA after ${event.bytes} octets`;
    case 'shed':
      return `${head} SHED 421: the profile was full (${event.max}); this session had begun no mail transaction`;
    case 'timeout':
      return `${head} TIMEOUT 421: the ${event.phase} deadline (${Math.round(event.limitMs / 1000)} s) passed`;
    case 'store-full':
      return `${head} MESSAGE STORE FULL (cap ${event.maxBytes} octets): messages are recorded but no longer kept`;
    case 'log-full':
      return `${head} EVENT LOG FULL at ${event.bytes} octets (cap ${event.maxBytes}): only evidence is written from now on`;
    case 'policy-fetch':
      return `${head} MTA-STS policy host: ${event.method} ${event.path} → ${event.status} over ${event.tlsVersion}${event.sni ? ` (SNI ${event.sni})` : ' (no SNI)'}${event.userAgent ? `, ${event.userAgent}` : ''}`;
    case 'policy-tls-failed':
      return `${head} MTA-STS policy host: handshake failed (${event.origin}${event.alert ? `, ${event.alert}` : ''}): ${event.reason}`;
    case 'tlsrpt-post':
      return `${head} TLS report POSTed: ${event.bytes} octets, ${event.contentType ?? 'no content type'} → ${event.status}`;
    case 'crl-fetch':
      return `${head} CRL host: ${event.method} ${event.path} → ${event.status}${event.bytes ? `, ${event.bytes} octets of CRL` : ''}${event.userAgent ? `, ${event.userAgent}` : ''}`;
    case 'ocsp-staple':
      return `${head} OCSP response stapled (certStatus ${event.certStatus}): a client asked for the certificate's status`;
    default:
      return null;
  }
}
