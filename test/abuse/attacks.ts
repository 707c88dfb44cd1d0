import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import nodemailer from 'nodemailer';

/**
 * Attacks on a receiver, for the abuse suite (test/abuse) and `npm run soak`. Loopback only:
 * every target is an address of this machine; every loop is bounded in count and time and
 * stops by itself.
 */
export interface Target {
  address: string;
  port: number;
}

function assertLoopback(address: string): void {
  if (!/^127\./.test(address) && address !== '::1') throw new Error(`attacks are for loopback targets only, not ${address}`);
}

/** The malformed and hostile things a client can say, one session each. */
export const MALFORMED: ((i: number) => Buffer)[] = [
  // garbage and binary
  () => randomBytes(200),
  () => Buffer.from('\u0000\u0000\u0000HELO \u0000\r\n'),
  // a line far over the command length limit, and one without an end
  () => Buffer.from(`EHLO ${'x'.repeat(10_000)}\r\n`),
  () => Buffer.from('x'.repeat(70_000)),
  // commands out of order
  () => Buffer.from('DATA\r\nRCPT TO:<a@b>\r\nMAIL FROM:<>\r\n'),
  () => Buffer.from('EHLO a\r\nRCPT TO:<postmaster>\r\nDATA\r\n.\r\nQUIT\r\n'),
  // STARTTLS command injection (CVE-2011-0411): commands pipelined after STARTTLS in the same segment
  () => Buffer.from('EHLO a\r\nSTARTTLS\r\nMAIL FROM:<injected@evil.example>\r\nRCPT TO:<x@evil.example>\r\n'),
  // relay attempts
  (i) => Buffer.from(`EHLO a\r\nMAIL FROM:<s${i}@evil.example>\r\nRCPT TO:<victim@elsewhere.example>\r\nQUIT\r\n`),
  // bare LF, lone CR, header injection in EHLO
  () => Buffer.from('EHLO a\nMAIL FROM:<x@y>\rRCPT TO:<z@w>\n'),
  () => Buffer.from('EHLO a\r\n\u001b[2J\u001b]0;owned\u0007\r\n'),
  // a message cut off in the middle of DATA
  () => Buffer.from('EHLO a\r\nMAIL FROM:<x@y.example>\r\nRCPT TO:<postmaster>\r\nDATA\r\nSubject: cut\r\n\r\nhalf a mess'),
  // AUTH (disabled), huge parameter lists, SMTPUTF8 nonsense
  () => Buffer.from(`EHLO a\r\nAUTH PLAIN ${randomBytes(3000).toString('base64')}\r\n`),
  () => Buffer.from(`EHLO a\r\nMAIL FROM:<x@y> ${Array.from({ length: 200 }, (_, k) => `P${k}=${k}`).join(' ')}\r\n`),
  () => Buffer.from('EHLO a\r\nMAIL FROM:<\u00e9\u00e9@\u00fc.example> SMTPUTF8\r\nQUIT\r\n'),
];

export interface SessionStats {
  sessions: number;
  /** Sessions that could not even connect (refused, reset before anything). */
  refused: number;
  bytesSent: number;
}

/**
 * `count` sessions, `concurrency` at a time, each sending one malformed payload (cycling
 * through MALFORMED) and closing after the server answers or `sessionMs`.
 */
