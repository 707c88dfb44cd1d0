import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import type { Probe } from '../probes/probe.js';
import { SenderError, type ProbeTarget, type SendResult, type Sender } from './sender.js';

export type RelayTls = 'opportunistic' | 'starttls' | 'implicit' | 'none';

export interface SmtpSenderOptions {
  host: string;
  port: number;
  tls: RelayTls;
  user?: string;
  /** Name of the environment variable holding the password (never the password itself). */
  passwordEnv?: string;
  /** CA file to trust for the relay's own certificate (e.g. a relay with a private CA). */
  caFile?: string;
  label?: string;
}

/**
 * `smtp:` submits each probe to an SMTP relay or submission endpoint (a vendor's SMTP
 * interface such as Amazon SES, SendGrid, Mailgun or Postmark; or one's own Postfix or
 * Exim), which then delivers it to the receiver. The relay delivers later, so an
 * accepted submission is not a final result: the receivers' records are.
 */
export class SmtpSender implements Sender {
  readonly kind = 'smtp' as const;
  readonly spec: string;
  readonly label: string;
  readonly notes: string[] = [];
  readonly #options: SmtpSenderOptions;
  readonly #transport: Transporter<SMTPTransport.SentMessageInfo, SMTPTransport.Options>;

  constructor(spec: string, options: SmtpSenderOptions) {
    this.spec = spec;
    this.label = options.label ?? `${options.host}:${options.port}`;
    this.#options = options;
    let auth: { user: string; pass: string } | undefined;
    if (options.user !== undefined) {
      const variable = options.passwordEnv ?? 'BADMX_SMTP_PASSWORD';
      const pass = process.env[variable];
      if (pass === undefined || pass === '') {
        throw new SenderError(`${spec}: AUTH user "${options.user}" needs its password in the environment variable ${variable}, which is not set`);
      }
      if (options.tls === 'none' || (options.tls === 'opportunistic' && !isLoopback(options.host))) {
        throw new SenderError(`${spec}: refusing to send credentials without TLS; use tls=starttls or tls=implicit`);
      }
      auth = { user: options.user, pass };
    }
    const transportOptions: SMTPTransport.Options = {
      host: options.host,
      port: options.port,
      secure: options.tls === 'implicit',
      requireTLS: options.tls === 'starttls',
      ignoreTLS: options.tls === 'none',
      ...(auth ? { auth } : {}),
      name: 'badmx.invalid',
      connectionTimeout: 15_000,
      greetingTimeout: 15_000,
      socketTimeout: 60_000,
      tls: {
        ...(isIP(options.host) ? {} : { servername: options.host }),
        ...(options.caFile ? { ca: readFileSync(options.caFile) } : {}),
      },
    };
    this.#transport = nodemailer.createTransport(transportOptions);
  }

  async check(): Promise<void> {
    const where = `${this.#options.host}:${this.#options.port}`;
    try {
      await this.#transport.verify();
    } catch (error) {
      const e = error as Error & { code?: string; responseCode?: number; response?: string };
      if (e.code === 'EAUTH') {
        throw new SenderError(`relay ${where} refused AUTH for user "${this.#options.user ?? ''}": ${oneLine(e.response ?? e.message)}; check the user and the password variable`, { cause: error });
      }
      if (e.code === 'ETLS' || /TLS|certificate/i.test(e.message)) {
        throw new SenderError(`relay ${where}: TLS to the relay failed (${oneLine(e.message)}); check tls= and ca=`, { cause: error });
      }
      throw new SenderError(`cannot reach relay ${where}: ${oneLine(e.message)}`, { cause: error });
    }
  }

  async send(probe: Probe, message: string, _target: ProbeTarget): Promise<SendResult> {
    try {
      const info = await this.#transport.sendMail({ envelope: { from: probe.from, to: [probe.recipient] }, raw: message });
      return { accepted: true, final: false, detail: `relay accepted: ${oneLine(String(info.response))}` };
    } catch (error) {
      const e = error as Error & { responseCode?: number };
      // A 4xx at submission may be retried by us later? No: a relay's temporary refusal is its answer for this run.
      return { accepted: false, final: true, detail: `relay refused: ${oneLine(e.message)}` };
    }
  }

  close(): Promise<void> {
    this.#transport.close();
    return Promise.resolve();
  }
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 300);
}
