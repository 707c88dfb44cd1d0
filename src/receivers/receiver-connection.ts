import type { Socket } from 'node:net';
import type { SMTPServerEnvelope } from 'smtp-server';
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';
import { clientHelloFraming, MAX_CLIENT_HELLO_INPUT } from '../evidence/client-hello.js';
import type { SessionEventBudget } from '../recorder/event-budget.js';
import type { EventInput } from '../recorder/events.js';
import { printable } from '../text/printable.js';
import type { ReceiverContext } from './receiver-context.js';
import { SessionDeadlines, type Expiry } from './session-deadlines.js';
import { ALERT_HANDSHAKE_FAILURE, describeTlsFailure, fatalAlertRecord } from './tls-failure.js';

/** An event of this connection, before the log adds profile, conn, seq and time. */
export type ConnectionEventInput = EventInput extends infer E
  ? E extends EventInput
    ? Omit<E, 'profile' | 'conn'>
    : never
  : never;

/** How long the abort-handshake profile waits for a ClientHello before it hangs up. */
const CLIENT_HELLO_WAIT_MS = 30_000;

/**
 * How long the starttls-injection profile withholds its reply to the first greeting inside TLS.
 * A sender that reads the injected lines as that reply acts on them at once (milliseconds); one
 * that waits for the real reply waits far longer than this (RFC 5321 §4.5.3.2: 5 minutes).
 */
export const INJECTION_SILENCE_MS = 3_000;

/** The `250` EHLO lines forged after the 220 to STARTTLS, as EAST B_1 forges them (its stls_response). */
function injectedEhloLines(hostname: string): string[] {
  return [`250-${hostname}`, '250 AUTH LOGIN'];
}

/**
 * One SMTP session on a receiver: smtp-server's connection, with the profile's STARTTLS
 * behaviour, a recording of everything that happens on the wire (within the session's
 * event budget), and the session's deadlines (limits.commandTimeoutMs, dataTimeoutMs,
 * sessionTimeoutMs).
 *
 * smtp-server has no hooks for commands, replies or a failed handshake, so this subclass
 * overrides the few methods where they pass (all part of its typed surface).
 */
export class ReceiverConnection extends SMTPConnection {
  /** The peer's address as the limits count it (an IPv4-mapped address as IPv4); set by begin(). */
  peer = '';
  /** The abort-handshake profile is waiting for a ClientHello (smtp-server's own handshakes set `_upgrading`). */
  #aborting = false;
  #abortTimer: NodeJS.Timeout | null = null;
  #tlsFailed = false;
  #closeRecorded = false;
  /** EHLO/HELO name waiting for its reply: only a greeting answered 250 is a greeting. */
  #pendingHelo: { verb: 'EHLO' | 'HELO'; name: string } | null = null;
  #budget: SessionEventBudget | null = null;
  /** How many of each kind of repeatable evidence this session has written. */
  readonly #repeated = new Map<string, number>();
  #deadlines: SessionDeadlines | null = null;
  /** starttls-injection: whether the first command inside TLS has been checked, the check's clock, and the lines read inside TLS. */
  #injectionChecked = false;
  /** EHLOs answered in plaintext so far (tampering.starttlsAdvertised). */
  #ehloCount = 0;
  #injectionTimer: NodeJS.Timeout | null = null;
  readonly #tlsLines: string[] = [];
  readonly #openedAt = Date.now();
  /** When the client last completed a command line (or connected), and whether it ever did: what shedding goes by. */
  #lastLineAt = this.#openedAt;
  #spoke = false;

  get context(): ReceiverContext {
    return (this._server as unknown as { context: ReceiverContext }).context;
  }

