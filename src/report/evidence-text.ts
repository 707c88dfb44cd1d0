import type { ConnectionSummary } from '../classify/outcome.js';
import type { ReceivedHop } from '../evidence/received-hop.js';
import type { Cell } from '../document/run-document.js';
import { bounceText, settleLine } from './cell-label.js';
import { expectationLabel } from './matrix-model.js';
import { duration, elapsedMs, relative, utc } from './format-time.js';
import type { RunProfile } from '../document/run-document.js';

/** What the receiver saw on one connection, in order, as one line. */
export function describeConnection(c: ConnectionSummary): string {
  const steps: string[] = [];
  if (c.helo !== null) steps.push(`HELO ${c.helo}`);
  if (c.starttls !== null) steps.push(`STARTTLS → ${c.starttls}`);
  if (c.tls) steps.push(`TLS ${c.tls.version} ${c.tls.cipher}${c.tls.sni ? ` (SNI ${c.tls.sni})` : ''}`);
  if (c.tlsFailure) steps.push(`TLS failed (${c.tlsFailure.origin}${c.tlsFailure.alert ? `, ${c.tlsFailure.alert}` : ''}): ${c.tlsFailure.reason}`);
  if (c.mailFrom !== null) steps.push(`MAIL FROM <${c.mailFrom}>`);
  if (c.rcptTo.length > 0) steps.push(`RCPT TO ${c.rcptTo.map((r) => `<${r}>`).join(' ')}`);
  if (c.data) steps.push(`DATA → ${c.data.reply}${c.data.accepted ? ' (accepted)' : ''}`);
  if (steps.length === 0) steps.push('no SMTP greeting answered');
  return steps.join('; ');
}

/** A hop's TLS as one phrase: "TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 (128 bits, verify=NONE)", "no TLS", "TLS: unknown". */
export function describeHopTls(hop: ReceivedHop): string {
  const t = hop.tls;
  if (t.tls === false) return 'no TLS';
  if (t.tls === 'unknown') return 'TLS: unknown';
  const extras = [t.bits !== null ? `${t.bits} bits` : null, t.verify !== null ? `verify=${t.verify}` : null].filter((x) => x !== null);
  return [t.version ?? 'TLS', t.cipher, extras.length ? `(${extras.join(', ')})` : null].filter((x) => x !== null).join(' ');
}

/** Everything known about a cell, as plain lines: for JUnit bodies and other text outputs. */
export function cellEvidenceLines(cell: Cell, profile: RunProfile | undefined): string[] {
  const lines: string[] = [];
  if (profile) lines.push(`expected: ${expectationLabel(profile.expected)} (${profile.expected.because})`);
  lines.push(`observed: ${cell.outcome}`);
  lines.push(`verdict: ${cell.verdict}: ${cell.reason}`);
  if (cell.inconclusive) lines.push(`inconclusive: ${cell.inconclusive.cause}: ${cell.inconclusive.detail}`);
  lines.push(`tls: ${cell.tls ? `${cell.tls.version} ${cell.tls.cipher}` : 'none'}`);
  if (cell.alert) lines.push(`alert: ${cell.alert}`);
  const span = elapsedMs(cell.firstSeen, cell.lastSeen);
  lines.push(
    `connections: ${cell.connections}` +
      (cell.firstSeen ? `, first seen ${utc(cell.firstSeen, { ms: true })}` : '') +
      (span !== null ? `, over ${duration(span)}` : ''),
  );
  // What ended the wait (or that the deadline did), how long from the submission, and the run's word on why that was enough.
  lines.push(settleLine(cell));
  if (cell.submission) {
    lines.push(`submission: ${cell.submission.accepted ? 'accepted' : 'not accepted'}${cell.submission.final ? ', final' : ''}: ${cell.submission.detail.trimEnd()}`);
    lines.push(`submission attempts: ${cell.submission.attempts ?? 1}`);
  }
  for (const [i, bounce] of (cell.bounces ?? []).entries()) {
    lines.push(`bounce ${i + 1} at ${utc(bounce.at, { ms: true })} (${bounce.format}): ${bounceText(bounce)}`);
  }
  const base = cell.evidence[0]?.start ?? null;
  cell.evidence.forEach((c, i) => {
    lines.push(`connection ${i + 1} from ${c.peer}, ${base ? relative(base, c.start) : c.start} to ${c.end && base ? relative(base, c.end) : 'still open'}: ${describeConnection(c)}`);
  });
  if (cell.received) lines.push(`received: ${cell.received}`);
  for (const [i, hop] of (cell.hops ?? []).entries()) {
    lines.push(`hop ${i + 1}: from ${hop.from.helo ?? '?'} [${hop.from.address ?? '?'}] by ${hop.by.host ?? '?'} with ${hop.with ?? '?'}: ${describeHopTls(hop)}`);
  }
  if (cell.evidenceMismatch) lines.push(`evidence mismatch: ${cell.evidenceMismatch}`);
  return lines;
}
