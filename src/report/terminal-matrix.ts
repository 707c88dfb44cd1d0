import type { RunDocument } from '../document/run-document.js';
import { printable } from '../text/printable.js';
import { SUITES } from '../profiles/profile-schema.js';
import { outcomeLabel, tallyText, unsettledGroups, verdictLabel } from './cell-label.js';
import { profileSuite, SUITE_TITLES } from './matrix-model.js';
import { senderReporting, showsTlsReports } from './tls-reports.js';
import { buildSummaryModel, keyNumbersLine } from './summary-model.js';
import { oneLine, visibleControls } from './escape.js';

/** Catalogue and summary text, one line, controls made visible; unlike printable(), § and other letters are kept. */
const plain = (text: string): string => oneLine(visibleControls(text));

/** A rule's citation alone, the words before its first ": " ("RFC 8996"), for one line of many. */
export function ruleCitation(rule: string): string {
  const at = rule.indexOf(': ');
  return at > 0 ? rule.slice(0, at) : rule;
}

const GREEN = '\u001b[32m';
const RED = '\u001b[31m';
const YELLOW = '\u001b[33m';
const DIM = '\u001b[2m';
const RESET = '\u001b[0m';

/**
 * The matrix for a terminal: receiver states down the side, one column per sender, each
 * cell PASS, FAIL or INCONCLUSIVE (words, so it reads without colour too) and the observed
 * outcome. INCONCLUSIVE: the probe was not actually tested (never submitted, the relay was
 * unreachable, a bounce for a non-TLS reason, or the sender delivered to no control profile),
 * so it is neither a pass nor a fail; why is said below the matrix.
 * Marks: `*` the deadline came first (how long was waited, and why that was not enough, is
 * said below the matrix); `!` the receiver's Received stamp disagrees with
 * its session record; `?` the verdict depends on a certificate the sender could not be
 * expected to trust (public mode; all explained below the matrix).
 */
