import type { BounceEvidence, Cell, Inconclusive, RunProfile } from '../document/run-document.js';
import { duration } from './format-time.js';

/** What happened in a cell, in a few words that read the same with or without colour. */
export function outcomeLabel(cell: Pick<Cell, 'outcome' | 'tls' | 'alert'>): string {
  switch (cell.outcome) {
    case 'delivered-tls':
      return `TLS ${(cell.tls?.version ?? '?').replace(/^TLSv/, '')}`;
    case 'delivered-plaintext':
      return 'PLAINTEXT';
    case 'plaintext-after-tls-failure':
      return 'DOWNGRADE';
    case 'refused-before-tls':
      return 'refused (no TLS)';
    case 'refused-at-handshake':
      return cell.alert ? `refused (${cell.alert})` : 'refused (handshake)';
    case 'refused-after-handshake':
      return 'refused (after TLS)';
    case 'not-attempted':
      return 'no attempt';
  }
}

/** The verdict as a word; reports pair it with an icon so it never depends on colour. */
export function verdictLabel(cell: Pick<Cell, 'verdict'>): 'PASS' | 'FAIL' | 'INCONCLUSIVE' {
  return cell.verdict === 'pass' ? 'PASS' : cell.verdict === 'fail' ? 'FAIL' : 'INCONCLUSIVE';
}

/**
 * The glyph for an inconclusive cell: "not tested". Distinct from every caveat marker the
 * formats use (`?` in the terminal, ⚠ in Markdown, `*` for unsettled, `!` for a mismatch).
 */
export const INCONCLUSIVE_GLYPH = '⊘';

/** The verdict's glyph, for text formats (Markdown, CSV-adjacent summaries). */
export function verdictGlyph(cell: Pick<Cell, 'verdict'>): '✔' | '✘' | typeof INCONCLUSIVE_GLYPH {
  return cell.verdict === 'pass' ? '✔' : cell.verdict === 'fail' ? '✘' : INCONCLUSIVE_GLYPH;
}

const CAUSE_WORDS: Record<Inconclusive['cause'], string> = {
  'not-submitted': 'never submitted',
  'submission-failed': 'submission failed',
  'submission-refused': 'submission refused',
  'no-control': 'no control delivered',
  'no-attempt': 'never attempted',
  'bounced-untested': 'bounced, not for TLS',
  'earlier-phase': 'earlier phase not delivered',
  'policy-unavailable': 'policy never fetched',
};

/** Why an inconclusive cell was not tested, in a few words that read after "not tested: " ("no control delivered"). */
export function inconclusiveCause(cell: Pick<Cell, 'inconclusive'>): string {
  return cell.inconclusive ? (CAUSE_WORDS[cell.inconclusive.cause] ?? cell.inconclusive.cause) : 'not tested';
}

const SETTLED_BY: Record<NonNullable<Cell['settle']['by']>, string> = {
  delivery: 'delivery',
  bounce: 'a bounce',
  'delay-notice': 'a delay notice',
  'final-word': "the sender's final word",
  'retry-model': 'the stated retries running out',
};

/**
 * How a cell's wait ended, in a few words that read after "settled: " or "unsettled: " (raw
 * text): "by delivery after 1.2 s", "waited 1 min", "never submitted". A cell something
 * settled but that stays unsettled (a connection still open when the wait ended: its note
 * says so) reads like a settled one. A run that did not record it (an older badmx) gives
 * "yes" for a settled cell, "the deadline came first" for an unsettled one.
 */
export function settleWords(cell: Pick<Cell, 'settled' | 'settle' | 'submission'>): string {
  const waited = cell.settle?.waitedMs ?? null;
  const by = cell.settle?.by ?? null;
  if (cell.settled || by !== null) {
    const words = [by !== null ? `by ${SETTLED_BY[by] ?? by}` : null, waited !== null ? `after ${duration(waited)}` : null].filter((w) => w !== null);
    return words.length ? words.join(' ') : 'yes';
  }
  if (waited !== null) return `waited ${duration(waited)}`;
  return cell.submission === null ? 'never submitted' : 'the deadline came first';
}

