/**
 * Bounds every receiver enforces, so that a misbehaving sender (or anything else that
 * connects) cannot exhaust the harness. Defaults follow RFC 5321 §4.5.3 where it sets a
 * floor and stay small otherwise: these are test receivers, not mailbox servers.
 */
export interface ReceiverLimits {
  /** Largest message accepted, in octets (advertised with SIZE, RFC 1870); larger ones get 552. */
  maxMessageBytes: number;
  /** Recipients per message; RFC 5321 §4.5.3.1.8 requires at least 100 to be accepted, more get 452. */
  maxRecipients: number;
  /**
   * Longest command line, in octets. RFC 5321 §4.5.3.1.4 sets 512 but lets extensions
   * (SIZE, SMTPUTF8, DSN parameters) lengthen it; Postfix's line_length_limit is 2048.
   */
  maxCommandLineBytes: number;
  /** A client idle this long is disconnected (RFC 5321 §4.5.3.2.7 suggests 5 minutes for a real server). */
  idleTimeoutMs: number;
  /** Connections open at once, per profile; one more gets 421. */
  maxConnections: number;
  /**
   * Connections open at once from one peer address, per profile; one more gets 421 and is
   * closed. A receiver on the internet meets scanners and spam bots; a sender under test
   * delivers one probe per profile and needs few (RFC 5321 §4.5.3.2 lets a server refuse
   * with 421 when it must shed load).
   */
  maxConnectionsPerPeer: number;
  /** New connections from one peer address per profile in any 60 seconds; one more gets 421. */
  maxNewConnectionsPerPeerPerMinute: number;
  /**
   * Loopback peers (127.0.0.0/8, ::1) are exempt from the per-peer limits: they are the
   * harness's own senders (built-in, managed Postfix/Exim, a local relay), never the open
   * internet the limits are for.
   */
  exemptLoopbackPeers: boolean;
  /** How much of a message's header section the event log keeps. */
  maxLoggedHeaderBytes: number;
  /** How much of a command line the event log keeps. */
  maxLoggedLineBytes: number;
}

export const DEFAULT_LIMITS: Readonly<ReceiverLimits> = Object.freeze({
  maxMessageBytes: 10 * 1024 * 1024,
  maxRecipients: 100,
  maxCommandLineBytes: 2048,
  idleTimeoutMs: 120_000,
  maxConnections: 32,
  maxConnectionsPerPeer: 5,
  maxNewConnectionsPerPeerPerMinute: 30,
  exemptLoopbackPeers: true,
  maxLoggedHeaderBytes: 64 * 1024,
  maxLoggedLineBytes: 512,
});
