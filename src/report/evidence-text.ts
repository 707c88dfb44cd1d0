import type { ConnectionSummary } from '../classify/outcome.js';
import type { PolicyFetch } from '../classify/policy-fetches.js';
import type { ReceivedHop } from '../evidence/received-hop.js';
import type { Cell } from '../document/run-document.js';
import { bounceText, settleLine } from './cell-label.js';
import { expectationLabel } from './matrix-model.js';
import { clock, duration, elapsedMs, relative, utc } from './format-time.js';
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
/**
 * How sure a hop's TLS reading is (ReceivedHop tls.basis): which words of the field stated it.
 * "-" for a run.json written before badmx said so.
 */
export function hopBasisText(hop: ReceivedHop): string {
  const { basis, statement } = hop.tls;
  const quoted = statement ? `: ${statement}` : '';
  switch (basis) {
    case 'keyword':
      return `keyword${quoted}`;
    case 'comment':
      return `comment${quoted}`;
    case 'clause':
      return `with clause${quoted}`;
    case 'none':
      return 'nothing stated';
    default:
      return '-';
  }
}

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
  // What the failure exposes, and the rules it touches, as the profile catalogue says (absent in older runs).
  if (cell.verdict === 'fail' && profile?.risk !== undefined) lines.push(`risk: ${profile.risk}`);
  if (cell.verdict === 'fail' && profile?.rules?.length) lines.push(`rules: ${profile.rules.join('; ')}`);
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
    lines.push(`hop ${i + 1}: from ${hop.from.helo ?? '?'} [${hop.from.address ?? '?'}] by ${hop.by.host ?? '?'} with ${hop.with ?? '?'}: ${describeHopTls(hop)} (stated by ${hopBasisText(hop)})`);
  }
  if (cell.evidenceMismatch) lines.push(`evidence mismatch: ${cell.evidenceMismatch}`);
  // What the profile's MTA-STS policy host saw of the sender: did it fetch the policy it was to honour?
  const summary = policyHostSummary(cell, profile);
  if (summary !== null) lines.push(`mta-sts: ${summary}`);
  for (const fetch of cell.policyFetches ?? []) lines.push(`mta-sts: ${policyFetchText(fetch)}`);
  // What the profile publishes by DANE, what it presented, and whether the sender asked for the records.
  if (profile?.tlsa) lines.push(...daneLines(cell, profile.tlsa));
  return lines;
}

/**
 * The DANE evidence of a cell, one line each: the TLSA records the profile published (and how
 * they validate), the certificate the receiver presents, and the sender's TLSA lookups as the
 * harness DNS saw them ("never asked" when none is its own).
 */
export function daneLines(cell: Pick<Cell, 'tlsaQueries'>, tlsa: NonNullable<RunProfile['tlsa']>): string[] {
  const lines = tlsa.records.map((r) => `dane: ${r.name} TLSA ${r.usage} ${r.selector} ${r.matchingType} ${r.data.slice(0, 16)}… (${tlsa.dnssec})`);
  if (tlsa.presented) lines.push(`dane: presents ${tlsa.presented.subject}, issued by ${tlsa.presented.issuer}, key SHA-256 ${tlsa.presented.spkiSha256.slice(0, 16)}…, valid to ${tlsa.presented.validTo}`);
  const queries = cell.tlsaQueries;
  if (queries === undefined) return [...lines, 'dane: TLSA lookups not recorded in this run'];
  const own = queries.filter((q) => q.by === 'sender');
  const others = queries.filter((q) => q.by === 'unattributed');
  if (own.length > 0) lines.push(`dane: the sender's resolver asked for the TLSA records ${own.length === 1 ? 'once' : `${own.length} times`}, first at ${clock(own[0]?.time ?? '')} (${own[0]?.rcode ?? '?'})`);
  else if (others.length > 0) lines.push(`dane: TLSA asked ${others.length === 1 ? 'once' : `${others.length} times`} from ${[...new Set(others.map((q) => q.peer))].join(', ')} (${UNATTRIBUTED_NOTE})`);
  else lines.push('dane: never asked for the TLSA records');
  return lines;
}

/** Said of a record of the policy host that any of the senders side by side may have made. */
export const UNATTRIBUTED_NOTE = 'not attributable to one sender: several ran side by side';

