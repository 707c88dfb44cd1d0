import type { ConnectionSummary, Outcome } from '../classify/outcome.js';
import { isDelivered } from '../classify/outcome.js';
import type { BounceFacts, SubmissionFacts } from './judge-cell.js';

/** One cell of the sender, as the diagnosis reads it. */
export interface SenderCellFacts {
  control: boolean;
  outcome: Outcome;
  evidence: Pick<ConnectionSummary, 'tls' | 'tlsFailure' | 'starttls'>[];
  submission: SubmissionFacts | null;
  bounces: BounceFacts[];
}

export interface SenderContext {
  /** The CA bundle a sender must trust to verify the controls. */
  caFile: string;
  /** The harness DNS address, when the run served DNS; null when it did not. */
  dns: string | null;
  /** In-zone questions the harness DNS answered during the sender's steps; null when the run served no DNS. */
  dnsQueries: number | null;
  /** Whether the sender finds receivers by MX (a relay, a managed MTA), rather than being handed the address (builtin). */
  resolves: boolean;
  /**
   * Whether it can be expected to trust the test root (run/certificate-caveat.ts): false for a
   * vendor in public mode, where the controls need a publicly trusted certificate instead.
   */
  trustsHarnessRoot?: boolean;
}

/** TLS alerts a client sends when it does not accept the server's certificate (RFC 8446 §6.2). */
const CERTIFICATE_ALERTS = /unknown_ca|bad_certificate|certificate_unknown|unsupported_certificate|certificate_expired|certificate_revoked|decrypt_error|access_denied/;

/**
 * The controls are canaries (profiles/profile-role.ts). Null when the sender delivered to at
 * least one control: its path to the receivers works, so its refusals elsewhere are its
 * policy. Otherwise one line saying what was seen instead, as specific as the evidence
 * allows, so a user knows what to fix: every refusal cell of the sender is then inconclusive.
 */
export function diagnoseSender(cells: SenderCellFacts[], context: SenderContext): string | null {
  const controls = cells.filter((c) => c.control);
  if (controls.some((c) => isDelivered(c.outcome))) return null;
  const lead = 'delivered to no control profile, so its refusals prove nothing';
  if (controls.length === 0) return `${lead}: no control profile (valid certificate, TLS 1.2 or later) was in the run`;

  const submitted = cells.filter((c) => c.submission !== null);
  if (submitted.length === 0) return `${lead}: no probe was handed to it`;
  const refused = submitted.filter((c) => !c.submission?.accepted && c.evidence.length === 0);
  if (refused.length === submitted.length) {
    const first = refused[0]?.submission;
    const unreachable = first?.failure?.kind === 'unreachable' || first?.failure?.kind === 'temporary';
    return `${lead}: ${unreachable ? 'no probe could be submitted' : 'it refused every probe'} (${first?.detail ?? 'no detail'})`;
  }
  const bounce = cells.flatMap((c) => c.bounces).find((b) => b.action === 'failed' || b.action === 'delayed');
  const said = bounce?.diagnostic ? `; it said: ${bounce.diagnostic}` : '';

  if (cells.every((c) => c.evidence.length === 0)) {
    if (!context.resolves) return `${lead}: it never connected to any receiver${said}`;
    if (context.dnsQueries === null) {
      return `${lead}: it never connected to any receiver, and badmx served no DNS in this run: point its resolver at the harness DNS (run with --dns <ip>)${said}`;
    }
    if (context.dnsQueries === 0) {
      return `${lead}: it never connected to any receiver, and the harness DNS on ${context.dns ?? '?'} saw no query while it ran: is its resolver pointed there?${said}`;
    }
    return `${lead}: it never connected to any receiver, though the harness DNS answered ${context.dnsQueries} quer${context.dnsQueries === 1 ? 'y' : 'ies'} while it ran${said}`;
  }
  const seen = controls.flatMap((c) => c.evidence);
  const trust =
    context.trustsHarnessRoot === false
      ? 'the controls were served with the badmx test root, which this sender cannot be expected to trust: serve a publicly trusted certificate for them (--cert/--key)'
      : `does it trust ${context.caFile}?`;
  const alert = seen.map((e) => e.tlsFailure?.alert).find((a): a is string => typeof a === 'string' && CERTIFICATE_ALERTS.test(a));
  if (alert) return `${lead}: it connected to the controls but refused their certificate (alert ${alert}): ${trust}`;
  if (seen.some((e) => e.tlsFailure)) return `${lead}: its TLS handshake with the controls failed (does it speak TLS 1.2 or later?): ${trust}`;
  if (seen.some((e) => e.tls)) return `${lead}: it completed TLS with the controls, then left without sending: ${trust}`;
  if (seen.some((e) => e.starttls !== null)) return `${lead}: it asked the controls for STARTTLS but never completed a handshake${said}`;
  if (seen.length > 0) return `${lead}: it connected to the controls but never started TLS nor sent the probe${said}`;
  return `${lead}: it never connected to a control receiver${said}`;
}
