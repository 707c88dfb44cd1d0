import { Resolver } from 'node:dns/promises';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';

/**
 * A small relay for tests of how badmx treats the senders it did not start: an MTA that
 * badmx has no recipe for, reached through `smtp:`. It takes mail on a loopback port, finds
 * each recipient's MX through the DNS server it is given (as a real MTA does through its
 * resolver), and delivers there with nodemailer. Its faults are switches, each one a real
 * relay's behaviour:
 * - `rejectRcpt`: answer RCPT with this reply (e.g. 553 5.1.8 for an unknown sender domain);
 * - `maxConcurrent`: close, before the greeting, every connection beyond this many at once
 *   (a relay with a small listen backlog or process limit under a burst of submissions);
 * - `verify`: TLS required and the certificate verified against the system roots only (a
 *   relay that does not trust the badmx test root);
 * - `bounceOn`: for these recipient domains, do not deliver but send an RFC 3464 bounce to the
 *   envelope sender's MX, with `diagnostic` as the Diagnostic-Code.
 * A relay with no DNS (or a lookup that fails) simply never delivers, as a real one defers.
 */
export interface ToyRelayOptions {
  address: string;
  dns: { address: string; port: number } | null;
  /** Where every MX listens (the test fleet's port). */
  deliveryPort: number;
  rejectRcpt?: { code: number; message: string };
  maxConcurrent?: number;
  verify?: boolean;
  bounceOn?: { domains: string[]; status: string; diagnostic: string };
}

export interface ToyRelay {
  port: number;
  /** Connections closed before the greeting so far. */
  dropped(): number;
  /** Delivery attempts that failed, with why. */
  failures: string[];
  stop(): Promise<void>;
}

export async function startToyRelay(options: ToyRelayOptions): Promise<ToyRelay> {
  const failures: string[] = [];
  let dropped = 0;
  const pending = new Set<Promise<void>>();
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (options.rejectRcpt) callback(Object.assign(new Error(options.rejectRcpt.message), { responseCode: options.rejectRcpt.code }));
      else callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        for (const rcpt of session.envelope.rcptTo) {
          const job = relay(options, from, rcpt.address, raw, failures).finally(() => pending.delete(job));
          pending.add(job);
        }
        callback(null, 'queued by toy relay');
      });
    },
  });
  // In front of smtp-server: the connections to drop never get a greeting.
  let open = 0;
  const front: NetServer = createNetServer((socket: Socket) => {
    if (open >= (options.maxConcurrent ?? Infinity)) {
      dropped++;
      socket.destroy();
      return;
    }
    open++;
    socket.once('close', () => open--);
    smtp.server.emit('connection', socket);
  });
  await new Promise<void>((resolve) => front.listen(0, options.address, resolve));
  return {
    port: (front.address() as { port: number }).port,
    dropped: () => dropped,
    failures,
    async stop() {
      front.close();
      await Promise.allSettled([...pending]);
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
    },
  };
}

async function relay(options: ToyRelayOptions, from: string, to: string, raw: string, failures: string[]): Promise<void> {
  const domain = to.slice(to.lastIndexOf('@') + 1).toLowerCase();
  try {
    if (options.bounceOn?.domains.includes(domain)) {
      if (from) await deliver(options, '', from, dsn(from, to, raw, options.bounceOn.status, options.bounceOn.diagnostic), false);
      return;
    }
    await deliver(options, from, to, raw, options.verify === true);
  } catch (error) {
    failures.push(`${to}: ${(error as Error).message}`);
  }
}

async function deliver(options: ToyRelayOptions, from: string, to: string, raw: string, verify: boolean): Promise<void> {
  if (!options.dns) throw new Error('no DNS: MX lookup failed');
  const resolver = new Resolver({ timeout: 1_000, tries: 1 });
  resolver.setServers([`${options.dns.address}:${options.dns.port}`]);
  const domain = to.slice(to.lastIndexOf('@') + 1);
  const [mx] = (await resolver.resolveMx(domain)).sort((a, b) => a.priority - b.priority);
  if (!mx) throw new Error(`no MX for ${domain}`);
  const [address] = await resolver.resolve4(mx.exchange);
  if (!address) throw new Error(`no address for ${mx.exchange}`);
  const transport = nodemailer.createTransport({
    host: address,
    port: options.deliveryPort,
    name: 'toy-relay.test',
    requireTLS: verify,
    // Go on in the clear when STARTTLS fails, as an opportunistic MTA does (nodemailer tries it at no-starttls too: see docs/observed-behaviour.md).
    opportunisticTLS: !verify,
    connectionTimeout: 5_000,
    greetingTimeout: 5_000,
    socketTimeout: 10_000,
    // Verifying: the system roots only, as a relay that was never told about the badmx test root.
    tls: verify ? { servername: mx.exchange, rejectUnauthorized: true } : { servername: mx.exchange, rejectUnauthorized: false },
  });
  try {
    await transport.sendMail({ envelope: { from, to: [to] }, raw });
  } finally {
    transport.close();
  }
}

/** An RFC 3464 delivery status notification (multipart/report, RFC 6522) for one recipient, with the original headers. */
function dsn(to: string, failed: string, original: string, status: string, diagnostic: string): string {
  const boundary = 'toy-relay-dsn-boundary';
  const headers = original.split(/\r?\n\r?\n/)[0] ?? '';
  return [
    'From: Mail Delivery System <MAILER-DAEMON@toy-relay.test>',
    `To: <${to}>`,
    'Subject: Undelivered Mail Returned to Sender',
    `Message-ID: <dsn-${Date.now()}-${Math.random().toString(36).slice(2)}@toy-relay.test>`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=us-ascii',
    '',
    `Your message to <${failed}> could not be delivered.`,
    '',
    `--${boundary}`,
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; toy-relay.test',
    '',
    `Final-Recipient: rfc822; ${failed}`,
    'Action: failed',
    `Status: ${status}`,
    `Diagnostic-Code: smtp; ${diagnostic}`,
    '',
    `--${boundary}`,
    'Content-Type: text/rfc822-headers',
    '',
    headers,
    '',
    `--${boundary}--`,
    '',
  ].join('\r\n');
}