export async function malformedSessions(target: Target, count: number, options: { concurrency?: number; sessionMs?: number; localAddresses?: string[] } = {}): Promise<SessionStats> {
  assertLoopback(target.address);
  const stats: SessionStats = { sessions: 0, refused: 0, bytesSent: 0 };
  let next = 0;
  const one = (i: number): Promise<void> =>
    new Promise((resolve) => {
      const payload = MALFORMED[i % MALFORMED.length]!(i);
      const local = options.localAddresses?.[i % options.localAddresses.length];
      const socket = connect({ host: target.address, port: target.port, ...(local ? { localAddress: local } : {}) });
      let greeted = false;
      const done = (): void => {
        clearTimeout(timer);
        socket.destroy();
        resolve();
      };
      const timer = setTimeout(done, options.sessionMs ?? 2_000);
      socket.on('error', () => {
        if (!greeted) stats.refused++;
        done();
      });
      socket.on('close', done);
      socket.on('data', () => {
        if (greeted) return;
        greeted = true;
        stats.bytesSent += payload.length;
        socket.write(payload);
        // Give it a moment to answer, then hang up without QUIT (as attackers do).
        setTimeout(done, 200);
      });
    });
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      stats.sessions++;
      await one(i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 20, count)) }, () => worker()));
  return stats;
}

/** Open `count` connections that say nothing (or trickle a byte every `trickleMs`), from these source addresses; `release()` closes them. */
export async function holdConnections(
  target: Target,
  count: number,
  options: { localAddresses?: string[]; trickleMs?: number } = {},
): Promise<{ open(): number; release(): void }> {
  assertLoopback(target.address);
  const sockets = new Set<Socket>();
  const timers: NodeJS.Timeout[] = [];
  await Promise.all(
    Array.from(
      { length: count },
      (_, i) =>
        new Promise<void>((resolve) => {
          const local = options.localAddresses?.[i % options.localAddresses.length];
          const socket = connect({ host: target.address, port: target.port, ...(local ? { localAddress: local } : {}) }, () => resolve());
          sockets.add(socket);
          socket.on('error', () => resolve());
          socket.on('close', () => sockets.delete(socket));
          socket.resume();
          if (options.trickleMs) {
            const timer = setInterval(() => socket.writable && socket.write('N'), options.trickleMs);
            timer.unref();
            timers.push(timer);
          }
        }),
    ),
  );
  return {
    open: () => sockets.size,
    release() {
      for (const timer of timers) clearInterval(timer);
      for (const socket of sockets) socket.destroy();
    },
  };
}

/** One connection pipelining `count` commands (NOOP unless said: e.g. EHLO, or RSET/MAIL/RCPT), in batches, then QUIT; resolves with the bytes sent. */
export function noopFlood(target: Target, count: number, timeoutMs = 30_000, lines = 'NOOP\r\n'): Promise<number> {
  assertLoopback(target.address);
  return new Promise((resolve) => {
    const socket = connect({ host: target.address, port: target.port });
    let sent = 0;
    const finish = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(sent);
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on('error', finish);
    socket.on('close', finish);
    socket.resume();
    socket.once('data', () => {
      const batch = Buffer.from(lines.repeat(1000));
      const pump = (): void => {
        while (sent < count * lines.length) {
          sent += batch.length;
          if (!socket.write(batch)) {
            socket.once('drain', pump);
            return;
          }
        }
        socket.end('QUIT\r\n');
      };
      pump();
    });
  });
}

/** Deliver one message as a sender would (STARTTLS when offered, any certificate), and how long it took. */
export async function deliverProbe(target: Target & { from: string; to: string; hostname: string }, timeoutMs = 60_000): Promise<number> {
  assertLoopback(target.address);
  const start = performance.now();
  const transport = nodemailer.createTransport({
    host: target.address,
    port: target.port,
    name: 'abuse-probe.invalid',
    // Go on in the clear where STARTTLS fails (nodemailer tries it at no-starttls too, see docs/observed-behaviour.md).
    opportunisticTLS: true,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    tls: { servername: target.hostname, rejectUnauthorized: false },
  });
  try {
    await transport.sendMail({
      envelope: { from: target.from, to: [target.to] },
      raw: `From: <${target.from}>\r\nTo: <${target.to}>\r\nSubject: under attack\r\nMessage-ID: <abuse-${Date.now()}@abuse.invalid>\r\n\r\nstill delivered\r\n`,
    });
  } finally {
    transport.close();
  }
  return performance.now() - start;
}
