import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import type { Probe } from '../probes/probe.js';
import { SenderError, type ProbeTarget, type SendResult, type Sender, type RetryModel } from './sender.js';

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
  /** How the relay retries, as the user stated it (retries=, attempt=). */
  retries?: RetryModel;
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
  readonly retries: RetryModel | null;
  readonly #options: SmtpSenderOptions;
  /** The password as a relay could echo it back in a reply (see secretForms): masked in every text this sender reports. */
  readonly #secrets: string[] = [];
  readonly #transport: Transporter<SMTPTransport.SentMessageInfo, SMTPTransport.Options>;

  constructor(spec: string, options: SmtpSenderOptions) {
    this.spec = spec;
    this.label = options.label ?? `${options.host}:${options.port}`;
    this.retries = options.retries ?? null;
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
      this.#secrets = secretForms(options.user, pass);
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
      // A relay that drops a connection before its greeting (a full listen backlog) or answers 421 is busy, not absent.
      for (let attempt = 1; ; attempt++) {
        try {
          await this.#transport.verify();
          break;
        } catch (error) {
          const transient = submissionFailure(error).failure?.kind !== 'permanent' && (error as { code?: string }).code !== 'EAUTH';
          if (!transient || attempt >= CHECK_ATTEMPTS) throw error;
          await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
        }
      }
    } catch (error) {
      const e = error as Error & { code?: string; responseCode?: number; response?: string };
      // The relay's reply is quoted, and a relay may quote back what it was sent: the AUTH exchange among it.
      if (e.code === 'EAUTH') {
        throw new SenderError(`relay ${where} refused AUTH for user "${this.#options.user ?? ''}": ${this.#redact(oneLine(e.response ?? e.message))}; check the user and the password variable`, { cause: error });
      }
      if (e.code === 'ETLS' || /TLS|certificate/i.test(e.message)) {
        throw new SenderError(`relay ${where}: TLS to the relay failed (${this.#redact(oneLine(e.message))}); check tls= and ca=`, { cause: error });
      }
      throw new SenderError(`cannot reach relay ${where}: ${this.#redact(oneLine(e.message))}`, { cause: error, kind: 'unreachable' });
    }
  }

  async send(probe: Probe, message: string, _target: ProbeTarget): Promise<SendResult> {
    try {
      const info = await this.#transport.sendMail({ envelope: { from: probe.from, to: [probe.recipient] }, raw: message });
      return { accepted: true, final: false, detail: this.#redact(`relay accepted: ${oneLine(String(info.response))}`) };
    } catch (error) {
      // The detail goes to run.json and the reports: no echo of the credentials in it either.
      const result = submissionFailure(error);
      return { ...result, detail: this.#redact(result.detail) };
    }
  }

  close(): Promise<void> {
    this.#transport.close();
    return Promise.resolve();
  }

  #redact(text: string): string {
    return this.#secrets.reduce((out, secret) => out.split(secret).join('***'), text);
  }
}

/**
 * The forms a password takes on the wire, which a relay's error reply may quote: as is, the
 * AUTH LOGIN response (base64 of the password) and the AUTH PLAIN response (base64 of
 * "\0user\0password", RFC 4616), each without its "=" padding so that a reply quoting
 * them with or without it is caught. Longest first, so no shorter one splits a longer one.
 */
function secretForms(user: string, pass: string): string[] {
  const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64').replace(/=+$/, '');
  const forms = [pass, base64(pass), base64(`\0${user}\0${pass}`), base64(`${user}\0${user}\0${pass}`)];
  return [...new Set(forms)].filter((form) => form.length > 0).sort((a, b) => b.length - a.length);
}

/**
 * What a failed submission means. A reply code decides when there is one (RFC 5321 §4.2.1:
 * 4yz is transient, 5yz permanent; a 421 greeting is 4yz too). Without one, nodemailer's
 * error code says the relay never got to answer: refused or reset connection, no greeting,
 * a timeout. Only a permanent refusal is the relay's answer; the run retries the others.
 */
export function submissionFailure(error: unknown): SendResult {
  const e = error as Error & { responseCode?: number; code?: string };
  const code = typeof e.responseCode === 'number' ? e.responseCode : null;
  if (code !== null && code >= 500) return { accepted: false, final: true, detail: `relay refused: ${oneLine(e.message)}`, failure: { kind: 'permanent', code } };
  if (code !== null && code >= 400) return { accepted: false, final: true, detail: `relay deferred: ${oneLine(e.message)}`, failure: { kind: 'temporary', code } };
  return { accepted: false, final: true, detail: `relay not reachable: ${oneLine(e.message)}${e.code ? ` (${e.code})` : ''}`, failure: { kind: 'unreachable', code: null } };
}

/** How often check() tries a relay that fails transiently before the run gives up on it. */
const CHECK_ATTEMPTS = 3;

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 300);
}