  /** Record an event of this connection; routine ones (command, reply) only within its event budget, past it they are counted. */
  record(input: ConnectionEventInput): void {
    if (input.type === 'helo' || input.type === 'starttls' || input.type === 'mail-from' || input.type === 'rcpt-to') {
      const seen = (this.#repeated.get(input.type) ?? 0) + 1;
      this.#repeated.set(input.type, seen);
      if (seen > this.context.limits.maxRepeatedEvidencePerSession) {
        this.#budget ??= this.context.sessionBudget(this.peer || this.remoteAddress);
        this.#budget.suppress({ type: 'command', verb: `${input.type} (repeated)` });
        const summary = this.#budget.due();
        if (summary) this.#append(summary);
        return;
      }
    }
    if (input.type === 'command' || input.type === 'reply') {
      this.#budget ??= this.context.sessionBudget(this.peer || this.remoteAddress);
      if (!this.#budget.admit(input.type === 'command' ? { type: 'command', verb: input.verb } : { type: 'reply', code: input.code })) {
        const summary = this.#budget.due();
        if (summary) this.#append(summary);
        return;
      }
    }
    this.#append(input);
  }

  #append(input: ConnectionEventInput): void {
    this.context.log.append({ ...input, profile: this.context.profile.name, conn: this.id });
  }

  /** The connection was accepted from `peer`: record it and start its clocks. */
  begin(socket: Socket, peer: string): void {
    this.peer = peer;
    this.record({
      type: 'connect',
      peer: { address: socket.remoteAddress ?? 'unknown', port: socket.remotePort ?? 0 },
      local: { address: socket.localAddress ?? 'unknown', port: socket.localPort ?? 0 },
    });
    this.#deadlines = new SessionDeadlines(this.context.limits, (expiry) => this.#expired(expiry));
  }

  /**
   * Whether this session may be shed to make room. Never: one that is ending, one in the middle
   * of a TLS handshake (a strict sender verifying a chain is not idle), one receiving a
   * message, or one younger than limits.shedGraceMs (a sender that just connected has not had the
   * chance to speak: the greeting alone takes 100 ms). Otherwise one that has not begun a mail
   * transaction, or one inside a transaction that has been silent for limits.transactionIdleShedMs (a
   * sender between RCPT and DATA answers in milliseconds; a holder that sent MAIL FROM and
   * then trickles a NOOP every few minutes must not keep its place forever).
   */
  sheddable(now = Date.now()): boolean {
    if (this._closing || this._closed || this.#handshaking || this._dataStream) return false;
    const limits = this.context.limits;
    if (now - this.#openedAt < limits.shedGraceMs) return false;
    const envelope = this.session.envelope as SMTPServerEnvelope | undefined;
    return !envelope?.mailFrom || now - this.#lastLineAt >= limits.transactionIdleShedMs;
  }

  /** Whether to shed this session before that one: one that never completed a command line first, then the one that has waited longest since its last. */
  shedsBefore(other: ReceiverConnection): boolean {
    if (this.#spoke !== other.#spoke) return !this.#spoke;
    return this.#lastLineAt < other.#lastLineAt;
  }

  /**
   * Close this session to make room for `newcomer` on a full profile: 421 with 4.7.0 (RFC
   * 3463 §3.8, a policy reason; RFC 5321 §3.8 lets a server close with 421 at any time).
   */
  shed(newcomer: string): void {
    const now = Date.now();
    const max = this.context.limits.maxConnections;
    this.record({ type: 'shed', reason: 'profile-full', newcomer, max, ageMs: now - this.#openedAt, idleMs: now - this.#lastLineAt });
    this.#end(
      `4.7.0 ${this.context.hostname} too many connections to this profile (at most ${max}); closing the session that waited longest without a command to make room, try again later`,
      { reason: 'the receiver closed the connection during the handshake to make room for another (the profile was full)', code: null },
      'own',
    );
  }

  #expired({ phase, limitMs }: Expiry): void {
    if (this._closing || this._closed) return;
    // The client is waiting for us (a handler, or a message being stored): its clock starts again once we answer.
    if (phase !== 'session' && (this._handlerPending || (this._dataStream && this._parser && !this._parser._dataMode))) {
      this.#deadlines?.expect(phase);
      return;
    }
    this.record({ type: 'timeout', phase, limitMs });
    const seconds = `${limitMs / 1000} s`;
    const what =
      phase === 'command'
        ? `no complete command line within ${seconds}`
        : phase === 'data'
          ? `the message was not complete within ${seconds} of the 354`
          : `a session lasts at most ${seconds}`;
    // 421 gets 4.4.2 (timeout) from smtp-server's table, as Postfix answers "421 4.4.2 <host> Error: timeout exceeded".
    this.#end(
      `${this.context.hostname} Error: timeout exceeded (${what})`,
      {
        reason:
          phase === 'session'
            ? `the session reached its lifetime (${seconds}) during the handshake; the receiver hung up`
            : `the TLS handshake was not complete within ${seconds}; the receiver hung up`,
        code: 'ETIMEDOUT',
      },
      'default',
    );
  }

  /**
   * End the session with a 421, or in the middle of a TLS handshake (where nothing can be
   * said in clear) by closing the connection, recording the handshake as failed, ended by the receiver.
   */
  #end(text: string, handshake: { reason: string; code: string | null }, enhanced: 'own' | 'default'): void {
    this.#deadlines?.stop();
    if (this.#handshaking) {
      this.#recordTlsFailure({ origin: 'server', alert: null, ...handshake });
      this._server.connections.delete(this);
      // The topmost socket is not ours yet during a STARTTLS handshake; destroying the one below tears the TLS one down with it.
      this._socket.destroy();
      return;
    }
    // send() closes the connection after a 421 (and takes it out of the profile's count at once).
    // 'own': the text starts with its enhanced code; 'default': smtp-server's for the reply code.
    this.send(421, text, enhanced === 'own' ? false : undefined);
  }

  get #handshaking(): boolean {
    return this._upgrading || this.#aborting;
  }

