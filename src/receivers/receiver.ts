import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import {
  SMTPServer,
  type SMTPServerAddress,
  type SMTPServerDataStream,
  type SMTPServerOptions,
  type SMTPServerSession,
} from 'smtp-server';
import type { SMTPConnectionOptions } from 'smtp-server/lib/smtp-connection.js';
import { BadmxError } from '../errors.js';
import type { ServedCredentials } from '../certs/pki.js';
import type { RevocationSigner } from '../certs/revocation.js';
import type { TlsVersion } from '../recorder/events.js';
import { headerSection, headerValue } from './message-headers.js';
import { formatReceived } from './received-header.js';
import type { ReceiverContext } from './receiver-context.js';
import { ReceiverConnection, type ConnectionEventInput } from './receiver-connection.js';
import { peerKey, type PeerRefusal } from './peer-limits.js';
import { printable } from '../text/printable.js';
import { tlsContextOptions } from './tls-context.js';

/** An SMTP error reply for smtp-server: `responseCode` is the reply code it sends. */
function smtpError(responseCode: number, message: string): Error & { responseCode: number } {
  return Object.assign(new Error(message), { responseCode });
}

class ReceiverServer extends SMTPServer {
  readonly context: ReceiverContext;

  constructor(context: ReceiverContext, options: SMTPServerOptions) {
    super(options);
    this.context = context;
  }

  /**
   * smtp-server's connect(), creating our connection class instead of its own, once the
   * peer is within its limits; on a full profile, after shedding a session to make room.
   */
  override connect(socket: Socket | TLSSocket, socketOptions?: SMTPConnectionOptions | null): void {
    const peer = peerAddress(socket);
    const refusal = this.context.peers.admit(peer);
    if (refusal) {
      refuseOverLimit(this.context, socket, peer, refusal);
      return;
    }
    const connection = new ReceiverConnection(this, socket, socketOptions ?? undefined);
    connection.begin(socket, peer);
    this.context.connectionOpened(connection.id, peer);
    if (this.connections.size >= this.context.limits.maxConnections) this.#makeRoom(connection, peer);
    // Still full (every session is inside a mail transaction): smtp-server's init() answers the newcomer 421.
    this.connections.add(connection);
    connection.on('error', (err: Error) => this._onError(err));
    connection.on('connect', (data: Parameters<SMTPServer['_onClientConnect']>[0]) => this._onClientConnect(data));
    connection.init();
  }

  /**
   * The profile is full: shed a session that never completed a command line (the oldest
   * first), else the one whose last command is oldest, among those that may be shed (ReceiverConnection.sheddable: not in a handshake or a DATA
   * transfer, not in their first seconds, not inside a transaction unless silent in it). Refusing the newcomer instead would let anyone who opens maxConnections
   * idle connections, from however many addresses, lock every sender out until they time
   * out; shedding the oldest idle one leaves room for a sender that is actually talking.
   * A newcomer from a peer whose own session was shed in the last minute may only take the
   * place of that peer's sessions: clients that come straight back when shed would
   * otherwise shed everyone else in turn, the sender among them, before it can say EHLO.
   */
  #makeRoom(newcomer: ReceiverConnection, peer: string): void {
    const ownOnly = this.context.shedPeers.has(peer);
    const now = Date.now();
    let victim: ReceiverConnection | null = null;
    for (const connection of this.connections) {
      if (!(connection instanceof ReceiverConnection) || connection === newcomer || !connection.sheddable(now)) continue;
      if (ownOnly && peerKey(connection.peer) !== peerKey(peer)) continue;
      if (!victim || connection.shedsBefore(victim)) victim = connection;
    }
    if (!victim) return;
    this.context.shedPeers.mark(victim.peer);
    victim.shed(newcomer.id);
  }
}

