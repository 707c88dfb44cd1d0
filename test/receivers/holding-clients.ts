import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import nodemailer from 'nodemailer';
import { RawSmtpClient } from '../helpers/smtp-client.js';

/**
 * Clients that hold connections open without delivering anything: `idle` ones send
 * nothing at all, `slow` ones send one byte at a time and never finish a line (the
 * slowloris of SMTP). Every one is bounded: it sends at most `maxBytes` and stops when
 * the server closes it or when stop() is called. Loopback only.
 */
export type HoldMode = 'idle' | 'slow';

export interface HoldingClient {
  readonly socket: Socket;
  readonly mode: HoldMode;
  readonly localAddress: string;
  /** What the server sent. */
  readonly received: () => string;
  readonly closed: () => boolean;
  /** When the server's close (or an error) was seen, or null. */
  readonly closedAt: () => number | null;
  stop(): void;
}

export interface HoldOptions {
  address: string;
  port: number;
  localAddress: string;
  mode: HoldMode;
  /** Slow clients: one byte this often (default 2 s). */
  byteEveryMs?: number;
  /** Slow clients: at most this many bytes in all (default 200). */
  maxBytes?: number;
}

const TRICKLE = Buffer.from('NOOP ');

export function hold(options: HoldOptions): Promise<HoldingClient> {
  const socket = connect({ host: options.address, port: options.port, localAddress: options.localAddress });
  let received = '';
  let closedAt: number | null = null;
  let timer: NodeJS.Timeout | null = null;
  let sent = 0;
  const stop = (): void => {
    if (timer) clearInterval(timer);
    timer = null;
    socket.destroy();
  };
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    if (received.length < 4096) received += chunk;
  });
  socket.on('close', () => {
    closedAt ??= Date.now();
    if (timer) clearInterval(timer);
    timer = null;
  });
  return new Promise((resolve, reject) => {
    socket.once('error', (error) => {
      closedAt ??= Date.now();
      reject(error);
    });
    socket.once('connect', () => {
      socket.on('error', () => undefined);
      if (options.mode === 'slow') {
        const maxBytes = options.maxBytes ?? 200;
        timer = setInterval(() => {
          if (socket.destroyed || sent >= maxBytes) {
            if (timer) clearInterval(timer);
            timer = null;
            return;
          }
          // "NOOP " and then x's: one byte at a time, never a line end.
          socket.write(sent < TRICKLE.length ? TRICKLE.subarray(sent, sent + 1) : 'x');
          sent += 1;
        }, options.byteEveryMs ?? 2_000);
        timer.unref();
      }
      resolve({
        socket,
        mode: options.mode,
        localAddress: options.localAddress,
        received: () => received,
        closed: () => closedAt !== null,
        closedAt: () => closedAt,
        stop,
      });
    });
  });
}

/**
 * Open `count` holding clients, spread round-robin over `localAddresses`, alternately idle
 * and slow (`slowEvery`: every n-th is slow, 0 for none), `concurrency` at a time.
 * Connections that fail are counted, not retried.
 */
export async function holdMany(
  target: { address: string; port: number },
  count: number,
  options: { localAddresses: string[]; slowEvery?: number; byteEveryMs?: number; maxBytes?: number; concurrency?: number },
): Promise<{ clients: HoldingClient[]; failed: number }> {
  const clients: HoldingClient[] = [];
  let failed = 0;
  let next = 0;
  const slowEvery = options.slowEvery ?? 2;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      try {
        clients.push(
          await hold({
            ...target,
            localAddress: options.localAddresses[i % options.localAddresses.length] as string,
            mode: slowEvery > 0 && i % slowEvery === slowEvery - 1 ? 'slow' : 'idle',
            ...(options.byteEveryMs ? { byteEveryMs: options.byteEveryMs } : {}),
            ...(options.maxBytes ? { maxBytes: options.maxBytes } : {}),
          }),
        );
      } catch {
        failed += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 50 }, () => worker()));
  return { clients, failed };
}

/** `count` loopback addresses from `prefix`.1 on (e.g. "127.0.141"), at most 254. */
export function loopbackAddresses(prefix: string, count: number): string[] {
  return Array.from({ length: Math.min(count, 254) }, (_, i) => `${prefix}.${i + 1}`);
}

/**
 * A real SMTP client (nodemailer) delivering one whole message over verified STARTTLS from
 * `localAddress`; resolves with how long it took and the Message-ID.
 */
export async function deliverProbe(options: {
  address: string;
  port: number;
  hostname: string;
  domain: string;
  caFile: string;
  localAddress: string;
  timeoutMs?: number;
}): Promise<{ ms: number; messageId: string }> {
  const started = Date.now();
  const timeout = options.timeoutMs ?? 30_000;
  const transport = nodemailer.createTransport({
    host: options.address,
    port: options.port,
    secure: false,
    requireTLS: true,
    name: 'probe.sender.example',
    localAddress: options.localAddress,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    tls: { ca: readFileSync(options.caFile), servername: options.hostname },
  });
  const messageId = `<probe.${started}.${Math.random().toString(36).slice(2)}@sender.example>`;
  try {
    await transport.sendMail({
      from: 'probe@sender.example',
      to: `probe@${options.domain}`,
      subject: 'probe under load',
      text: 'Synthetic probe (test data only).',
      messageId,
    });
  } finally {
    transport.close();
  }
  return { ms: Date.now() - started, messageId };
}

/** Poll until `condition` holds, or throw after `timeoutMs`. */
export async function waitUntil(condition: () => boolean, timeoutMs = 5_000, what = 'a condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A RawSmtpClient from a chosen source address (its own open() binds none): the private constructor takes a connected socket. */
export async function openRawFrom(host: string, port: number, localAddress: string): Promise<RawSmtpClient> {
  const socket = connect({ host, port, localAddress });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const Client = RawSmtpClient as unknown as new (socket: Socket) => RawSmtpClient;
  return new Client(socket);
}
