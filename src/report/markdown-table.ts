import { scheduleText } from './schedule-text.js';
import { senderKind } from './sender-kind.js';
import type { Cell, RunDocument } from '../run/run-document.js';
import { outcomeDetail, outcomeHeadline, verdictGlyph, verdictLabel } from './cell-label.js';
import { oneLine, visibleControls } from './escape.js';
import { utc } from './format-time.js';
import { buildMatrix, expectationLabel } from './matrix-model.js';
import type { Renderer } from './renderer.js';

/**
 * Inline Markdown text: one line, and the characters that would start markup, break out of
 * a table cell or open raw HTML (GitHub renders some HTML) are backslash-escaped; & is
 * written as an entity so "&lt;" in a HELO name stays literal text.
 */
export function markdownText(text: string): string {
  return oneLine(visibleControls(text))
    .replace(/[\\`*[\]<>|~]|(?<![\p{L}\p{N}])_|_(?![\p{L}\p{N}])/gu, (c) => `\\${c}`)
    .replace(/&/g, '&amp;');
}

function cellText(cell: Cell | null): string {
  if (!cell) return '—';
  const detail = cell.outcome === 'delivered-tls' ? '' : ` (${outcomeDetail(cell)})`;
  return `${verdictGlyph(cell)} ${verdictLabel(cell)} ${markdownText(outcomeHeadline(cell) + detail)}${cell.settled ? '' : ' \\*'}${cell.caveat ? ' ⚠' : ''}`;
}

/** A table for pull requests and issues: receivers down, senders across; legend, summary, and why each failing cell failed. */
export function renderMarkdownTable(run: RunDocument): string {
  const matrix = buildMatrix(run);
  const lines: string[] = [];
  lines.push(`### badmx run ${markdownText(run.run.id)}: policy ${markdownText(run.policy.name)}`, '');
  lines.push(
    `${markdownText(run.policy.title)}. Run ${markdownText(utc(run.run.startedAt))}, zone ${markdownText(run.run.zone)}, badmx ${markdownText(run.tool.version)}.`,
    '',
  );
  lines.push(`| Receiver | ${matrix.senders.map((s) => markdownText(s.label)).join(' | ')} |`);
  lines.push(`|---|${matrix.senders.map(() => '---').join('|')}|`);
  for (const row of matrix.rows) {
    const head = `**${markdownText(row.profile.title)}** · ${markdownText(row.profile.name)} · expected: ${expectationLabel(row.profile.expected)}`;
    lines.push(`| ${head} | ${row.cells.map(cellText).join(' | ')} |`);
  }
  lines.push('');
  const { summary } = run;
  lines.push(
    `**${summary.pass} pass, ${summary.fail} fail** of ${summary.cells} cells` +
      (summary.unsettled ? `; ${summary.unsettled} unsettled` : '') +
      (run.stray.connections ? `; ${run.stray.connections} connection(s) belonged to no probe` : '') +
      (run.run.status === 'error'
        ? `. **The run stopped early:** ${markdownText(run.run.error ?? 'unknown error')}`
        : run.run.status === 'interrupted'
          ? '. **The run was interrupted** before its schedule was done (`badmx run --resume` continues it).'
          : '.'),
  );
  lines.push('');
  lines.push(`Schedule: ${markdownText(scheduleText(run))}.`);
  lines.push('');
  lines.push(
    `Legend: ✔ PASS: the sender did what policy ${markdownText(run.policy.name)} expects at that receiver; ✘ FAIL: it did not. ` +
      'Plaintext: delivered without TLS; Downgraded → plaintext: delivered in the clear after TLS failed or was refused; ' +
      'TLS 1.x: delivered inside TLS of that version; Refused: did not deliver' +
      (summary.unsettled ? '; \\*: unsettled, the deadline came before the sender had finished.' : '.'),
  );
  lines.push('');
  lines.push('Senders:', '');
  for (const sender of matrix.senders) {
    const notes = sender.notes.length ? `: ${sender.notes.map(markdownText).join('; ')}` : '';
    lines.push(`- ${markdownText(sender.label)} (${markdownText(senderKind(sender))}, \`${sender.spec.replace(/`/g, "'")}\`)${notes}`);
  }
  const caveats = matrix.rows.flatMap((row) => row.cells.filter((c): c is Cell => c !== null && c.caveat !== null));
  if (caveats.length > 0) {
    lines.push('', `⚠ Certificate caveats: the verdict depends on a certificate the sender could not be expected to trust:`, '');
    for (const cell of caveats) lines.push(`- ${markdownText(cell.sender)} × ${markdownText(cell.profile)}: ${markdownText(cell.caveat ?? '')}`);
  }
  const failing = matrix.rows.flatMap((row) => row.cells.filter((c): c is Cell => c !== null && c.verdict === 'fail'));
  if (failing.length > 0) {
    lines.push('', `<details><summary>Why the ${failing.length} failing cell${failing.length === 1 ? '' : 's'} failed</summary>`, '');
    for (const cell of failing) lines.push(`- ${markdownText(cell.sender)} × ${markdownText(cell.profile)}: ${markdownText(cell.reason)}`);
    lines.push('', '</details>');
  }
  return `${lines.join('\n')}\n`;
}

export const markdownTable: Renderer = {
  name: 'md',
  fileName: 'report.md',
  description: 'a Markdown table for pull requests and issues, with legend, summary and the reasons for failures',
  render: renderMarkdownTable,
};