/** The peer's address as the limits count it: an IPv4-mapped IPv6 address is its IPv4 address. */
function peerAddress(socket: Socket): string {
  const address = socket.remoteAddress ?? 'unknown';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** How long a refused peer may take to read the 421 before the socket is destroyed. */
const REFUSAL_LINGER_MS = 2_000;

/**
 * A connection over a per-peer limit: recorded (connect, peer-limit, reply, close, so it is
 * evidence like any other), answered 421 with enhanced code 4.7.0 (RFC 5321 §3.8 lets a
 * server close with 421 at any time; RFC 3463 §3.8: 4.7.x is a policy reason) and closed,
 * without ever reaching smtp-server, so it costs no session and no slot in maxClients.
 */
function refuseOverLimit(context: ReceiverContext, socket: Socket, peer: string, refusal: PeerRefusal): void {
  const conn = `limit-${randomBytes(8).toString('hex')}`;
  const { record: recorded, suppressed } = context.peers.recordRefusal(peer);
  const record = (input: ConnectionEventInput): void => {
    if (recorded) context.log.append({ ...input, profile: context.profile.name, conn });
  };
  context.connectionOpened(conn);
  record({
    type: 'connect',
    peer: { address: socket.remoteAddress ?? 'unknown', port: socket.remotePort ?? 0 },
    local: { address: socket.localAddress ?? 'unknown', port: socket.localPort ?? 0 },
  });
  record({ type: 'peer-limit', address: printable(peer, 64), limit: refusal.limit, max: refusal.max, ...(suppressed ? { suppressed } : {}) });
  const text = `4.7.0 ${context.hostname} too many connections from your address (${
    refusal.limit === 'concurrent' ? `at most ${refusal.max} at once` : `at most ${refusal.max} per minute`
  }); try again later`;
  record({ type: 'reply', code: 421, text });
  let closed = false;
  socket.on('error', () => undefined);
  socket.once('close', () => {
    if (closed) return;
    closed = true;
    record({ type: 'close' });
    context.connectionClosed(conn);
  });
  socket.end(`421 ${text}\r\n`);
  // Whatever the peer still sends is read and dropped, so its FIN is seen; a peer that never closes is cut off.
  socket.resume();
  setTimeout(() => socket.destroy(), REFUSAL_LINGER_MS).unref();
}

export interface Receiver {
  readonly context: ReceiverContext;
  listen(address: string, port: number): Promise<void>;
  /**
   * Serve connections accepted by a listener the fleet owns (a shared address, bound once
   * before privileges are dropped), instead of listening itself; `accept` hands one over.
   */
  attach(address: string, port: number): void;
  accept(socket: Socket): void;
  close(): Promise<void>;
}

/**
 * OCSP stapling (RFC 6066 §8, RFC 6960) on a receiver: every handshake whose ClientHello asks
 * for the certificate's status (status_request) gets `signer`'s OCSP response, recorded as an
 * `ocsp-staple` event. Node asks the socket's `server` for it through the 'OCSPRequest' event;
 * smtp-server upgrades STARTTLS with its net.Server as that `server`, which lacks the default
 * secure context Node takes the certificate from when no SNI context was chosen
 * (`_sharedCreds`, set by tls.Server only), so Node would skip the event for every client
 * that sends no SNI (Postfix and Exim by default): it is given the receiver's own context.
 */
function stapleOcsp(server: ReceiverServer, context: ReceiverContext, signer: RevocationSigner): void {
  const net = server.server as typeof server.server & { _sharedCreds?: unknown };
  net._sharedCreds = server.secureContext.get('*');
  net.on('OCSPRequest', (_certificate: Buffer, _issuer: Buffer, callback: (error: Error | null, response?: Buffer) => void) => {
    let response: Buffer;
    try {
      response = signer.ocspResponse();
    } catch (error) {
      callback(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    context.log.append({ type: 'ocsp-staple', profile: context.profile.name, conn: '', certStatus: 'revoked', bytes: response.length });
    callback(null, response);
  });
}

/** One profile's SMTP server: real SMTP (smtp-server), real TLS (OpenSSL through Node). */
export function createReceiver(
  context: ReceiverContext,
  credentials: ServedCredentials | undefined,
  withoutSni?: ServedCredentials,
  /** A revoked leaf's (certificate.revoked): the receiver staples its OCSP response. */
  revocation?: RevocationSigner,
): Receiver {
  const { profile, limits } = context;
  const own = profile.starttls === 'offer' && credentials ? tlsContextOptions(profile, credentials) : {};
  // tls.sni "required": the profile's own certificate only for a client whose SNI names it
  // (smtp-server's sniOptions, matched lower-cased); every other client gets withoutSni's.
  const tls =
    profile.tls.sni === 'required' && withoutSni && credentials && profile.starttls === 'offer'
      ? { ...tlsContextOptions(profile, withoutSni), sniOptions: new Map([[context.hostname.toLowerCase(), own], [context.domain.toLowerCase(), own]]) }
      : own;
  let server: ReceiverServer | null = null;

  const options: SMTPServerOptions = {
    ...tls,
    // The banner and EHLO name are the MX hostname, never the machine's: a sender that sees its own name treats it as a loop.
    name: context.hostname,
    banner: `${context.software} receiver for ${context.domain}; profile ${profile.name}`,
    // A forged non-220 greeting (tampering.greeting): the man in the middle strips STARTTLS too.
    hideSTARTTLS: profile.starttls === 'absent' || profile.tampering?.greeting !== undefined,
    hideENHANCEDSTATUSCODES: false,
    hideDSN: true,
    hideREQUIRETLS: true,
    // A public MX accepts mail without authentication (and a test receiver has nobody to authenticate).
    authOptional: true,
    disabledCommands: ['AUTH'],
    // No reverse DNS: the harness must not send traffic anywhere but to its own hosts, and PTR names are not evidence here.
    disableReverseLookup: true,
    size: limits.maxMessageBytes,
    maxClients: limits.maxConnections,
    maxCommandLength: limits.maxCommandLineBytes,
    // Only a backstop: the session's own deadlines (session-deadlines.ts) end it first, and
    // unlike this idle timer they are not reset by every byte. The half-close wait after a
    // 421 or QUIT is min(this, 5 s).
    socketTimeout: limits.sessionTimeoutMs,
    closeTimeout: 2_000,
    logger: false,
    onSecure(socket, session, callback) {
      const tlsSocket = socket as TLSSocket;
      const negotiated = {
        version: normalizeVersion(tlsSocket.getProtocol()),
        cipher: tlsSocket.getCipher()?.name ?? 'unknown',
        sni: sniOf(tlsSocket),
      };
      context.rememberTls(session.id, negotiated);
      context.log.append({
        type: 'tls',
        profile: profile.name,
        conn: session.id,
        ...negotiated,
        standardCipher: tlsSocket.getCipher()?.standardName ?? null,
      });
      callback();
    },
    onMailFrom(address, session, callback) {
      context.log.append({
        type: 'mail-from',
        profile: profile.name,
        conn: session.id,
        address: printable(address.address, 320),
        params: safeParams(address),
      });
      callback();
    },
    onRcptTo(address, session, callback) {
      const verdict = acceptRecipient(context, address, session);
      context.log.append({
        type: 'rcpt-to',
        profile: profile.name,
        conn: session.id,
        address: printable(address.address, 320),
        accepted: verdict === null,
        reply: verdict?.responseCode ?? 250,
      });
      callback(verdict);
    },
    onData(stream, session, callback) {
      receiveMessage(context, stream, session, callback);
    },
  };

  let attached = false;
  return {
    context,
    listen(address, port) {
      server = new ReceiverServer(context, options);
      if (revocation && profile.starttls === 'offer') stapleOcsp(server, context, revocation);
      const current = server;
      // Errors of single connections are recorded on their connection; nothing may take the fleet down.
      current.on('error', () => undefined);
      return new Promise((resolve, reject) => {
        const onError = (error: NodeJS.ErrnoException): void => {
          reject(
            new BadmxError(
              `profile ${profile.name} cannot listen on ${address}:${port}: ${error.code ?? error.message}${
                error.code === 'EACCES' ? ' (ports below 1024 need root or CAP_NET_BIND_SERVICE; try --port 2525)' : ''
              }`,
              'ELISTEN',
            ),
          );
        };
        current.server.once('error', onError);
        current.listen(port, address, () => {
          current.server.off('error', onError);
          context.log.append({ type: 'listening', profile: profile.name, conn: '', hostname: context.hostname, address, port });
          resolve();
        });
      });
    },
    attach(address, port) {
      attached = true;
      server = new ReceiverServer(context, options);
      if (revocation && profile.starttls === 'offer') stapleOcsp(server, context, revocation);
      server.on('error', () => undefined);
      context.log.append({ type: 'listening', profile: profile.name, conn: '', hostname: context.hostname, address, port });
    },
    accept(socket) {
      // The same path as a connection smtp-server accepted itself (limits, PROXY, session).
      if (server) server.server.emit('connection', socket);
      else socket.destroy();
    },
    close() {
      const current = server;
      server = null;
      if (!current) return Promise.resolve();
      if (!attached) return new Promise((resolve) => current.close(() => resolve()));
      // An attached server never listened, so smtp-server's close() returns at once and would
      // never cut its sessions: give them the same grace, then 421 and close them ourselves.
      attached = false;
      current.close();
      return (async () => {
        const deadline = Date.now() + ATTACHED_CLOSE_GRACE_MS;
        while (current.connections.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
        for (const connection of current.connections) {
          try {
            connection.send(421, 'Server shutting down');
            connection.close();
          } catch {
            // already gone
          }
        }
      })();
    },
  };
}

/** How long sessions of a profile that stops being live may finish before they get a 421 (smtp-server's own closeTimeout). */
const ATTACHED_CLOSE_GRACE_MS = 2_000;

function acceptRecipient(
  context: ReceiverContext,
  address: SMTPServerAddress,
  session: SMTPServerSession,
): (Error & { responseCode: number }) | null {
  if (session.envelope.rcptTo.length >= context.limits.maxRecipients) {
    // RFC 5321 §4.5.3.1.10: too many recipients is 452, and the client sends the rest in another transaction.
    return smtpError(452, `Too many recipients (at most ${context.limits.maxRecipients} per message)`);
  }
  const at = address.address.lastIndexOf('@');
  const domain = at >= 0 ? address.address.slice(at + 1).toLowerCase() : '';
  // RFC 5321 §4.5.1: "postmaster" with no domain must be accepted, as must postmaster at our own domain.
  if (at < 0 && address.address.toLowerCase() === 'postmaster') return null;
  // The probes' own domain is ours too: senders send their delivery status notifications there (mailbox.ts).
  if (domain !== context.domain && domain !== context.mailboxDomain) {
    // Never relay: only the profile's own domain is delivered here.
    return smtpError(550, `<${printable(address.address, 320)}>: not accepted here; this receiver takes mail only for @${context.domain} and never relays`);
  }
  return null;
}

function receiveMessage(
  context: ReceiverContext,
  stream: SMTPServerDataStream,
  session: SMTPServerSession,
  callback: (err?: Error | null, message?: string) => void,
): void {
  const { profile, limits } = context;
  const tls = context.tlsOf(session.id);
  const rcptTo = session.envelope.rcptTo.map((r) => r.address);
  const id = context.nextMessageId(session.id);
  // Stamped when the message starts, as MTAs do: everything it records is known by then.
  const received = formatReceived({
    helo: session.hostNameAppearsAs || null,
    esmtp: session.openingCommand !== 'HELO',
    peerAddress: session.remoteAddress,
    byHost: context.hostname,
    software: `${context.software}; profile ${profile.name}`,
    tls,
    utf8: usesSmtpUtf8(session),
    id,
    recipients: rcptTo,
    date: new Date(),
  });
  const stored = context.messages.create(profile.name, id);
  let storeError: Error | null = null;
  stored.stream.on('error', (error) => {
    storeError = error;
  });
  // Past the store's cap the message is still received and recorded, only not kept (limits.maxStoredMessageBytes).
  let taken = 0;
  let kept = context.messages.take(Buffer.byteLength(received));
  if (kept) {
    taken += Buffer.byteLength(received);
    stored.stream.write(received);
  }
  // Whatever is not kept after all gives its share of the store's cap back.
  const discard = (): void => {
    stored.discard();
    context.messages.release(taken);
    taken = 0;
  };

  const head: Buffer[] = [];
  let headBytes = 0;
  let bytes = 0;
  stream.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    // Only the beginning is kept in memory, for the header section the log records.
    if (headBytes < limits.maxLoggedHeaderBytes) {
      const part = chunk.subarray(0, limits.maxLoggedHeaderBytes - headBytes);
      head.push(part);
      headBytes += part.length;
    }
    // Past the size limit the rest is only counted: smtp-server reads on so that it can answer 552 after the final dot.
    if (kept && !stream.sizeExceeded && !storeError) {
      kept = context.messages.take(chunk.length);
      if (kept) {
        taken += chunk.length;
        stored.stream.write(chunk);
      }
    }
  });
  // A client that vanishes mid-DATA destroys the stream; the connection records data-aborted.
  stream.on('error', () => discard());
  stream.on('end', () => {
    const headers = headerSection(Buffer.concat(head), limits.maxLoggedHeaderBytes);
    const record = (accepted: boolean, reply: number, file: string | null): void => {
      context.log.append({
        type: 'data',
        profile: profile.name,
        conn: session.id,
        accepted,
        reply,
        messageId: messageIdOf(headers),
        mailFrom: session.envelope.mailFrom ? printable(session.envelope.mailFrom.address, 320) : null,
        rcptTo: rcptTo.map((r) => printable(r, 320)),
        size: bytes,
        headers: printable(headers, limits.maxLoggedHeaderBytes),
        received: accepted ? received.replace(/\r\n\t/g, ' ').trimEnd() : null,
        file,
        tls: tls !== null,
      });
    };
    if (stream.sizeExceeded) {
      discard();
      record(false, 552, null);
      callback(smtpError(552, `Message exceeds the size limit of ${limits.maxMessageBytes} octets`));
      return;
    }
    stored.stream.end(() => {
      if (storeError) {
        // The disk failed us, not the sender: a temporary error, so a real sender retries (RFC 5321 §4.2.5).
        discard();
        record(false, 451, null);
        callback(smtpError(451, 'Local error in processing: the message could not be stored'));
        return;
      }
      if (!kept) discard();
      record(true, 250, kept ? stored.file : null);
      callback(null, `Ok: queued as ${id}`);
    });
  });
}

/** SNI is client-supplied: kept only if it is a plausible host name, so it cannot inject into headers or terminals. */
function sniOf(socket: TLSSocket): string | null {
  const name = socket.servername;
  if (typeof name !== 'string' || name === '') return null;
  return /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/.test(name) ? name.toLowerCase() : `invalid:${printable(name, 64)}`;
}

/** Whether MAIL FROM carried the SMTPUTF8 parameter (RFC 6531 §3.4). */
function usesSmtpUtf8(session: SMTPServerSession): boolean {
  const from = session.envelope.mailFrom;
  return Boolean(from && typeof from.args === 'object' && 'SMTPUTF8' in from.args);
}

function messageIdOf(headers: string): string | null {
  const value = headerValue(headers, 'Message-ID');
  return value ? printable(value, 998) : null;
}

function safeParams(address: SMTPServerAddress): Record<string, string | boolean> {
  const params: Record<string, string | boolean> = {};
  if (address.args && typeof address.args === 'object') {
    for (const [key, value] of Object.entries(address.args)) {
      params[printable(key, 64)] = typeof value === 'string' ? printable(value, 256) : Boolean(value);
    }
  }
  return params;
}

/** Node names TLS 1.0 'TLSv1'; badmx writes every version with its minor number, and never guesses. */
export function normalizeVersion(protocol: string | null): TlsVersion | 'unknown' {
  switch (protocol) {
    case 'TLSv1':
      return 'TLSv1.0';
    case 'TLSv1.1':
    case 'TLSv1.2':
    case 'TLSv1.3':
      return protocol;
    default:
      return 'unknown';
  }
}