export function renderTerminalMatrix(run: RunDocument, options: { colour?: boolean } = {}): string {
  const colour = options.colour ?? false;
  const senders = run.senders.map((s) => s.label);
  // A run of the study's profiles alone is one block, as before suites; otherwise a heading per suite, and each receiver's title.
  const suites = SUITES.map((suite) => ({ suite, profiles: run.profiles.filter((p) => profileSuite(p) === suite) })).filter((s) => s.profiles.length > 0);
  const bySuite = suites.some((s) => s.suite !== 'study');
  const header = ['receiver', ...senders, ...(bySuite ? ['what it is'] : [])];
  const rowOf = (profile: RunDocument['profiles'][number]): string[] => [
    profile.name,
    ...senders.map((sender) => {
      const cell = run.cells.find((c) => c.sender === sender && c.profile === profile.name);
      if (!cell) return '-';
      return `${verdictLabel(cell)} ${outcomeLabel(cell)}${cell.settled ? '' : '*'}${cell.evidenceMismatch ? '!' : ''}${cell.caveat ? '?' : ''}`;
    }),
    ...(bySuite ? [printable(profile.title, 120)] : []),
  ];
  const rows = (bySuite ? suites.flatMap((s) => s.profiles) : run.profiles).map(rowOf);
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((row) => (row[i] ?? '').length)));
  const paint = (text: string, width: number): string => {
    const padded = text.padEnd(width);
    if (!colour) return padded;
    if (text.startsWith('PASS')) return `${GREEN}${padded}${RESET}`;
    if (text.startsWith('FAIL')) return `${RED}${padded}${RESET}`;
    if (text.startsWith('INCONCLUSIVE')) return `${YELLOW}${padded}${RESET}`;
    return padded;
  };
  const line = (row: string[], head = false): string =>
    row.map((cell, i) => (head || i === 0 || i > senders.length ? cell.padEnd(widths[i] ?? 0) : paint(cell, widths[i] ?? 0))).join('  ').trimEnd();
  const body = bySuite
    ? suites.flatMap((s, i) => [...(i > 0 ? [''] : []), `${SUITE_TITLES[s.suite]}:`, ...s.profiles.map((p) => line(rowOf(p)))])
    : rows.map((row) => line(row));
  const inconclusive = run.summary.inconclusive ?? 0;
  const out = [
    `badmx run ${run.run.id}, policy ${run.policy.name}: ${run.policy.title}`,
    '',
    line(header, true),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...body,
    '',
    `${tallyText({ pass: run.summary.pass, fail: run.summary.fail, inconclusive })}${run.summary.unsettled ? `, ${run.summary.unsettled} unsettled (*: the deadline came first)` : ''}` +
      (run.stray.connections ? `; ${run.stray.connections} connection(s) belonged to no probe` : ''),
  ];
  // The executive summary, and each sender's key numbers: every number a count of cells (summary-model.ts).
  const model = buildSummaryModel(run);
  out.push(`Summary: ${plain(model.paragraph)}`);
  for (const s of model.senders) out.push(`  ${plain(s.sender)}: ${keyNumbersLine(s)}`);
  // What each receiver some sender failed at risks, and the rules it touches (badmx explain <profile> has them in full).
  const failedAt = run.profiles.filter((p) => p.risk !== undefined && run.cells.some((c) => c.profile === p.name && c.verdict === 'fail'));
  if (failedAt.length > 0) {
    out.push(`Risk where a sender failed (badmx explain <profile> for more):`);
    for (const p of failedAt) {
      out.push(`  ${plain(p.name)}: ${plain(p.risk ?? '')}`);
      if (p.rules?.length) out.push(`    rules: ${p.rules.map((r) => plain(ruleCitation(r))).join('; ')}`);
    }
  }
  // A capacity limit the receivers hit: the record after it is thinner, and the reader must know.
  for (const limit of run.run.limitsHit) out.push(`LIMIT: ${printable(limit, 300)}`);
  // INCONCLUSIVE: a sender whose refusals prove nothing (it delivered to no control profile), then each other untested cell.
  const diagnosed = run.senders.filter((s) => s.diagnosis);
  const paintNote = (text: string): string => (colour ? `${YELLOW}${text}${RESET}` : text);
  for (const s of diagnosed) out.push(paintNote(`INCONCLUSIVE ${s.label}: ${printable(s.diagnosis ?? '', 300)}`));
  const untested = run.cells.filter((c) => c.verdict === 'inconclusive' && !(c.inconclusive?.cause === 'no-control' && diagnosed.some((s) => s.label === c.sender)));
  if (untested.length > 0) {
    out.push(paintNote(`INCONCLUSIVE: not tested in ${untested.length} cell(s):`));
    // The detail may quote the sender's own words (a relay reply, a bounce): escape it.
    for (const c of untested) out.push(`  ${c.sender} / ${c.profile}: ${printable(c.inconclusive?.detail ?? c.reason, 300)}`);
  }
  // "*": the deadline came first; how long each cell was waited for and the run's word on why that was not enough, cells that say the same on one line.
  const unsettled = unsettledGroups(run.cells);
  if (unsettled.length > 0) {
    out.push(`* unsettled in ${run.cells.filter((c) => !c.settled).length} cell(s):`);
    for (const g of unsettled) out.push(`  ${g.sender} / ${g.profiles.join(', ')}: ${g.words}${g.note ? `: ${printable(g.note, 300)}` : ''}`);
  }
  // "!": the receiver's own Received stamp disagrees with its session record; say how, one line per cell.
  const mismatches = run.cells.filter((c) => c.evidenceMismatch);
  if (mismatches.length > 0) {
    out.push(`! evidence mismatch in ${mismatches.length} cell(s):`);
    // The text may quote a host name from a Received field nobody vouches for: escape it.
    for (const c of mismatches) out.push(`  ${c.sender} / ${c.profile}: ${printable(c.evidenceMismatch ?? '', 300)}`);
  }
  // "?": the verdict rests on the badmx test root, which this sender cannot be expected to trust.
  const caveats = run.cells.filter((c) => c.caveat);
  if (caveats.length > 0) {
    out.push(`? certificate caveat in ${caveats.length} cell(s):`);
    for (const c of caveats) out.push(`  ${c.sender} / ${c.profile}: ${printable(c.caveat ?? '', 300)}`);
  }
  // TLS reports (RFC 8460): who reported, and who never did.
  if (showsTlsReports(run)) out.push(`TLS reports (RFC 8460): ${senderReporting(run).map((s) => `${s.sender} ${s.text}`).join('; ')}`);
  if (run.run.error) out.push(`run stopped early: ${run.run.error}`);
  if (run.run.status === 'interrupted') out.push('run interrupted before its schedule was done: badmx run --resume <run dir> continues it');
  return colour ? out.join('\n').replace(/^(badmx run .*)$/m, `${DIM}$1${RESET}`) : out.join('\n');
}