/** The profile's policy host answers nothing (RFC 8461 §3.3's fetch fails): no attempt of a sender's can be seen there. */
function policyUnreachable(profile: Pick<RunProfile, 'mtaSts' | 'sts'> | undefined): boolean {
  return (profile?.mtaSts ?? profile?.sts?.spec ?? null)?.policy === 'unreachable';
}

/** Whether the profile declares an MTA-STS policy, or the run recorded its policy host for the cell. */
export function declaresPolicy(cell: Pick<Cell, 'policyFetches'>, profile: Pick<RunProfile, 'mtaSts' | 'sts'> | undefined): boolean {
  return cell.policyFetches !== undefined || (profile?.mtaSts ?? null) !== null || (profile?.sts ?? null) !== null;
}

/** A fetch that got the policy: a GET answered 200 (RFC 8461 §3.3). */
function gotPolicy(fetch: PolicyFetch): boolean {
  return fetch.kind === 'fetch' && fetch.status === 200;
}

/**
 * One record of the policy host, as one line of raw text (escape it for the format):
 * "policy fetched over TLSv1.3 (HTTP 200) at 15:25:25 UTC", "policy host: handshake broken off by
 * the client (alert unknown_ca) at …", "TLS-RPT report posted (HTTP 201) at …", each with
 * "(not attributable to one sender: …)" when it may be another sender's.
 */
export function policyFetchText(fetch: PolicyFetch): string {
  const at = ` at ${clock(fetch.time)}`;
  const whose = fetch.by === 'unattributed' ? ` (${UNATTRIBUTED_NOTE})` : '';
  const status = fetch.status !== null ? `HTTP ${fetch.status}` : 'no HTTP status';
  switch (fetch.kind) {
    case 'fetch':
      // Only a 200 hands over the policy; any other answer is a request that got none.
      return fetch.status === 200
        ? `policy fetched over ${fetch.tlsVersion ?? 'TLS'} (${status})${at}${whose}`
        : `policy host request over ${fetch.tlsVersion ?? 'TLS'} (${status}: no policy handed over)${at}${whose}`;
    case 'tls-failed':
      return `policy host: handshake broken off by the client (${fetch.alert !== null ? `alert ${fetch.alert}` : 'no alert'})${at}${whose}`;
    case 'report':
      return `TLS-RPT report posted (${status})${at}${whose}`;
  }
}

/**
 * What the policy host's records add up to for the cell's sender, when they say less than its
 * lines: "never fetched the policy" (none of its own; unattributed fetches may be anyone's), or
 * that the run did not watch the host. Null when the sender fetched it, or when the profile
 * declares no policy.
 */
export function policyHostSummary(cell: Pick<Cell, 'policyFetches'>, profile: Pick<RunProfile, 'mtaSts' | 'sts'> | undefined): string | null {
  if (!declaresPolicy(cell, profile)) return null;
  const fetches = cell.policyFetches;
  if (fetches === undefined) return 'not recorded: this run did not watch the policy host';
  if (fetches.some((f) => f.by === 'sender' && gotPolicy(f))) return null;
  if (policyUnreachable(profile)) return 'never fetched the policy: its policy host is unreachable by design, so no attempt can be seen';
  const others = fetches.filter((f) => f.by === 'unattributed' && gotPolicy(f)).length;
  return others > 0
    ? `never fetched the policy, as far as can be told: the ${others === 1 ? 'fetch' : `${others} fetches`} below may be its own or another sender's`
    : 'never fetched the policy';
}

/** The policy host's word on a cell, in two or three words for a matrix cell: "policy fetched", "policy never fetched"; null when the profile declares no policy. */
export function policyHostMark(cell: Pick<Cell, 'policyFetches'>, profile: Pick<RunProfile, 'mtaSts' | 'sts'> | undefined): string | null {
  if (!declaresPolicy(cell, profile)) return null;
  const fetches = cell.policyFetches;
  if (fetches === undefined) return null;
  if (fetches.some((f) => f.by === 'sender' && gotPolicy(f))) return 'policy fetched';
  if (fetches.some((f) => f.by === 'sender' && f.kind === 'tls-failed')) return 'refused the policy host';
  if (policyUnreachable(profile)) return 'policy host unreachable';
  if (fetches.some((f) => f.by === 'unattributed' && gotPolicy(f))) return 'policy fetch unattributed';
  return 'policy never fetched';
}