/**
 * How long an unsettled cell was waited for, for the short marks ("unsettled, waited 1 min");
 * null when it settled, when the run did not record it, or when something settled it but the
 * cell stayed unsettled (its note says why: a connection still open, say).
 */
export function unsettledWait(cell: Pick<Cell, 'settled' | 'settle'>): string | null {
  const waited = cell.settle?.waitedMs ?? null;
  if (cell.settled || (cell.settle?.by ?? null) !== null || waited === null) return null;
  return `waited ${duration(waited)}`;
}

/**
 * A cell's wait as one line of raw text (escape it for the format), with the run's own
 * sentence on why it was enough or not: "settled: by delivery after 1.2 s: <note>",
 * "unsettled: waited 1 min: <note>".
 */
export function settleLine(cell: Pick<Cell, 'settled' | 'settle' | 'submission'>): string {
  const note = cell.settle?.note ?? '';
  return `${cell.settled ? 'settled' : 'unsettled'}: ${settleWords(cell)}${note ? `: ${note}` : ''}`;
}

/** Unsettled cells of one sender that say the same about their wait, for the lists under a matrix. */
export interface UnsettledGroup {
  sender: string;
  profiles: string[];
  /** `settleWords` of each: "waited 1 min". */
  words: string;
  note: string;
}

/**
 * The unsettled cells, grouped by sender, wait (as printed) and note, in the order given: a
 * relay's refusals all left waiting for the same reason read as one line, not twelve.
 */
export function unsettledGroups(cells: readonly Cell[]): UnsettledGroup[] {
  const groups = new Map<string, UnsettledGroup>();
  for (const cell of cells.filter((c) => !c.settled)) {
    const words = settleWords(cell);
    const note = cell.settle?.note ?? '';
    const key = JSON.stringify([cell.sender, words, note]);
    const group = groups.get(key);
    if (group) group.profiles.push(cell.profile);
    else groups.set(key, { sender: cell.sender, profiles: [cell.profile], words, note });
  }
  return [...groups.values()];
}

/** Pass, fail and inconclusive counts of some cells. */
export function verdictCounts(cells: readonly Pick<Cell, 'verdict'>[]): { pass: number; fail: number; inconclusive: number } {
  return {
    pass: cells.filter((c) => c.verdict === 'pass').length,
    fail: cells.filter((c) => c.verdict === 'fail').length,
    inconclusive: cells.filter((c) => c.verdict === 'inconclusive').length,
  };
}

/** "16 pass, 12 fail", with ", 3 inconclusive" whenever there are any. */
export function tallyText(counts: { pass: number; fail: number; inconclusive: number }, separator = ', '): string {
  return [`${counts.pass} pass`, `${counts.fail} fail`, ...(counts.inconclusive ? [`${counts.inconclusive} inconclusive`] : [])].join(separator);
}

/**
 * The bounce that says most about a probe: the last `failed` notification (the sender gave
 * up), else the last one of any kind; null without bounces.
 */
export function decisiveBounce(cell: Pick<Cell, 'bounces'>): BounceEvidence | null {
  const bounces = cell.bounces ?? [];
  return bounces.findLast((b) => b.action === 'failed') ?? bounces.at(-1) ?? null;
}

/** A bounce as one line of raw text (escape it for the format): "failed 5.4.4 (dns; mx.example): smtp; 554 …". */
export function bounceText(bounce: BounceEvidence): string {
  const head = [bounce.action, bounce.status].filter((x) => x !== null).join(' ');
  return `${head}${bounce.remoteMta !== null ? ` (${bounce.remoteMta})` : ''}${bounce.diagnostic !== null ? `: ${bounce.diagnostic}` : ''}`;
}

function tlsName(version: string | undefined): string {
  if (!version || version === 'unknown') return 'TLS (version unknown)';
  return version.replace(/^TLSv/, 'TLS ');
}

/**
 * The profile facts a headline reads (run.json profiles[]): what is wrong with the receiver.
 * Every field but `certificate` and `tls` may be absent (runs from before the later suites).
 */
