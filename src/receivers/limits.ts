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
  /**
   * Time a client has to send one complete command line, counted from the reply to its
   * previous one (from the connection's start for the first): Postfix's smtpd_timeout with
   * smtpd_per_record_deadline, a deadline for the whole line rather than for the gap
   * between bytes, which any byte would reset (a client sending one byte a minute would
   * hold its connection for ever). After STARTTLS the handshake runs on the same clock.
   * Time the receiver itself takes to answer is not counted. 5 minutes: RFC 5321
   * §4.5.3.2.7 says a server SHOULD wait at least that long for the next command, and it
   * is Postfix's default. Past it: `timeout`, 421 4.4.2, close.
   */
  commandTimeoutMs: number;
  /**
   * Time from the 354 to the final "." of a message, whatever arrives meanwhile (the
   * command deadline does not apply inside DATA). RFC 5321 §4.5.3.2 sets only client-side
   * minimums here (3 minutes per block sent, 10 for the reply to the final dot) and no
   * bound on the whole transfer; 10 minutes lets a message at the size limit (10 MiB)
   * through at about 140 kbit/s, while a probe is a few KB. Past it: `timeout`, 421 4.4.2,
   * `data-aborted`, close; nothing is stored.
   */
  dataTimeoutMs: number;
  /**
   * Total lifetime of a session: whatever it does, it ends then (421 4.4.2). 15 minutes:
   * one message phase at the DATA limit plus a command deadline for everything else; a
   * sender delivering a probe needs seconds. It bounds how long a session inside a mail
   * transaction (which is never shed, below) can hold a place.
   */
  sessionTimeoutMs: number;
  /**
   * Connections open at once, per profile. When one more arrives, the session that has
   * gone longest without completing a command line, among those that have not begun a
   * mail transaction (no MAIL FROM yet; ones that never completed a line first), is
   * answered 421 4.7.0 and closed (`shed`) to make room, so idle or slow connections, from
   * however many addresses, cannot lock a sender out. Only when every session is inside a
   * mail transaction does the newcomer get the 421 instead. A peer whose session was shed
   * in the last minute may only take the place of its own sessions (or gets the 421), so
   * clients that come straight back cannot shed everyone else in turn.
   */
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
  /**
   * Routine events (`command`, `reply`) one connection writes one by one; past that they
   * are counted in `suppressed` events (every minute, and before `close`). 500: a delivery
   * to the most recipients allowed (100) is about 215 of them, so a real sender never
   * reaches it; a client pipelining 200,000 NOOPs writes about 67 KB instead of 54 MB.
   */
  maxRoutineEventsPerSession: number;
  /**
   * Routine events one peer address (IPv6: its /64) writes one by one across all its
   * connections to the fleet, per hour (a token bucket); loopback is exempt with
   * exemptLoopbackPeers, like the per-peer connection limits (the harness's own senders all
   * come from 127.0.0.1). 10,000: a sender delivering to every profile, retries included,
   * writes hundreds to a few thousand; a peer spreading a flood over short connections
   * writes a few MB an hour at most.
   */
  maxRoutineEventsPerPeerPerHour: number;
  /**
   * Size cap of the event log file, in bytes: on reaching it one `log-full` event is
   * written and from then on only evidence (connect, helo, starttls, tls, tls-failed,
   * mail-from, rcpt-to, data, close, ...). 1 GiB: some 200,000 ordinary sessions (a few
   * KB each) or 16,000 that reach their event budget; `badmx run` still reads a log that
   * size back whole (in blocks: about 30 s and 1.5 GB of memory at worst).
   */
  maxEventLogBytes: number;
  /**
   * All stored messages together (messages/): past it, messages are still received, answered
   * and recorded, but not kept, and one `store-full` event says so. With the event log's cap,
   * this bounds how much a run directory can grow, whatever is sent to it.
   */
  maxStoredMessageBytes: number;
  /**
   * A full profile sheds a session to make room (receiver.ts), never one younger than this:
   * a sender that just connected has not had the chance to speak (the greeting alone waits
   * 100 ms), and shedding the newest would push out exactly the sender under test.
   */
  shedGraceMs: number;
  /**
   * How many events of one kind of repeatable evidence (`helo`, `starttls`, `mail-from`,
   * `rcpt-to`) one session writes; past it they are counted in its `suppressed` summary. A real
   * sender greets twice, asks for STARTTLS once and names a few recipients; a client looping
   * EHLO or RSET/MAIL/RCPT would otherwise write evidence without end (each delivered
   * message's `data` event still lists all its recipients).
   */
  maxRepeatedEvidencePerSession: number;
  /**
   * A session inside a mail transaction (MAIL FROM given, no DATA under way) silent this long
   * may be shed like an idle one: a real sender between RCPT and DATA answers in milliseconds.
   */
  transactionIdleShedMs: number;
}

export const DEFAULT_LIMITS: Readonly<ReceiverLimits> = Object.freeze({
  maxMessageBytes: 10 * 1024 * 1024,
  maxRecipients: 100,
  maxCommandLineBytes: 2048,
  commandTimeoutMs: 5 * 60_000,
  dataTimeoutMs: 10 * 60_000,
  sessionTimeoutMs: 15 * 60_000,
  maxConnections: 32,
  maxConnectionsPerPeer: 5,
  maxNewConnectionsPerPeerPerMinute: 30,
  exemptLoopbackPeers: true,
  maxLoggedHeaderBytes: 64 * 1024,
  maxLoggedLineBytes: 512,
  maxRoutineEventsPerSession: 500,
  maxRoutineEventsPerPeerPerHour: 10_000,
  maxEventLogBytes: 1024 ** 3,
  maxStoredMessageBytes: 1024 ** 3,
  shedGraceMs: 5_000,
  maxRepeatedEvidencePerSession: 200,
  transactionIdleShedMs: 30_000,
});
