import type { RunDocument } from '../run/run-document.js';
import { printable } from '../text/printable.js';
import { outcomeLabel } from './cell-label.js';

const GREEN = '\u001b[32m';
const RED = '\u001b[31m';
const DIM = '\u001b[2m';
const RESET = '\u001b[0m';

/**
 * The matrix for a terminal: receiver states down the side, one column per sender, each
 * cell the observed outcome and PASS/FAIL (words, so it reads without colour too).
 * Marks: `*` the deadline came first; `!` the receiver's Received stamp disagrees with
 * its session record; `?` the verdict depends on a certificate the sender could not be
 * expected to trust (public mode; both explained below the matrix).
 */
export function renderTerminalMatrix(run: RunDocument, options: { colour?: boolean } = {}): string {
  const colour = options.colour ?? false;
  const senders = run.senders.map((s) => s.label);
  const header = ['receiver', ...senders];
  const rows = run.profiles.map((profile) => [
    profile.name,
    ...senders.map((sender) => {
      const cell = run.cells.find((c) => c.sender === sender && c.profile === profile.name);
      if (!cell) return '-';
      return `${cell.verdict === 'pass' ? 'PASS' : 'FAIL'} ${outcomeLabel(cell)}${cell.settled ? '' : '*'}${cell.evidenceMismatch ? '!' : ''}${cell.caveat ? '?' : ''}`;
    }),
  ]);
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((row) => (row[i] ?? '').length)));
  const paint = (text: string, width: number): string => {
    const padded = text.padEnd(width);
    if (!colour) return padded;
    if (text.startsWith('PASS')) return `${GREEN}${padded}${RESET}`;
    if (text.startsWith('FAIL')) return `${RED}${padded}${RESET}`;
    return padded;
  };
  const line = (row: string[], head = false): string =>
    row.map((cell, i) => (head || i === 0 ? cell.padEnd(widths[i] ?? 0) : paint(cell, widths[i] ?? 0))).join('  ').trimEnd();
  const out = [
    `badmx run ${run.run.id}, policy ${run.policy.name}: ${run.policy.title}`,
    '',
    line(header, true),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.map((row) => line(row)),
    '',
    `${run.summary.pass} pass, ${run.summary.fail} fail${run.summary.unsettled ? `, ${run.summary.unsettled} unsettled (*: the deadline came first)` : ''}` +
      (run.stray.connections ? `; ${run.stray.connections} connection(s) belonged to no probe` : ''),
  ];
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
  if (run.run.error) out.push(`run stopped early: ${run.run.error}`);
  if (run.run.status === 'interrupted') out.push('run interrupted before its schedule was done: badmx run --resume <run dir> continues it');
  return colour ? out.join('\n').replace(/^(badmx run .*)$/m, `${DIM}$1${RESET}`) : out.join('\n');
}
