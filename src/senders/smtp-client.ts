import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, TLSSocket, type ConnectionOptions } from 'node:tls';

export interface SmtpReply {
  code: number;
  lines: string[];
}

/** An SMTP failure, with the reply or the stage it happened at (nodemailer and smtp-server use the same fields). */
export class SmtpClientError extends Error {
  readonly code: 'ECONNECTION' | 'ETIMEDOUT' | 'ETLS' | 'EPROTOCOL' | 'EREPLY';
  readonly responseCode: number | null;
  readonly stage: string;

  constructor(message: string, code: SmtpClientError['code'], stage: string, responseCode: number | null = null, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SmtpClientError';
    this.code = code;
    this.stage = stage;
    this.responseCode = responseCode;
  }
}

/**
 * A small SMTP client for badmx's built-in senders: one session, one command at a
 * time, every reply read in full (RFC 5321 §4.2.1 multi-line replies), EHLO keywords
 * parsed line by line (RFC 5321 §4.1.1.1), and STARTTLS per RFC 3207 §4.
 */
export class SmtpClientSession {
  #socket: Socket | TLSSocket;
  #buffer = '';
  #waiting: (() => void) | null = null;
  #closed = false;
  #error: Error | null = null;
  readonly timeoutMs: number;
  extensions = new Set<string>();

  private constructor(socket: Socket, timeoutMs: number) {
    this.#socket = socket;
    this.timeoutMs = timeoutMs;
    this.#attach(socket);
  }

