import type { TlsFailureOrigin, TlsVersion } from '../recorder/events.js';
import type { ConnectionHello } from './client-hellos.js';

/** What a sender did with one probe, as the receiver saw it. Names are part of run.json. */
export const OUTCOMES = [
  'delivered-plaintext',
  'delivered-tls',
  'plaintext-after-tls-failure',
  'refused-before-tls',
  'refused-at-handshake',
  'refused-after-handshake',
  'not-attempted',
] as const;
export type Outcome = (typeof OUTCOMES)[number];

export function isDelivered(outcome: Outcome): boolean {
  return outcome === 'delivered-plaintext' || outcome === 'delivered-tls' || outcome === 'plaintext-after-tls-failure';
}

/** One connection of a probe, summarised for the report (the evidence behind a cell). */
export interface ConnectionSummary {
  conn: string;
  peer: string;
  start: string;
  end: string | null;
  helo: string | null;
  /** Reply to STARTTLS, or null if the sender never asked. */
  starttls: number | null;
  tls: { version: TlsVersion | 'unknown'; cipher: string; sni: string | null } | null;
  tlsFailure: { origin: TlsFailureOrigin; alert: string | null; reason: string } | null;
  mailFrom: string | null;
  rcptTo: string[];
  /** The DATA reply, when a message was sent on this connection. */
  data: { accepted: boolean; reply: number; messageId: string | null } | null;
  commands: string[];
  /** starttls-injection (events `injection-check`): the greeting inside TLS whose reply was withheld, and the lines sent meanwhile. */
  injection?: { withheld: 'EHLO' | 'HELO' | null; lines: string[] };
  /** The sender's ClientHello on this connection, fingerprinted (client-hellos.ts); absent where it sent none or a badmx before it ran. */
  clientHello?: ConnectionHello;
}

export interface Classification {
  outcome: Outcome;
  tls: { version: TlsVersion | 'unknown'; cipher: string } | null;
  /** The alert of the handshake failure that decided the outcome, if there was one. */
  alert: string | null;
  connections: number;
  firstSeen: string | null;
  lastSeen: string | null;
  /** The receiver's Received header on the delivered probe. */
  received: string | null;
  /** The stored delivered message, relative to the event log's directory. */
  message: string | null;
  evidence: ConnectionSummary[];
}
