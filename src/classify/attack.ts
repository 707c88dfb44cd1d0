import type { Profile } from '../profiles/profile-schema.js';
import type { ConnectionSummary, Outcome } from './outcome.js';

/**
 * The tampering suite's three readings of a cell (issue 18), anchored to the test cases of
 * Poddebniak, Ising, Böck and Schinzel, "Why TLS is better without STARTTLS" (USENIX Security
 * 2021; the EAST fake mail server's `testcases/smtp`):
 * - `vulnerable`: the sender acted on plaintext a man in the middle injected (Buffering, B_1);
 * - `downgraded`: it delivered in plaintext after the transition was tampered with;
 * - `held`: neither: it did not deliver in plaintext, and acted on nothing injected.
 * Part of run.json (`cells[].attack`).
 */
export type AttackVerdict = 'vulnerable' | 'downgraded' | 'held';

export interface AttackReading {
  verdict: AttackVerdict;
  /** The EAST test case the profile plays, e.g. `B_1` or `others/starttls/354`. */
  case: string;
  /** What on record decided it, in one sentence. */
  signal: string;
}

type Tampering = NonNullable<Profile['tampering']>;

/** The EAST test case (testcases/smtp/…) that a profile's tampering reproduces. */
export function eastCase(tampering: Tampering): string {
  if (tampering.injection) return 'Buffering/B_1';
  if (tampering.greeting !== undefined) return `others/greeting/${tampering.greeting}`;
  // O_1 strips STARTTLS from the EHLO reply; here only from the first one.
  if (tampering.starttlsAdvertised) return 'Negotiation/O_1 (first EHLO only)';
  if (tampering.ehlo) return 'Negotiation/D_1';
  if (tampering.plaintextAfter220) return 'others/starttls/220 (then plaintext)';
  // O_4 is the paper's own 354 case; the rest are the artifacts' `others/starttls` reply codes.
  return tampering.starttlsReply === 354 ? 'Negotiation/O_4' : `others/starttls/${tampering.starttlsReply ?? 454}`;
}

/**
 * Commands a client sends only once it has read a reply to its EHLO: a mail transaction, or AUTH
 * (which the forged lines advertise). A second greeting, NOOP, RSET, HELP, QUIT or a blank line
 * shows nothing of the kind.
 */
const ACTS_ON_EHLO_REPLY = /^(MAIL|RCPT|DATA|BDAT|AUTH)\b/i;

/**
 * Whether the sender acted on the lines injected with the 220 to STARTTLS (events
 * `injection-check`): a mail-transaction command or AUTH inside TLS while its greeting there was
 * still unanswered (EHLO ends a pipelined group, RFC 2920 §3.1: no honest client sends one), or
 * as its first command inside TLS, with no greeting at all (RFC 3207 §4.2: what was learnt
 * before TLS is discarded; a client that starts a transaction unasked used it). Null otherwise.
 */
export function injectionSignal(evidence: readonly ConnectionSummary[]): string | null {
  for (const connection of evidence) {
    const check = connection.injection;
    if (!check) continue;
    const acted = check.lines.find((line) => ACTS_ON_EHLO_REPLY.test(line));
    if (acted === undefined) continue;
    if (check.withheld === null) {
      return `its first command inside TLS was "${acted}", with no greeting there: it went on with what it was told in plaintext, the forged lines injected with the 220 among it`;
    }
    return `inside TLS it sent "${acted}" while its ${check.withheld} was still unanswered: it took the forged 250 lines injected with the 220 as the reply`;
  }
  return null;
}

/**
 * The reading of a tampering-suite cell, from what the receiver recorded. Null for a profile
 * that tampers with nothing, and for a cell that is not evidence (`tested` false: inconclusive).
 */
export function readAttack(
  tampering: Tampering | undefined | null,
  cell: { outcome: Outcome; evidence: readonly ConnectionSummary[]; tested: boolean },
): AttackReading | null {
  if (!tampering || !cell.tested) return null;
  const eastId = eastCase(tampering);
  const injected = tampering.injection ? injectionSignal(cell.evidence) : null;
  if (injected) return { verdict: 'vulnerable', case: eastId, signal: injected };
  if (cell.outcome === 'plaintext-after-tls-failure') {
    return { verdict: 'downgraded', case: eastId, signal: 'it delivered in plaintext after its STARTTLS was tampered with' };
  }
  if (cell.outcome === 'delivered-plaintext') {
    return { verdict: 'downgraded', case: eastId, signal: 'it delivered in plaintext without TLS' };
  }
  if (cell.outcome === 'delivered-tls') {
    const checked = cell.evidence.some((c) => c.injection);
    return {
      verdict: 'held',
      case: eastId,
      signal: checked ? 'it delivered over TLS and waited for the reply inside TLS, acting on nothing injected' : 'it delivered over TLS',
    };
  }
  return { verdict: 'held', case: eastId, signal: 'it did not deliver in plaintext' };
}