  static async connect(host: string, port: number, timeoutMs = 30_000): Promise<SmtpClientSession> {
    const socket = netConnect({ host, port });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new SmtpClientError(`connection to ${host}:${port} timed out`, 'ETIMEDOUT', 'connect'));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(new SmtpClientError(`cannot connect to ${host}:${port}: ${error.message}`, 'ECONNECTION', 'connect', null, { cause: error }));
      });
    });
    return new SmtpClientSession(socket, timeoutMs);
  }

  /** Octets that arrived in plaintext after the 220 to STARTTLS and were discarded (startTls). */
  discardedAfterStarttls = 0;

  get secure(): boolean {
    return this.#socket instanceof TLSSocket;
  }

  get tlsSocket(): TLSSocket | null {
    return this.#socket instanceof TLSSocket ? this.#socket : null;
  }

  #attach(socket: Socket | TLSSocket): void {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.#buffer += chunk;
      this.#wake();
    });
    socket.on('close', () => {
      this.#closed = true;
      this.#wake();
    });
    socket.on('error', (error: Error) => {
      this.#error = error;
      this.#wake();
    });
  }

  #wake(): void {
    const wake = this.#waiting;
    this.#waiting = null;
    wake?.();
  }

  async reply(stage: string): Promise<SmtpReply> {
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const parsed = takeReply(this.#buffer);
      if (parsed) {
        this.#buffer = parsed.rest;
        return parsed.reply;
      }
      if (this.#error) throw new SmtpClientError(`${stage}: ${this.#error.message}`, 'ECONNECTION', stage, null, { cause: this.#error });
      if (this.#closed) throw new SmtpClientError(`${stage}: the server closed the connection`, 'ECONNECTION', stage);
      const left = deadline - Date.now();
      if (left <= 0) throw new SmtpClientError(`${stage}: no reply within ${this.timeoutMs} ms`, 'ETIMEDOUT', stage);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiting = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** Send a command and read its reply; `expect` is the reply class that counts as success (2, or 3 for DATA). */
  async command(line: string, expect = 2): Promise<SmtpReply> {
    const verb = line.split(' ')[0] ?? line;
    this.#socket.write(`${line}\r\n`);
    const reply = await this.reply(verb);
    if (Math.floor(reply.code / 100) !== expect) {
      throw new SmtpClientError(`${verb} answered ${reply.lines.join(' / ')}`, 'EREPLY', verb, reply.code);
    }
    return reply;
  }

  /** EHLO, falling back to HELO if the server does not speak ESMTP (RFC 5321 §3.2). */
  async greet(name: string): Promise<void> {
    this.#socket.write(`EHLO ${name}\r\n`);
    const reply = await this.reply('EHLO');
    if (reply.code === 250) {
      // Each line after the first is one extension keyword with its parameters; nothing else is parsed.
      this.extensions = new Set(reply.lines.slice(1).map((line) => line.slice(4).split(' ')[0]?.toUpperCase() ?? ''));
      return;
    }
    this.extensions = new Set();
    await this.command(`HELO ${name}`);
  }

  /** Upgrade with STARTTLS; throws SmtpClientError ETLS (with the TLS error as cause) if the handshake fails. */
  async startTls(options: ConnectionOptions): Promise<TLSSocket> {
    const raw = this.#socket;
    // Whatever came in plaintext after the 220 is not the server's word inside TLS: a man in the
    // middle can append forged reply lines to the 220 (the client side of CVE-2011-0411; EAST
    // B_1), so it is discarded, never read as the reply to the EHLO inside TLS (RFC 3207 §4.2).
    this.discardedAfterStarttls = Buffer.byteLength(this.#buffer);
    this.#buffer = '';
    raw.removeAllListeners('data');
    raw.removeAllListeners('close');
    raw.removeAllListeners('error');
    const secure = tlsConnect({ ...options, socket: raw });
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`TLS handshake timed out after ${this.timeoutMs} ms`)), this.timeoutMs);
        secure.once('secureConnect', () => {
          clearTimeout(timer);
          resolve();
        });
        secure.once('error', (error: Error) => {
          clearTimeout(timer);
          reject(error);
        });
        secure.once('close', () => {
          clearTimeout(timer);
          reject(new Error('the server closed the connection during the TLS handshake'));
        });
      });
    } catch (error) {
      secure.destroy();
      raw.destroy();
      this.#closed = true; // nothing more can be said on this connection (not even QUIT)
      throw new SmtpClientError(`TLS handshake failed: ${(error as Error).message}`, 'ETLS', 'STARTTLS', null, { cause: error });
    }
    secure.removeAllListeners('close');
    secure.removeAllListeners('error');
    this.#socket = secure;
    this.#attach(secure);
    return secure;
  }

  /** MAIL, RCPT, DATA with dot-stuffing (RFC 5321 §4.5.2). Returns the final reply. */
  async transaction(from: string, to: string, message: string): Promise<SmtpReply> {
    await this.command(`MAIL FROM:<${from}>`);
    await this.command(`RCPT TO:<${to}>`);
    await this.command('DATA', 3);
    const body = message.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
    this.#socket.write(`${body}${body.endsWith('\r\n') ? '' : '\r\n'}.\r\n`);
    const reply = await this.reply('DATA');
    if (reply.code !== 250) throw new SmtpClientError(`message refused: ${reply.lines.join(' / ')}`, 'EREPLY', 'DATA', reply.code);
    return reply;
  }

  async quit(): Promise<void> {
    if (this.#closed) return;
    try {
      this.#socket.write('QUIT\r\n');
      await this.reply('QUIT');
    } catch {
      // the server may close first
    } finally {
      this.close();
    }
  }

  close(): void {
    this.#socket.destroy();
  }
}

function takeReply(buffer: string): { reply: SmtpReply; rest: string } | null {
  const lines: string[] = [];
  let offset = 0;
  for (;;) {
    const end = buffer.indexOf('\n', offset);
    if (end < 0) return null;
    const line = buffer.slice(offset, end).replace(/\r$/, '');
    offset = end + 1;
    lines.push(line);
    const match = /^(\d{3})([ -]?)/.exec(line);
    if (!match) throw new SmtpClientError(`malformed reply line: ${JSON.stringify(line.slice(0, 80))}`, 'EPROTOCOL', 'reply');
    if (match[2] !== '-') return { reply: { code: Number(match[1]), lines }, rest: buffer.slice(offset) };
  }
}