export type HeadlineProfile = Pick<RunProfile, 'starttls' | 'tls' | 'certificate'> & Partial<Pick<RunProfile, 'mtaSts' | 'dane' | 'tampering'>>;

const RETIRED = new Set(['TLSv1', 'TLSv1.0', 'TLSv1.1', 'SSLv3']);

/** What the man in the middle did at a tampering profile, as words that read after "after": "STARTTLS 500", "EHLO refused". */
export function tamperingWords(tampering: NonNullable<RunProfile['tampering']>): string {
  if (tampering.starttlsReply === 220) return 'STARTTLS 220 without TLS';
  if (tampering.starttlsReply !== undefined) return `STARTTLS ${tampering.starttlsReply}`;
  if (tampering.plaintextAfter220) return 'STARTTLS 220, then plaintext';
  if (tampering.ehlo) return 'EHLO refused';
  if (tampering.greeting !== undefined) return `a ${tampering.greeting} greeting`;
  if (tampering.starttlsAdvertised) return 'STARTTLS stripped from the first EHLO';
  if (tampering.injection) return 'injected EHLO lines';
  return 'tampering';
}

/** Whether validated TLSA records authenticate what the receiver presents (DANE-EE or DANE-TA, secure): then its certificate's names, issuer and dates are not a fault. */
function daneAuthenticates(profile: HeadlineProfile): boolean {
  return !!profile.dane && profile.dane.tlsa !== 'no-match' && (profile.dane.dnssec ?? 'secure') === 'secure';
}

/** What kind of fault a certificate has: not to be trusted at all, or valid but weak. */
type CertificateFault = { words: string; weak: boolean };

/** The fault of the certificate a sender delivered to, as the words after "Delivered to"; null for a sound one. */
function certificateFault(cell: Pick<Cell, 'evidence'>, profile: HeadlineProfile): CertificateFault | null {
  const c = profile.certificate;
  const invalid = (words: string): CertificateFault => ({ words, weak: false });
  // sni-required: without SNI the sender was shown a certificate for other names.
  if (profile.tls.sni === 'required' && !cell.evidence.some((e) => e.tls?.sni)) return invalid('a certificate for another host (no SNI sent)');
  if (c.revoked) return invalid('a revoked certificate');
  if (c.validity === 'expired') return invalid('an expired certificate');
  if (c.validity === 'not-yet-valid') return invalid('a not-yet-valid certificate');
  if (c.issuer === 'self') return invalid('a self-signed certificate');
  if (c.issuer === 'untrusted-root') return invalid('an untrusted certificate chain');
  if (c.issuer === 'expired-intermediate') return invalid('a chain with an expired intermediate');
  if (c.names === 'elsewhere') return invalid('a certificate for another host');
  if (c.names === 'cn-only') return invalid('a certificate without subjectAltName');
  if (c.chain === 'leaf-only') return invalid('an incomplete chain');
  if ((c.eku ?? 'server-auth') !== 'server-auth') return invalid('a client-only certificate');
  if (c.signature === 'sha1') return { words: 'a SHA-1 signed certificate', weak: true };
  if ((c.keyBits ?? 2048) < 2048) return { words: `a ${c.keyBits}-bit RSA key`, weak: true };
  return null;
}

/** The weakness of the key exchange or cipher suite a session used (OpenSSL names, TLS 1.2 and older), or null. */
function cipherFault(cell: Pick<Cell, 'tls'>, profile: HeadlineProfile): string | null {
  if (profile.tls.dhGroup !== undefined) return `over a ${profile.tls.dhGroup}-bit DH group`;
  const cipher = cell.tls?.cipher ?? '';
  if (!/^[A-Z0-9]+(-[A-Z0-9]+)+$/.test(cipher) || cell.tls?.version === 'TLSv1.3') return null;
  if (!/^(ECDHE|DHE|EDH)-/.test(cipher)) return 'without forward secrecy (RSA key exchange)';
  if (!/GCM|CHACHA20|CCM/.test(cipher)) return 'over a CBC cipher suite';
  return null;
}

