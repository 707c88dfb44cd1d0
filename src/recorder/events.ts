/**
 * What a receiver saw, one fact per event. Every later stage (outcomes, verdicts,
 * reports) is derived from these, so an event states what happened on the wire and
 * never an interpretation of it.
 *
 * Events of one connection share `conn`; `seq` orders all events of one log, so that
 * two events in the same millisecond still have an order.
 *
 * Types are only ever added, never changed or removed, and readers ignore types they do
 * not know: a log written by a newer badmx reads with an older one.
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

/**
 * The sender's ClientHello as the receiver read it, before its own TLS stack did: the TLS
 * records (RFC 8446 §5.1) that carried the handshake message, byte for byte. What the sender
 * offers (versions, suites, groups, SNI, ALPN, its JA3/JA4 fingerprint) is read from these
 * bytes at judging time (evidence/client-hello.ts), so the recorded fact is the wire's.
 */
export interface ClientHelloEvent extends EventBase {
  type: 'client-hello';
  /** The records, hex; at most limits' 64 KiB. */
  hex: string;
  /** False when the client sent something that is not a ClientHello (`hex` then holds its first octets). */
  complete: boolean;
}

/**
 * The starttls-injection profile (EAST B_1): the receiver sent forged EHLO lines in the same
 * segment as its 220 to STARTTLS, then withheld its reply to the sender's first greeting
 * inside TLS for `silentMs`. `lines` is what the sender sent meanwhile: a command there means
 * it took the injected plaintext as its TLS session's reply.
 */
