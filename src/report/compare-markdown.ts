import type { Cell, RunProfile } from '../document/run-document.js';
import { inconclusiveCause, outcomeHeadline, tallyText, verdictGlyph, verdictLabel } from './cell-label.js';
import { differenceText } from './compare-html.js';
import type { Comparison } from './compare-model.js';
import { markdownText } from './markdown-table.js';
import { givenText, type RenderOptions } from './renderer.js';

/** The comparison for pull requests and issues: the answer, the ranking, and the runs' senders side by side. */

function cellText(cell: Cell | null, profile: RunProfile): string {
  if (cell === null) return '— not in this run';
  const what = cell.verdict === 'inconclusive' ? `not tested: ${inconclusiveCause(cell)}` : outcomeHeadline(cell, profile);
  return `${verdictGlyph(cell)} ${verdictLabel(cell)} ${markdownText(what)}${cell.settled ? '' : ' \\*'}`;
}

export function renderCompareMarkdown(comparison: Comparison, options: RenderOptions = {}): string {
  const { runs, columns, rows, totals } = comparison;
  const lines: string[] = [];
  lines.push(`## ${markdownText(givenText(options.title) ?? 'Which of these senders is safer?')}`, '');
  const subtitle = givenText(options.subtitle);
  if (subtitle !== null) lines.push(markdownText(subtitle), '');
  lines.push(`**${markdownText(comparison.answer)}**`, '');
  lines.push('| run | file | id | policy | senders | receiver states |', '|---|---|---|---|---|---|');
  for (const run of runs) {
    lines.push(`| ${markdownText(run.name)} | ${markdownText(run.file)} | ${markdownText(run.document.run.id)} | ${markdownText(run.document.policy.name)} | ${run.document.senders.length} | ${run.document.profiles.length} |`);
  }
  lines.push('', `#### Ranking: most PASS, then fewest FAIL, on the ${comparison.commonRows} receiver states every sender was tested at (not tested never counts as safe)`, '', '| rank | sender | pass | fail | inconclusive | all its cells |', '|---|---|---|---|---|---|');
  comparison.ranking.forEach((i, rank) => {
    const t = totals[i];
    const column = columns[i];
    if (!t || !column) return;
    lines.push(`| ${rank + 1} | ${markdownText(column.label)} | ${t.common.pass} | ${t.common.fail} | ${t.common.inconclusive} | ${markdownText(tallyText(t))}${t.missing ? `, ${t.missing} not tested here` : ''} |`);
  });
  lines.push('', '#### Side by side', '');
  lines.push(`| receiver | differs | ${columns.map((c) => markdownText(c.label)).join(' | ')} |`);
  lines.push(`|---|---|${columns.map(() => '---').join('|')}|`);
  for (const row of rows) {
    const mark = differenceText(row);
    const name = row.differs === 'verdict' ? `**${markdownText(row.profile.name)}**` : markdownText(row.profile.name);
    lines.push(`| ${name} | ${mark !== null ? markdownText(mark) : ''} | ${row.cells.map((cell) => cellText(cell, row.profile)).join(' | ')} |`);
  }
  lines.push(`| **totals** | ${comparison.differingRows} differ | ${totals.map((t) => markdownText(tallyText(t))).join(' | ')} |`);
  lines.push('', `${comparison.differingRows} of ${rows.length} receiver states get different verdicts (**bold**, ≠). \\* unsettled: the deadline came first.`, '');
  return lines.join('\n');
}