/**
 * The kinds of fault a cell can show, for headlines and for the key numbers (summary-model.ts):
 * `plaintext` delivered without TLS; `downgraded` in plaintext after STARTTLS or TLS failed;
 * `tampering` in plaintext (or past a refused greeting) after a man in the middle's tampering;
 * `injection` acted on injected lines; `certificate` delivered to a certificate that does not
 * validate; `retired-tls` over TLS 1.0/1.1; `weak-crypto` to a weak key or signature, or over a
 * weak group or cipher suite; `policy` against published DANE or MTA-STS; null: nothing wrong
 * with what the sender did by itself (a control delivered, a refusal).
 */
export type FaultKind = 'plaintext' | 'downgraded' | 'tampering' | 'injection' | 'certificate' | 'retired-tls' | 'weak-crypto' | 'policy';

/** What a delivery ran into, named: its kind and its headline. Null when the cell did not deliver, or delivered to a sound receiver. */
export function deliveryFault(
  cell: Pick<Cell, 'outcome' | 'tls'> & Partial<Pick<Cell, 'evidence' | 'attack' | 'alert'>>,
  profile: HeadlineProfile,
): { kind: FaultKind; headline: string } | null {
  const evidence = cell.evidence ?? [];
  switch (cell.outcome) {
    case 'delivered-tls': {
      if (cell.attack?.verdict === 'vulnerable') return { kind: 'injection', headline: 'Acted on injected plaintext lines' };
      if (profile.dane && (profile.dane.dnssec ?? 'secure') === 'bogus') return { kind: 'policy', headline: 'Delivered despite a bogus TLSA lookup' };
      if (profile.dane && profile.dane.tlsa === 'no-match' && (profile.dane.dnssec ?? 'secure') === 'secure') return { kind: 'policy', headline: 'Delivered despite a TLSA mismatch' };
      const version = cell.tls?.version;
      if (version && RETIRED.has(version)) return { kind: 'retired-tls', headline: `Delivered over ${tlsName(version)} (retired)` };
      const certificate = certificateFault({ evidence }, profile);
      // Validated DANE-EE/TA records vouch for what the receiver presents: the fault is still named, and so is the record that matches it.
      if (certificate) return { kind: certificate.weak ? 'weak-crypto' : 'certificate', headline: `Delivered to ${certificate.words}${daneAuthenticates(profile) ? ' (its TLSA record matches)' : ''}` };
      if (profile.mtaSts?.mode === 'enforce' && profile.mtaSts.mx === 'not-covered') return { kind: 'policy', headline: 'Delivered to an MX the MTA-STS policy does not list' };
      const cipher = cipherFault(cell, profile);
      return cipher ? { kind: 'weak-crypto', headline: `Delivered ${cipher}` } : null;
    }
    case 'delivered-plaintext':
      if (profile.tampering?.greeting !== undefined) return { kind: 'tampering', headline: `Delivered in plaintext past ${tamperingWords(profile.tampering)}` };
      if (profile.tampering) return { kind: 'tampering', headline: `Downgraded to plaintext after ${tamperingWords(profile.tampering)}` };
      if (profile.mtaSts?.mode === 'enforce') return { kind: 'plaintext', headline: 'Delivered in plaintext despite MTA-STS enforce' };
      if (profile.dane && (profile.dane.dnssec ?? 'secure') === 'secure') return { kind: 'plaintext', headline: 'Delivered in plaintext despite TLSA records' };
      return { kind: 'plaintext', headline: profile.starttls === 'absent' ? 'Delivered in plaintext' : 'Delivered in plaintext, STARTTLS offered' };
    case 'plaintext-after-tls-failure': {
      if (profile.tampering) return { kind: 'tampering', headline: `Downgraded to plaintext after ${tamperingWords(profile.tampering)}` };
      const refused = evidence.find((c) => c.starttls !== null && c.starttls !== 220);
      if (refused) return { kind: 'downgraded', headline: `Downgraded to plaintext after STARTTLS ${refused.starttls}` };
      // The alert itself is the detail line's ("alert handshake_failure").
      return { kind: 'downgraded', headline: cell.alert ? 'Downgraded to plaintext after the handshake failed' : 'Downgraded to plaintext after TLS failed' };
    }
    default:
      return null;
  }
}

