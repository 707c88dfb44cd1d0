/**
 * What a receiver saw, one fact per event. Every later stage (outcomes, verdicts,
 * reports) is derived from these, so an event states what happened on the wire and
 * never an interpretation of it.
 *
 * Events of one connection share `conn`; `seq` orders all events of one log, so that
 * two events in the same millisecond still have an order.
 */

/** TLS protocol versions as badmx names them everywhere (Node says 'TLSv1' for 1.0). */
export type TlsVersion = 'SSLv3' | 'TLSv1.0' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

export interface EventBase {
  seq: number;
  /** ISO 8601 time, milliseconds. */
  time: string;
  profile: string;
  /** Connection id, unique within the log. */
  conn: string;
}

export interface ConnectEvent extends EventBase {
  type: 'connect';
  peer: { address: string; port: number };
  local: { address: string; port: number };
}

/** A command line as the client sent it (truncated, control characters escaped). */
export interface CommandEvent extends EventBase {
  type: 'command';
  verb: string;
  line: string;
  /** True when the line arrived in plaintext after STARTTLS and was discarded (RFC 3207 §4.2). */
  discarded?: boolean;
}

/** A reply line the receiver sent. */
export interface ReplyEvent extends EventBase {
  type: 'reply';
  code: number;
  text: string;
}

export interface HeloEvent extends EventBase {
  type: 'helo';
  verb: 'EHLO' | 'HELO';
  name: string;
}

/** The client asked for STARTTLS, and what the profile answered. */
export interface StarttlsEvent extends EventBase {
  type: 'starttls';
  reply: number;
}

export interface TlsEstablishedEvent extends EventBase {
  type: 'tls';
  /** Negotiated version, read from the socket ('unknown' only if the TLS stack would not say). */
  version: TlsVersion | 'unknown';
  cipher: string;
  /** IANA name of the cipher suite, when OpenSSL knows it. */
  standardCipher: string | null;
  /** SNI server name the client sent, or null when it sent none. */
  sni: string | null;
}

/**
 * Who ended a handshake that failed:
 * - `client`: the client sent a fatal alert (it rejected us: unknown_ca, bad_certificate, ...)
 * - `server`: our TLS stack refused the client (no shared version or cipher, garbage instead of a ClientHello)
 * - `profile`: the profile aborts every handshake on purpose (`abort-handshake`)
 * - `none`: the client closed the connection without an alert
 */
export type TlsFailureOrigin = 'client' | 'server' | 'profile' | 'none';

export interface TlsFailedEvent extends EventBase {
  type: 'tls-failed';
  origin: TlsFailureOrigin;
  /** TLS alert name as in RFC 8446 §6 (e.g. `unknown_ca`), or null when there was none. */
  alert: string | null;
  /** OpenSSL's reason, or a sentence saying what happened. */
  reason: string;
  code: string | null;
}

export interface MailFromEvent extends EventBase {
  type: 'mail-from';
  address: string;
  params: Record<string, string | boolean>;
}

export interface RcptToEvent extends EventBase {
  type: 'rcpt-to';
  address: string;
  accepted: boolean;
  /** The reply code given to it. */
  reply: number;
}

/** A message was received in full and accepted (`accepted`) or refused. */
export interface DataEvent extends EventBase {
  type: 'data';
  accepted: boolean;
  reply: number;
  messageId: string | null;
  mailFrom: string | null;
  rcptTo: string[];
  /** Size in octets as the client sent it, before our Received header. */
  size: number;
  /** The message's header section as received (truncated to a bound). */
  headers: string;
  /** The Received header this receiver stamped on the message (unfolded). */
  received: string | null;
  /** Stored copy of the message including our Received header, relative to the log's directory. */
  file: string | null;
  /** Whether the message travelled inside TLS. */
  tls: boolean;
}

/** The connection went away in the middle of a message. */
export interface DataAbortedEvent extends EventBase {
  type: 'data-aborted';
  bytes: number;
}

/** Something went wrong on one connection that is not a TLS handshake failure. */
export interface ConnectionErrorEvent extends EventBase {
  type: 'error';
  code: string | null;
  message: string;
}

export interface CloseEvent extends EventBase {
  type: 'close';
}

/**
 * A connection over a per-peer limit (too many open at once from that address, or too
 * many new ones within a minute): it got `421 4.7.0` and was closed without a session.
 * Its `connect`, `reply` and `close` are recorded as for any connection.
 */
export interface PeerLimitEvent extends EventBase {
  type: 'peer-limit';
  /** The peer address the limit applies to. */
  address: string;
  limit: 'concurrent' | 'per-minute';
  /** Refusals of the same peer since the last one recorded, answered 421 but not logged (one recorded per peer per minute). */
  suppressed?: number;
  /** The limit's value. */
  max: number;
}

/** A profile started listening; `conn` is empty. */
export interface ListeningEvent extends EventBase {
  type: 'listening';
  hostname: string;
  address: string;
  port: number;
}

export type ReceiverEvent =
  | ListeningEvent
  | ConnectEvent
  | CommandEvent
  | ReplyEvent
  | HeloEvent
  | StarttlsEvent
  | TlsEstablishedEvent
  | TlsFailedEvent
  | MailFromEvent
  | RcptToEvent
  | DataEvent
  | DataAbortedEvent
  | ConnectionErrorEvent
  | PeerLimitEvent
  | CloseEvent;

export type EventType = ReceiverEvent['type'];

/** What a caller supplies; the log adds `seq` and `time`. */
export type EventInput = ReceiverEvent extends infer E
  ? E extends ReceiverEvent
    ? Omit<E, 'seq' | 'time'>
    : never
  : never;