  override _onCommand(command: Buffer, callback?: () => void): void {
    if (!this.#handshaking) {
      this.#spoke = true;
      this.#lastLineAt = Date.now();
    }
    const limits = this.context.limits;
    const raw = command.toString('latin1');
    const verb = (/^\S{0,16}/.exec(raw)?.[0] ?? '').toUpperCase();
    this.record({ type: 'command', verb: printable(verb, 16), line: printable(redact(verb, raw), limits.maxLoggedLineBytes) });
    this.#pendingHelo = verb === 'EHLO' || verb === 'HELO' ? { verb, name: printable(raw.slice(4).trim(), limits.maxLoggedLineBytes) } : null;
    if (this.secure && this.context.profile.tampering?.injection && !this.#injectionChecked && verb !== 'EHLO' && verb !== 'HELO') {
      // The first command inside TLS is not a greeting: the sender went on with what it learnt in plaintext (RFC 3207 §4.2 says discard it).
      this.#injectionChecked = true;
      this.record({ type: 'injection-check', withheld: null, silentMs: 0, lines: [printable(redact(verb, raw), limits.maxLoggedLineBytes)] });
    }
    super._onCommand(command, callback);
  }

  override send(code: number, data?: string | string[] | null, context?: string | false): void {
    // smtp-server writes nothing while a handshake runs or once the socket is gone; record what was sent.
    if (!this._upgrading && !this._socket.destroyed && this._socket.readyState === 'open') {
      const lines = Array.isArray(data) ? data : [data ?? ''];
      this.record({ type: 'reply', code, text: lines.map((line) => printable(line, 1024)).join('\n') });
    }
    const helo = this.#pendingHelo;
    this.#pendingHelo = null;
    if (helo && code === 250) this.record({ type: 'helo', ...helo });
    super.send(code, data, context);
    // Each reply starts the client's clock for what it owes next: a whole message after 354, a command line otherwise.
    if (this._closing || this._closed) this.#deadlines?.stop();
    else this.#deadlines?.expect(code === 354 ? 'data' : 'command');
  }

