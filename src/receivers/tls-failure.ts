import type { TlsFailureOrigin } from '../recorder/events.js';

export interface TlsFailure {
  origin: TlsFailureOrigin;
  alert: string | null;
  reason: string;
  code: string | null;
}

/**
 * OpenSSL reports an alert it received as "<protocol> alert <description>", e.g.
 * "tlsv1 alert unknown ca" or "sslv3 alert bad certificate" (the prefix is the protocol
 * that defined the alert, not the version in use). The descriptions are RFC 8446 §6's
 * alert names with spaces.
 */
const RECEIVED_ALERT = /\b(?:sslv3|tlsv1|tlsv13|ssl\/tls) alert ([a-z0-9 ]+?)(?:\s*\(|$|:|\s*,)/i;
/** Node's error code for a received alert: ERR_SSL_TLSV1_ALERT_UNKNOWN_CA, and since OpenSSL 3.2 ERR_SSL_SSL/TLS_ALERT_BAD_CERTIFICATE. */
const ALERT_CODE = /^ERR_SSL_.*_ALERT_([A-Z0-9_]+)$/;

/**
 * Failures our own TLS stack detects in what the client sent, and the alert OpenSSL
 * sends back for each (ssl/statem, ssl/record): the client never got that far, so it is
 * the server that ends the handshake.
 */
const SERVER_REASONS: [RegExp, string | null][] = [
  [/unsupported protocol|unknown protocol|version too low|wrong ssl version/i, 'protocol_version'],
  [/no shared cipher|no cipher match|no shared signature|no suitable signature|no shared group/i, 'handshake_failure'],
  [/inappropriate fallback/i, 'inappropriate_fallback'],
  [/wrong version number|http request|https proxy request|packet length too long|record length mismatch|unexpected message|bad packet length|record layer failure/i, null],
];

/** Turn whatever ended a server-side handshake into a recorded failure. */
export function describeTlsFailure(
  error: (Error & { code?: string; reason?: string; meta?: { message?: string; tlsProtocol?: string | null } }) | null,
): TlsFailure {
  if (!error) {
    return { origin: 'none', alert: null, reason: 'the client closed the connection during the handshake, without an alert', code: null };
  }
  const code = typeof error.code === 'string' ? error.code : null;
  // smtp-server replaces some OpenSSL messages with a generic one and keeps the original in meta.message
  const detail = [error.reason, error.meta?.message, error.message].filter((s): s is string => typeof s === 'string' && s !== '').join(' | ');

  if (code === 'ECONNRESET' || code === 'EPIPE' || /socket closed|disconnected/i.test(detail)) {
    return { origin: 'none', alert: null, reason: 'the client closed the connection during the handshake, without an alert', code };
  }
  const alertName = (code ? ALERT_CODE.exec(code)?.[1] : undefined) ?? RECEIVED_ALERT.exec(detail)?.[1];
  if (alertName) {
    const alert = alertName.trim().toLowerCase().replace(/[\s_]+/g, '_');
    return { origin: 'client', alert, reason: `the client sent a fatal alert: ${alert}`, code };
  }
  // After the receiver chose an older version in its ServerHello, a client that refuses it answers with a
  // protocol_version alert in a record of its own version, which OpenSSL's record layer reports as
  // "wrong version number" before it reads the alert. Before negotiation the socket reports the
  // library's highest version (TLSv1.3), so a lower one means the ServerHello was sent.
  const negotiated = error.meta?.tlsProtocol;
  if (/wrong version number/i.test(detail) && negotiated && /^TLSv1(\.[012])?$/.test(negotiated)) {
    const version = negotiated === 'TLSv1' ? 'TLSv1.0' : negotiated;
    return {
      origin: 'client',
      alert: 'protocol_version',
      reason: `the client refused the ${version} the receiver chose (its alert came in a record of another version)`,
      code,
    };
  }
  for (const [pattern, alert] of SERVER_REASONS) {
    const match = pattern.exec(detail);
    if (match) {
      const what = opensslReason(error) ?? match[0].toLowerCase();
      return {
        origin: 'server',
        alert,
        reason: alert ? `the receiver refused the ClientHello (${what}) and sent ${alert}` : `not a TLS handshake (${what})`,
        code,
      };
    }
  }
  return { origin: 'server', alert: null, reason: opensslReason(error) ?? (detail || 'TLS handshake failed'), code };
}

function opensslReason(error: { reason?: string; meta?: { message?: string }; message: string }): string | null {
  if (typeof error.reason === 'string' && error.reason !== '') return error.reason;
  const text = error.meta?.message ?? error.message;
  // "error:0A00010B:SSL routines::wrong version number" -> "wrong version number"
  const match = /routines:[^:]*:([^:]+)$/.exec(text.trim());
  return match?.[1] ?? null;
}

/**
 * A fatal TLS alert record (RFC 8446 §5.1 / §6): content type 21, the record version,
 * length 2, level 2 (fatal), then the description.
 */
export function fatalAlertRecord(description: number, recordVersion: [number, number] = [0x03, 0x01]): Buffer {
  return Buffer.from([0x15, recordVersion[0], recordVersion[1], 0x00, 0x02, 0x02, description]);
}

export const ALERT_HANDSHAKE_FAILURE = 40;
