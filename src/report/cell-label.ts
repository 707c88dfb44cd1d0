import type { BounceEvidence, Cell, Inconclusive } from '../document/run-document.js';
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

/** What happened, as a headline for the infographic and HTML: Plaintext, TLS 1.2, Refused, Downgraded → plaintext. */
export function outcomeHeadline(cell: Pick<Cell, 'outcome' | 'tls'>): string {
  switch (cell.outcome) {
    case 'delivered-tls':
      return tlsName(cell.tls?.version);
    case 'delivered-plaintext':
      return 'Plaintext';
    case 'plaintext-after-tls-failure':
      return 'Downgraded → plaintext';
    case 'refused-before-tls':
    case 'refused-at-handshake':
    case 'refused-after-handshake':
      return 'Refused';
    case 'not-attempted':
      return 'No attempt';
  }
}

/** The line under the headline: how it came to that. */
export function outcomeDetail(cell: Pick<Cell, 'outcome' | 'alert' | 'evidence'>): string {
  switch (cell.outcome) {
    case 'delivered-tls':
      return 'delivered';
    case 'delivered-plaintext':
      return 'TLS never tried';
    case 'plaintext-after-tls-failure': {
      if (cell.alert) return `after ${cell.alert}`;
      const refused = cell.evidence.find((c) => c.starttls !== null && c.starttls !== 220);
      return refused ? `after STARTTLS ${refused.starttls}` : 'after TLS failed';
    }
    case 'refused-before-tls':
      return 'no usable STARTTLS';
    case 'refused-at-handshake':
      return cell.alert ? `alert ${cell.alert}` : 'at the handshake';
    case 'refused-after-handshake':
      return 'left after the handshake';
    case 'not-attempted':
      return 'never connected';
  }
}