  override handler_STARTTLS(command: Buffer, callback: () => void): void {
    const hasArguments = command.toString().trim().split(/\s+/).length > 1;
    if (this.secure || hasArguments) {
      // 503 (TLS already active) or 501 (STARTTLS takes no parameters, RFC 3207 §4): smtp-server's answers
      this.record({ type: 'starttls', reply: this.secure ? 503 : 501 });
      super.handler_STARTTLS(command, callback);
      return;
    }
    const tampering = this.context.profile.tampering;
    if (tampering?.injection) {
      this.#injectAfter220(callback);
      return;
    }
    if (tampering && !tampering.starttlsAdvertised) {
      this.#tamperWithStarttls(tampering, callback);
      return;
    }
    switch (this.context.profile.starttls) {
      case 'offer':
        this.record({ type: 'starttls', reply: 220 });
        super.handler_STARTTLS(command, callback);
        return;
      case 'absent':
        // Not advertised (hideSTARTTLS) and not implemented: RFC 5321 §4.2.4 answers 502.
        this.record({ type: 'starttls', reply: 502 });
        this.send(502, 'Error: command not implemented');
        callback();
        return;
      case 'refuse-454':
        // RFC 3207 §4: "454 TLS not available due to temporary reason"; the enhanced code is 4.7.0.
        this.record({ type: 'starttls', reply: 454 });
        this.send(454, 'TLS not available');
        callback();
        return;
      case 'abort-handshake':
        this.record({ type: 'starttls', reply: 220 });
        this.send(220, 'Ready to start TLS');
        this.#abortHandshake(callback);
        return;
    }
  }