/**
 * What happened, named by the fault the sender met, for the infographic and HTML: "Delivered
 * to an expired certificate", "Delivered over TLS 1.0 (retired)", "Delivered in plaintext",
 * "Downgraded to plaintext after STARTTLS 500", "Refused: no usable STARTTLS", "Delivered over
 * TLS 1.3" (a control). Read from the cell and its profile in run.json alone; without the
 * profile, from the outcome alone ("TLS 1.3", "Plaintext", "Refused").
 */
export function outcomeHeadline(cell: Pick<Cell, 'outcome' | 'tls'> & Partial<Pick<Cell, 'evidence' | 'attack' | 'alert'>>, profile?: HeadlineProfile): string {
  if (profile) {
    const fault = deliveryFault(cell, profile);
    if (fault) return fault.headline;
  }
  switch (cell.outcome) {
    case 'delivered-tls':
      return profile ? `Delivered over ${tlsName(cell.tls?.version)}` : tlsName(cell.tls?.version);
    case 'delivered-plaintext':
      return 'Plaintext';
    case 'plaintext-after-tls-failure':
      return 'Downgraded → plaintext';
    case 'refused-before-tls':
      return profile ? 'Refused: no usable STARTTLS' : 'Refused';
    case 'refused-at-handshake':
      return profile ? 'Refused at the TLS handshake' : 'Refused';
    case 'refused-after-handshake':
      return profile ? 'Refused after the TLS handshake' : 'Refused';
    case 'not-attempted':
      return 'No attempt';
  }
}

/** The line under the headline: how it came to that. With the profile, a delivery over TLS names the version and cipher. */
export function outcomeDetail(cell: Pick<Cell, 'outcome' | 'alert' | 'evidence'> & Partial<Pick<Cell, 'tls'>>, profile?: HeadlineProfile): string {
  switch (cell.outcome) {
    case 'delivered-tls': {
      if (!profile || !cell.tls) return 'delivered';
      // The version once: the cipher alone when the headline already names it ("Delivered over TLS 1.3").
      const version = tlsName(cell.tls.version);
      return outcomeHeadline({ ...cell, tls: cell.tls }, profile).includes(version) ? cell.tls.cipher : `${version}, ${cell.tls.cipher}`;
    }
    case 'delivered-plaintext':
      return 'TLS never tried';
    case 'plaintext-after-tls-failure': {
      // With the profile the headline already says after what; the alert, when there was one, is said here.
      if (profile) return cell.alert ? `alert ${cell.alert}` : 'delivered in the clear';
      if (cell.alert) return `after ${cell.alert}`;
      const refused = cell.evidence.find((c) => c.starttls !== null && c.starttls !== 220);
      return refused ? `after STARTTLS ${refused.starttls}` : 'after TLS failed';
    }
    case 'refused-before-tls': {
      if (!profile) return 'no usable STARTTLS';
      if (profile.tampering) return `held the mail after ${tamperingWords(profile.tampering)}`;
      const refused = cell.evidence.find((c) => c.starttls !== null && c.starttls !== 220);
      return refused ? `held the mail after STARTTLS ${refused.starttls}` : profile.starttls === 'absent' ? 'STARTTLS not offered' : 'held the mail';
    }
    case 'refused-at-handshake':
      return cell.alert ? `alert ${cell.alert}` : profile ? 'held the mail' : 'at the handshake';
    case 'refused-after-handshake':
      return profile ? 'held the mail' : 'left after the handshake';
    case 'not-attempted':
      return 'never connected';
  }
}

/**
 * Why a failed cell failed, as the reader sees it: the policy's reason, then what that exposes
 * (the profile's risk), so that twelve failures do not read the same sentence word for word.
 * Raw text; the reason alone for a run without risks, and for a cell that did not fail.
 */
export function failureReasonText(cell: Pick<Cell, 'verdict' | 'reason'>, profile: Pick<RunProfile, 'risk'> | undefined): string {
  const risk = profile?.risk;
  return cell.verdict === 'fail' && risk ? `${cell.reason}. Risk: ${risk}` : cell.reason;
}
