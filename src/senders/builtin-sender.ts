import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { Probe } from '../probes/probe.js';
import type { ProbeTarget, SendResult, Sender } from './sender.js';
import { SmtpClientError, SmtpClientSession } from './smtp-client.js';

export type BuiltinMode = 'opportunistic' | 'strict';

/**
 * The EHLO names the built-in senders use: names of their own, never the machine's, and one
 * per sender (its label), so that senders running side by side are told apart even on a
 * connection that named no probe (classify/attribute.ts): `strict-1a2b3c.builtin.badmx.invalid`.
 */
export function builtinHeloName(label: string): string {
  const slug = label
    .toLowerCase()
    .replace(/^builtin:/, '')
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  // A label that slugs to nothing, or to another label's slug, still gets a name of its own.
  const hash = createHash('sha256').update(label).digest('hex').slice(0, 6);
  return `${slug || 'sender'}-${hash}.builtin.badmx.invalid`;
}

/**
 * A built-in sender's names, from its mode and the label the user gave it (if any): the column
 * label, the spec as shown (`builtin:MODE?label=…`), and its own EHLO name (builtinHeloName).
 */
export function builtinNames(mode: string, label: string | undefined): { label: string; spec: string; helo: string } {
  const shown = label ?? `builtin:${mode}`;
  return { label: shown, spec: label === undefined ? `builtin:${mode}` : `builtin:${mode}?label=${encodeURIComponent(label)}`, helo: builtinHeloName(shown) };
}

/**
 * Built-in senders that deliver straight to the profile's MX, so a fresh machine can run
 * a full matrix with nothing installed.
 *
 * - opportunistic: what a default MTA does per RFC 3207: STARTTLS when offered, any
 *   version OpenSSL will speak, no certificate checks; plaintext when STARTTLS is absent
 *   or refused (same session), and a new plaintext session when the handshake fails
 *   (RFC 3207 §4.1 leaves that to the client; Postfix and Exim both do it at "may").
 * - strict: STARTTLS required, TLS 1.2 or later, chain verified against the test CA and
 *   the certificate checked against the MX hostname; never plaintext.
 */
export class BuiltinSender implements Sender {
  readonly kind = 'builtin' as const;
  readonly spec: string;
  readonly label: string;
  readonly mode: BuiltinMode;
  readonly notes: string[];
  readonly #timeoutMs: number;

  readonly #helo: string;

  constructor(mode: BuiltinMode, options: { label?: string; timeoutMs?: number } = {}) {
    this.mode = mode;
    ({ spec: this.spec, label: this.label, helo: this.#helo } = builtinNames(mode, options.label));
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.notes =
      mode === 'opportunistic'
        ? ['STARTTLS when offered, TLS 1.0 and up (OpenSSL security level 0), no certificate checks; falls back to plaintext']
        : ['STARTTLS required, TLS 1.2 and up, chain verified against the badmx CA bundle, MX hostname checked'];
  }

  check(): Promise<void> {
    return Promise.resolve(); // nothing to reach before the probes
  }

  close(): Promise<void> {
    return Promise.resolve(); // sessions are closed per probe
  }

  async send(probe: Probe, message: string, target: ProbeTarget): Promise<SendResult> {
    try {
      const how = await this.#attempt(probe, message, target, true);
      return { accepted: true, final: true, detail: how };
    } catch (error) {
      if (this.mode === 'opportunistic' && error instanceof SmtpClientError && error.code === 'ETLS') {
        try {
          await this.#attempt(probe, message, target, false);
          return { accepted: true, final: true, detail: 'TLS handshake failed; delivered in a new plaintext session' };
        } catch (retryError) {
          if (busy(retryError)) return { accepted: false, final: false, detail: `plaintext retry: ${retryError.message}`, failure: { kind: 'temporary', code: retryError.responseCode } };
          return { accepted: false, final: true, detail: `plaintext retry failed: ${(retryError as Error).message}` };
        }
      }
      // A receiver that is busy (421 in its greeting, RFC 5321 §3.1) said nothing of its TLS: try
      // again later, as an MTA does (RFC 5321 §4.5.4.1); submit-probes.ts retries until the deadline.
      return sessionFailure(error);
    }
  }

  async #attempt(probe: Probe, message: string, target: ProbeTarget, tryTls: boolean): Promise<string> {
    const session = await SmtpClientSession.connect(target.address, target.port, this.#timeoutMs);
    try {
      const banner = await session.reply('banner');
      if (banner.code !== 220) throw new SmtpClientError(`banner ${banner.lines.join(' / ')}`, 'EREPLY', 'banner', banner.code);
      await session.greet(this.#helo);
      let how = 'plaintext';
      if (tryTls && session.extensions.has('STARTTLS')) {
        const reply = await session.command('STARTTLS').catch((error: unknown) => {
          if (this.mode === 'strict') throw error;
          return null; // 454 or similar: RFC 3207 lets the client go on without TLS
        });
        if (reply) {
          const tls = await session.startTls(this.#tlsOptions(target));
          how = `over ${tls.getProtocol() ?? 'TLS'}`;
          if (session.discardedAfterStarttls > 0) how += ` (${session.discardedAfterStarttls} octets that came in plaintext after the 220 to STARTTLS were discarded)`;
          await session.greet(this.#helo); // RFC 3207 §4.2: forget everything, greet again
        } else {
          how = 'plaintext after STARTTLS was refused';
        }
      } else if (this.mode === 'strict') {
        throw new SmtpClientError('the receiver does not offer STARTTLS', 'EPROTOCOL', 'EHLO');
      }
      await session.transaction(probe.from, probe.recipient, message);
      return `delivered ${how}`;
    } finally {
      await session.quit();
    }
  }

  #tlsOptions(target: ProbeTarget): ConnectionOptions {
    if (this.mode === 'strict') {
      return {
        servername: target.hostname,
        ca: readFileSync(target.caFile),
        minVersion: 'TLSv1.2',
        rejectUnauthorized: true,
      };
    }
    return {
      servername: target.hostname,
      rejectUnauthorized: false,
      minVersion: 'TLSv1',
      ciphers: 'DEFAULT:@SECLEVEL=0',
    };
  }
}

/**
 * A built-in sender's session that failed for a reason it does not act on itself: final, except
 * a busy greeting (4xx), which an MTA retries (RFC 5321 §4.5.4.1) and submit-probes.ts retries
 * until the deadline. `note` goes before the error's own words.
 */
export function sessionFailure(error: unknown, note?: string): SendResult {
  const detail = note === undefined ? (error as Error).message : `${note}; ${(error as Error).message}`;
  if (busy(error)) return { accepted: false, final: false, detail, failure: { kind: 'temporary', code: error.responseCode } };
  return { accepted: false, final: true, detail };
}

/** A receiver too busy to talk: a 4xx greeting. */
function busy(error: unknown): error is SmtpClientError & { responseCode: number } {
  return error instanceof SmtpClientError && error.stage === 'banner' && error.responseCode !== null && error.responseCode >= 400 && error.responseCode < 500;
}