  /**
   * The tampering suite's STARTTLS (profile-schema.ts `tampering`): what a man in the middle
   * answers instead of letting the transition happen. Every variant leaves the session in
   * plaintext, where the receiver goes on accepting mail (as RFC 3207 §4 lets a public MX), so
   * what the sender does next is recorded: a plaintext delivery is a downgrade.
   */
  #tamperWithStarttls(tampering: NonNullable<ReceiverContext['profile']['tampering']>, callback: () => void): void {
    if (tampering.ehlo === 'refused' || tampering.greeting !== undefined) {
      // EHLO was refused, or the forged greeting came with STARTTLS stripped: never offered, as a stripped extension, not implemented.
      this.record({ type: 'starttls', reply: 502 });
      this.send(502, 'Error: command not implemented');
      callback();
      return;
    }
    if (tampering.plaintextAfter220) {
      // 220, then plaintext where the ServerHello should be: the client's TLS stack reads an SMTP reply as a record.
      this.record({ type: 'starttls', reply: 220 });
      this.send(220, 'Ready to start TLS');
      this.send(250, 'TLS not started: carry on in plaintext');
      callback();
      return;
    }
    const code = tampering.starttlsReply ?? 454;
    this.record({ type: 'starttls', reply: code });
    switch (code) {
      case 220:
        // 220 without a transition: the ClientHello that follows is read as SMTP, as plaintext.
        this.send(220, 'Ready to start TLS');
        this.#answerClientHelloInPlaintext();
        break;
      case 221:
        this.send(221, 'Bye');
        this.close();
        break;
      case 421:
        this.send(421, 'Service not available, closing transmission channel');
        this.close();
        break;
      case 354:
        // A reply that belongs to DATA, not to STARTTLS: the session stays in plaintext, no message is read.
        this.send(354, 'Start mail input; end with <CRLF>.<CRLF>');
        break;
      case 500:
        this.send(500, 'Error: command not recognized');
        break;
      case 501:
        this.send(501, 'Error: syntax error');
        break;
      case 530:
        this.send(530, 'Authentication required');
        break;
    }
    callback();
  }

  override handler_EHLO(command: Buffer, callback: () => void): void {
    if (this.context.profile.tampering?.ehlo === 'refused') {
      // RFC 5321 §4.1.4: a client whose EHLO is refused falls back to HELO, which lists no extensions.
      this.send(500, 'Error: command not recognized');
      callback();
      return;
    }
    if (this.#withholdsGreetingReply()) {
      this.#withholdReply('EHLO', () => super.handler_EHLO(command, callback));
      return;
    }
    this.#ehloCount += 1;
    if (this.context.profile.tampering?.starttlsAdvertised === 'second-ehlo' && this.#ehloCount === 1 && !this.secure) {
      // STARTTLS stripped from the first EHLO reply only. smtp-server reads hideSTARTTLS while it
      // writes the reply, synchronously, so setting it around the call affects no other session.
      const options = this._server.options as { hideSTARTTLS?: boolean };
      const before = options.hideSTARTTLS;
      options.hideSTARTTLS = true;
      try {
        super.handler_EHLO(command, callback);
      } finally {
        options.hideSTARTTLS = before;
      }
      return;
    }
    super.handler_EHLO(command, callback);
  }

  override handler_HELO(command: Buffer, callback: () => void): void {
    if (this.#withholdsGreetingReply()) {
      this.#withholdReply('HELO', () => super.handler_HELO(command, callback));
      return;
    }
    super.handler_HELO(command, callback);
  }

  /** The greeting of a session that started with a forged, non-220 code (tampering.greeting; RFC 5321 §3.1). */
  override _sendGreeting(): void {
    const code = this.context.profile.tampering?.greeting;
    if (code === undefined) {
      super._sendGreeting();
      return;
    }
    this.send(code, `${this.name} No SMTP service here`, false);
  }

  /**
   * Response injection (EAST B_1, tampering.injection): the 220 to STARTTLS and forged `250`
   * EHLO lines leave in one write, so in one segment, as a man in the middle would append them
   * to the real 220. The handshake that follows is real. A client that buffered the forged lines
   * and reads them after the handshake as the reply to its EHLO inside TLS acts on them: that is
   * what #withholdReply watches for. (The server side of the same flaw is CVE-2011-0411.)
   */
  #injectAfter220(callback: () => void): void {
    const injected = injectedEhloLines(this.name);
    this.record({ type: 'starttls', reply: 220 });
    this.record({ type: 'reply', code: 220, text: 'Ready to start TLS' });
    this.record({ type: 'reply', code: 250, text: injected.map((line) => line.slice(4)).join('\n') });
    this._socket.write(['220 Ready to start TLS', ...injected].map((line) => `${line}\r\n`).join(''));
    // Written past send(), so the client's clock is started here, as send() does.
    this.#deadlines?.expect('command');
    this.upgrade(callback, () => this.#watchTlsLines());
  }

  /**
   * starttls-220-no-transition: the ClientHello meets the SMTP parser. A plaintext server would
   * answer it when a line feed happened to come among its random octets, or never; so the
   * receiver answers the first TLS record at once, as that server answers an unknown command
   * (500), and stays in plaintext: every sender meets the same reply, at the same point.
   */
  #answerClientHelloInPlaintext(): void {
    const socket = this._socket;
    if (!this._parser) return;
    socket.unpipe(this._parser);
    this._parser.isClosed = true;
    this._parser = this._createParser();
    const parser = this._parser;
    socket.once('data', (chunk: Buffer) => {
      const framing = clientHelloFraming(chunk);
      this.record({ type: 'client-hello', hex: chunk.subarray(0, framing.state === 'complete' ? framing.length : 64).toString('hex'), complete: framing.state === 'complete' });
      if (chunk[0] === 0x16) {
        this.record({ type: 'command', verb: '(TLS record)', line: `a TLS handshake record of ${chunk.length} octets, read as a command line` });
        this.send(500, 'Error: command not recognized');
        // The rest of a record that spans several segments is junk to the parser, as it would be to that server.
        const rest = chunk.length >= 5 ? 5 + chunk.readUInt16BE(3) : chunk.length;
        if (chunk.length > rest) socket.unshift(chunk.subarray(rest));
      } else {
        socket.unshift(chunk);
      }
      if (!socket.destroyed && this._parser === parser) socket.pipe(parser);
    });
    socket.resume();
  }

  /**
   * smtp-server's STARTTLS upgrade, once the sender's ClientHello has been read off the socket
   * and recorded (event `client-hello`): what the sender offers is evidence whether or not the
   * handshake succeeds. The octets go back (unshift) before Node's TLS socket is made, which
   * reads what the socket already holds before anything new (TLSSocket's init takes
   * socket.readableLength), so OpenSSL sees the same bytes. Reading stops at the end of the
   * ClientHello, at the first octet that is not one (recorded as incomplete), or at 64 KiB.
   */
  override upgrade(callback: () => void, secureCallback?: () => void): void {
    const socket = this._socket;
    if (this._parser) {
      socket.unpipe(this._parser);
      // Retired as smtp-server's own upgrade() does: nothing it still holds is dispatched.
      this._parser.isClosed = true;
      this._parser = this._createParser();
    }
    // The session is in its handshake from here: the handshake's deadline applies, nothing is said in clear.
    this._upgrading = true;
    // The STARTTLS handler is done now, as in smtp-server's upgrade (the retired parser drains): a
    // handler still pending would hold the session's deadline off while the ClientHello is awaited.
    setImmediate(callback);
    let pending = Buffer.alloc(0);
    // A client that goes away mid-ClientHello: what it had sent is still on record (incomplete).
    const onClose = (): void => {
      socket.off('data', onData);
      if (pending.length > 0) this.record({ type: 'client-hello', hex: pending.subarray(0, 64).toString('hex'), complete: false });
    };
    const onData = (chunk: Buffer): void => {
      pending = Buffer.concat([pending, chunk]);
      const framing = clientHelloFraming(pending);
      if (framing.state === 'incomplete' && pending.length < MAX_CLIENT_HELLO_INPUT) return;
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.pause();
      const complete = framing.state === 'complete';
      this.record({ type: 'client-hello', hex: pending.subarray(0, complete ? framing.length : 64).toString('hex'), complete });
      socket.unshift(pending);
      // A session the receiver is already ending (a deadline's 421) gets no handshake.
      if (!socket.destroyed && !this._closing && !this._closed) super.upgrade(() => undefined, secureCallback);
    };
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.resume();
  }

  #withholdsGreetingReply(): boolean {
    return this.secure && this.context.profile.tampering?.injection !== undefined && !this.#injectionChecked;
  }

  /**
   * From the moment the session is secure, the command lines the client sends, read off the TLS
   * socket beside smtp-server's parser: the parser holds a pipelined MAIL behind the EHLO whose
   * reply is withheld, so only the socket shows it. At most six lines, until the check is made.
   */
  #watchTlsLines(): void {
    const socket = this._socket;
    const limits = this.context.limits;
    let pending = '';
    const onData = (chunk: Buffer): void => {
      if (this.#injectionChecked && this.#injectionTimer === null) {
        socket.off('data', onData);
        return;
      }
      pending = (pending + chunk.toString('latin1')).slice(-limits.maxCommandLineBytes * 6);
      const complete = pending.split(/\r?\n/);
      pending = complete.pop() ?? '';
      for (const line of complete) {
        if (this.#tlsLines.length < 6 && line !== '') this.#tlsLines.push(printable(redact((/^\S{0,16}/.exec(line)?.[0] ?? '').toUpperCase(), line), limits.maxLoggedLineBytes));
      }
    };
    socket.on('data', onData);
  }

  /**
   * Withholds the reply to the first greeting inside TLS for INJECTION_SILENCE_MS, then records
   * every command line the client sent after it meanwhile (EHLO must end a pipelined group, RFC
   * 2920 §3.1, so an honest client sends none), and answers.
   */
  #withholdReply(verb: 'EHLO' | 'HELO', answer: () => void): void {
    this.#injectionChecked = true;
    const check = (): void => {
      if (this.#injectionTimer === null) return;
      clearTimeout(this.#injectionTimer);
      this.#injectionTimer = null;
      this.record({ type: 'injection-check', withheld: verb, silentMs: INJECTION_SILENCE_MS, lines: this.#tlsLines.slice(1, 6) });
    };
    this.#injectionTimer = setTimeout(() => {
      check();
      if (!this._closing && !this._closed) answer();
    }, INJECTION_SILENCE_MS);
    this._socket.once('close', check);
  }

  /**
   * Answers the client's ClientHello with a fatal handshake_failure alert and hangs up.
   *
   * Done by hand rather than by OpenSSL: OpenSSL only fails a handshake for a reason it
   * finds in the ClientHello (no shared version, cipher or group), so whether it fails
   * would depend on the client. Writing the alert ourselves fails every client in the
   * same way, at the same point, which is what the profile promises.
   */
  #abortHandshake(callback: () => void): void {
    const socket = this._socket;
    if (this._parser) {
      socket.unpipe(this._parser);
      // Retire the parser as smtp-server's own upgrade() does: nothing it still holds is dispatched.
      this._parser.isClosed = true;
      this._parser = this._createParser();
    }
    this.#aborting = true;
    setImmediate(callback);
    this.#abortTimer = setTimeout(() => socket.destroy(), CLIENT_HELLO_WAIT_MS);
    this.#abortTimer.unref();
    socket.once('data', (chunk: Buffer) => {
      this.#clearAbortTimer();
      // What the sender offered, as far as this first segment shows it (the handshake ends here):
      // a ClientHello longer than one segment is recorded incomplete, its first 64 octets.
      const framing = clientHelloFraming(chunk);
      this.record({ type: 'client-hello', hex: chunk.subarray(0, framing.state === 'complete' ? framing.length : 64).toString('hex'), complete: framing.state === 'complete' });
      if (chunk[0] === 0x16) {
        // Echo the record version of the ClientHello, as a TLS stack does in its first record.
        socket.write(fatalAlertRecord(ALERT_HANDSHAKE_FAILURE, [chunk[1] ?? 3, chunk[2] ?? 1]));
        this.#recordTlsFailure({
          origin: 'profile',
          alert: 'handshake_failure',
          reason: 'the receiver aborts every TLS handshake: it answered the ClientHello with a fatal handshake_failure alert',
          code: null,
        });
      } else {
        this.#recordTlsFailure({
          origin: 'server',
          alert: null,
          reason: 'not a TLS handshake (the client sent something other than a ClientHello)',
          code: null,
        });
      }
      socket.end();
    });
    // unpipe() left the socket paused; a 'data' listener alone does not restart a paused stream.
    socket.resume();
  }

  #clearAbortTimer(): void {
    if (this.#abortTimer) clearTimeout(this.#abortTimer);
    this.#abortTimer = null;
  }

  #recordTlsFailure(failure: ReturnType<typeof describeTlsFailure>): void {
    if (this.#tlsFailed) return;
    this.#tlsFailed = true;
    this.#aborting = false;
    this.record({ type: 'tls-failed', ...failure });
  }

  override _onError(err: Error & { code?: string; remoteAddress?: string }): void {
    if (this.#handshaking) {
      this.#recordTlsFailure(describeTlsFailure(err));
    } else {
      this.record({ type: 'error', code: typeof err.code === 'string' ? err.code : null, message: printable(err.message, 512) });
    }
    super._onError(err);
  }

  override _onClose(): void {
    if (!this.#closeRecorded) {
      this.#closeRecorded = true;
      this.#deadlines?.stop();
      this.#clearAbortTimer();
      if (this.#handshaking && !this.#tlsFailed) this.#recordTlsFailure(describeTlsFailure(null));
      // A message still coming in: the client went away mid-DATA (recorded here, before the close).
      const stream = this._dataStream;
      if (stream && !stream.writableEnded && !stream.destroyed && this._parser) {
        this.record({ type: 'data-aborted', bytes: this._parser.dataBytes });
      }
      super._onClose();
      this.context.connectionClosed(this.id);
      const suppressed = this.#budget?.final();
      if (suppressed) this.#append(suppressed);
      this.record({ type: 'close' });
      return;
    }
    super._onClose();
  }
}

/** Never log AUTH secrets, even though receivers offer no AUTH: a confused client may send them anyway. */
function redact(verb: string, line: string): string {
  return verb === 'AUTH' ? line.replace(/^(\s*AUTH\s+\S+).*$/i, '$1 [redacted]') : line;
}
