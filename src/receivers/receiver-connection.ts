import type { Socket } from 'node:net';
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';
import type { EventInput } from '../recorder/events.js';
import { printable } from '../text/printable.js';
import type { ReceiverContext } from './receiver-context.js';
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
 * One SMTP session on a receiver: smtp-server's connection, with the profile's STARTTLS
 * behaviour and a recording of everything that happens on the wire.
 *
 * smtp-server has no hooks for commands, replies or a failed handshake, so this subclass
 * overrides the few methods where they pass (all part of its typed surface).
 */
export class ReceiverConnection extends SMTPConnection {
  /** The abort-handshake profile is waiting for a ClientHello (smtp-server's own handshakes set `_upgrading`). */
  #aborting = false;
  #abortTimer: NodeJS.Timeout | null = null;
  #tlsFailed = false;
  #closeRecorded = false;
  /** EHLO/HELO name waiting for its reply: only a greeting answered 250 is a greeting. */
  #pendingHelo: { verb: 'EHLO' | 'HELO'; name: string } | null = null;

  get context(): ReceiverContext {
    return (this._server as unknown as { context: ReceiverContext }).context;
  }

  record(input: ConnectionEventInput): void {
    this.context.log.append({ ...input, profile: this.context.profile.name, conn: this.id });
  }

  recordConnect(socket: Socket): void {
    this.record({
      type: 'connect',
      peer: { address: socket.remoteAddress ?? 'unknown', port: socket.remotePort ?? 0 },
      local: { address: socket.localAddress ?? 'unknown', port: socket.localPort ?? 0 },
    });
  }

  get #handshaking(): boolean {
    return this._upgrading || this.#aborting;
  }

  override _onCommand(command: Buffer, callback?: () => void): void {
    const limits = this.context.limits;
    const raw = command.toString('latin1');
    const verb = (/^\S{0,16}/.exec(raw)?.[0] ?? '').toUpperCase();
    this.record({ type: 'command', verb: printable(verb, 16), line: printable(redact(verb, raw), limits.maxLoggedLineBytes) });
    this.#pendingHelo = verb === 'EHLO' || verb === 'HELO' ? { verb, name: printable(raw.slice(4).trim(), limits.maxLoggedLineBytes) } : null;
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
  }

  override handler_STARTTLS(command: Buffer, callback: () => void): void {
    const hasArguments = command.toString().trim().split(/\s+/).length > 1;
    if (this.secure || hasArguments) {
      // 503 (TLS already active) or 501 (STARTTLS takes no parameters, RFC 3207 §4): smtp-server's answers
      this.record({ type: 'starttls', reply: this.secure ? 503 : 501 });
      super.handler_STARTTLS(command, callback);
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
      this.#clearAbortTimer();
      if (this.#handshaking && !this.#tlsFailed) this.#recordTlsFailure(describeTlsFailure(null));
      // A message still coming in: the client went away mid-DATA (recorded here, before the close).
      const stream = this._dataStream;
      if (stream && !stream.writableEnded && !stream.destroyed && this._parser) {
        this.record({ type: 'data-aborted', bytes: this._parser.dataBytes });
      }
      super._onClose();
      this.context.connectionClosed(this.id);
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