export interface InjectionCheckEvent extends EventBase {
  type: 'injection-check';
  /** The greeting inside TLS whose reply was withheld, or null when the first command inside TLS was not a greeting (it is then `lines[0]`). */
  withheld: 'EHLO' | 'HELO' | null;
  silentMs: number;
  /** Command lines received while the reply was withheld (at most 5, printable). */
  lines: string[];
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

/**
 * The profile was full (limits.maxConnections) when another connection arrived, and this
 * session, one that had not begun a mail transaction, was the one that had waited longest
 * without completing a command: it got `421 4.7.0` and was closed to make room, so that
 * idle or slow connections cannot lock senders out. Its `reply` and `close` follow.
 */
export interface ShedEvent extends EventBase {
  type: 'shed';
  reason: 'profile-full';
  /** The connection it made room for. */
  newcomer: string;
  /** Connections allowed open at once on the profile. */
  max: number;
  /** How long the session had been open. */
  ageMs: number;
  /** How long since it last completed a command line (or connected, if it never did). */
  idleMs: number;
}

/**
 * A deadline passed and the receiver ended the session (421 4.4.2, or a bare close in the
 * middle of a TLS handshake): `command`, the client did not complete a command line (or the
 * TLS handshake and the next line) in time; `data`, the message was not complete in time
 * after the 354; `session`, the session reached its total lifetime.
 */
export interface TimeoutEvent extends EventBase {
  type: 'timeout';
  phase: 'command' | 'data' | 'session';
  /** The limit that passed, in milliseconds. */
  limitMs: number;
}

/**
 * Routine events (`command`, `reply`) of this connection that were counted instead of
 * written, because the connection went past its event budget (`session`) or its peer
 * address past the per-peer one (`peer`). Counts are totals since the budget was reached;
 * one is written every minute while it lasts, and the last, `final`, just before `close`.
 */
export interface SuppressedEvent extends EventBase {
  type: 'suppressed';
  reason: 'session' | 'peer';
  commands: number;
  replies: number;
  /** Commands by verb (at most 16 verbs; the rest counted under `*`). */
  verbs: Record<string, number>;
  /** Replies by code (at most 16 codes; the rest counted under `*`). */
  codes: Record<string, number>;
  final: boolean;
}

/**
 * The log reached its size cap (limits.maxEventLogBytes): from here on only evidence
 * (EVIDENCE_EVENT_TYPES) is written. `profile` and `conn` are empty.
 */
export interface LogFullEvent extends EventBase {
  type: 'log-full';
  /** The cap, in bytes. */
  maxBytes: number;
  /** The log's size when the cap was reached. */
  bytes: number;
}

/**
 * The message store reached its cap (limits.maxStoredMessageBytes): messages are still
 * received and recorded (`data`, with `file: null`) but no longer kept. `profile` and `conn`
 * are empty.
 */
export interface StoreFullEvent extends EventBase {
  type: 'store-full';
  maxBytes: number;
}

/** A profile started listening; `conn` is empty. */
export interface ListeningEvent extends EventBase {
  type: 'listening';
  hostname: string;
  address: string;
  port: number;
}

/**
 * What a profile's MTA-STS policy host (receivers/policy-server.ts) saw. These events have an
 * empty `conn`: they are not SMTP connections (the classifier folds only events with one),
 * and `request` numbers the HTTPS connection instead. `profile` is the profile whose policy
 * host the client asked for (its SNI), or whose address it reached when it sent none.
 */
interface PolicyEventBase extends EventBase {
  /** The HTTPS connection: `https-<n>`, unique within the log. */
  request: string;
  peer: { address: string; port: number };
  /** The SNI server name the client sent (RFC 6066 §3), or null: RFC 8461 §3.3 expects the policy host's name. */
  sni: string | null;
}

/** A policy host listening on an address (`conn` and `request` empty). */
export interface PolicyListeningEvent extends EventBase {
  type: 'policy-listening';
  address: string;
  port: number;
  /** The policy hosts it serves there. */
  hosts: string[];
}

/** An HTTP request answered by a policy host: a policy fetch (RFC 8461 §3.3), a TLS-RPT POST, or anything else. */
export interface PolicyFetchEvent extends PolicyEventBase {
  type: 'policy-fetch';
  tlsVersion: TlsVersion | 'unknown';
  method: string;
  /** The request target, truncated and with control characters escaped. */
  path: string;
  /** The Host header, or null. */
  host: string | null;
  status: number;
  userAgent: string | null;
}

/** A handshake with a policy host that did not complete (a sender rejecting an untrusted certificate sends an alert here). */
export interface PolicyTlsFailedEvent extends PolicyEventBase {
  type: 'policy-tls-failed';
  origin: TlsFailureOrigin;
  alert: string | null;
  reason: string;
}

/** A TLS-RPT report POSTed to a policy host (RFC 8460 §5.4): stored, not yet read. */
export interface TlsRptPostEvent extends PolicyEventBase {
  type: 'tlsrpt-post';
  contentType: string | null;
  bytes: number;
  /** Where the body was stored, relative to the run directory; null when it was refused (too large, no room). */
  file: string | null;
  status: number;
  userAgent: string | null;
}

/**
 * What the CRL host of a revoked profile (receivers/crl-server.ts) saw: plain HTTP, so no SNI
 * and no TLS; `conn` is empty and `request` numbers the HTTP connection (`http-<n>`), as for
 * the policy hosts. `profile` is the profile whose CRL host was asked (by the Host header,
 * else the only one at that address).
 */
export interface CrlListeningEvent extends EventBase {
  type: 'crl-listening';
  address: string;
  port: number;
  /** The CRL hosts it serves there. */
  hosts: string[];
}

/** An HTTP request answered by a CRL host: a fetch of the CRL (RFC 5280 §4.2.1.13) or anything else. */
export interface CrlFetchEvent extends EventBase {
  type: 'crl-fetch';
  request: string;
  peer: { address: string; port: number };
  method: string;
  /** The request target, truncated and with control characters escaped. */
  path: string;
  host: string | null;
  status: number;
  /** Octets of CRL sent (0 for anything but the CRL). */
  bytes: number;
  userAgent: string | null;
}

/**
 * A client's ClientHello asked the receiver for its certificate's status (status_request,
 * RFC 6066 §8), and the receiver stapled its OCSP response (RFC 6960) to the handshake. Node
 * asks for the response without saying which connection it is for, so `conn` is empty: the
 * event says a client of this profile asked at this time.
 */
export interface OcspStapleEvent extends EventBase {
  type: 'ocsp-staple';
  /** The certStatus the stapled response states. */
  certStatus: 'revoked';
  bytes: number;
}

/**
 * A TLSA query the harness DNS answered (RFC 7672 §2.2.3: `_25._tcp.<MX host>`): evidence that
 * a sender looked for a DANE profile's records. `profile` is the profile whose MX host was asked
 * about; `conn` is empty; `peer` is the asking resolver's address.
 */
export interface DnsQueryEvent extends EventBase {
  type: 'dns-query';
  peer: string;
  name: string;
  qtype: string;
  rcode: string;
}

/** A sender's own validating resolver (senders/mta/sender-resolver.ts) and the address it asks from; `profile` and `conn` empty. */
export interface SenderResolverEvent extends EventBase {
  type: 'sender-resolver';
  sender: string;
  address: string;
}

export type ReceiverEvent =
  | DnsQueryEvent
  | SenderResolverEvent
  | ListeningEvent
  | PolicyListeningEvent
  | PolicyFetchEvent
  | PolicyTlsFailedEvent
  | TlsRptPostEvent
  | CrlListeningEvent
  | CrlFetchEvent
  | OcspStapleEvent
  | ConnectEvent
  | CommandEvent
  | ReplyEvent
  | HeloEvent
  | StarttlsEvent
  | TlsEstablishedEvent
  | TlsFailedEvent
  | ClientHelloEvent
  | InjectionCheckEvent
  | MailFromEvent
  | RcptToEvent
  | DataEvent
  | DataAbortedEvent
  | ConnectionErrorEvent
  | PeerLimitEvent
  | ShedEvent
  | TimeoutEvent
  | SuppressedEvent
  | LogFullEvent
  | StoreFullEvent
  | CloseEvent;

export type EventType = ReceiverEvent['type'];

/**
 * Routine events: written one by one only within a connection's event budgets
 * (limits.maxRoutineEventsPerSession, maxRoutineEventsPerPeerPerHour); past them they are
 * counted in `suppressed` events instead.
 */
export const ROUTINE_EVENT_TYPES: ReadonlySet<string> = new Set<EventType>(['command', 'reply']);

/**
 * Evidence: never dropped by an event budget, and still written once the log is full.
 * What verdicts are made of (who connected, what TLS, what was sent and delivered), and
 * what explains why a connection ended or was refused.
 */
export const EVIDENCE_EVENT_TYPES: ReadonlySet<string> = new Set<EventType>([
  'dns-query',
  'sender-resolver',
  'listening',
  'policy-listening',
  'policy-fetch',
  'policy-tls-failed',
  'tlsrpt-post',
  'crl-listening',
  'crl-fetch',
  'ocsp-staple',
  'connect',
  'helo',
  'starttls',
  'tls',
  'tls-failed',
  'client-hello',
  'injection-check',
  'mail-from',
  'rcpt-to',
  'data',
  'data-aborted',
  'peer-limit',
  'shed',
  'timeout',
  'log-full',
  'store-full',
  'close',
]);

/** What a caller supplies; the log adds `seq` and `time`. */
export type EventInput = ReceiverEvent extends infer E
  ? E extends ReceiverEvent
    ? Omit<E, 'seq' | 'time'>
    : never
  : never;
