import { htmlPage, selfContainedCsp } from './html-page.js';
import type { Cell } from '../document/run-document.js';
import { inconclusiveCause, outcomeDetail, outcomeHeadline, tallyText, verdictLabel } from './cell-label.js';
import type { Comparison, CompareRow } from './compare-model.js';
import { escapeMarkup } from './escape.js';
import { utc } from './format-time.js';
import { HTML_PALETTE } from './html-report.js';
import { expectationLabel } from './matrix-model.js';
import { givenText, type RenderOptions } from './renderer.js';

/**
 * The comparison as one self-contained HTML page (`badmx report a b --compare`): the answer
 * first, then the runs, the ranking, and the matrix of every run's senders side by side. Like
 * the report: nothing fetched, no script, a CSP that allows only its own stylesheet, every
 * verdict in words and icon (never colour alone), every string from run.json escaped.
 */

const P = HTML_PALETTE;

const CSS = `
:root{color-scheme:light}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Liberation Sans",sans-serif;color:${P.text[0]};background:${P.text[1]}}
main{max-width:1400px;margin:0 auto;padding:24px 20px 48px}
h1{font-size:26px;margin:4px 0 2px;overflow-wrap:anywhere}h2{font-size:20px;margin:32px 0 10px;border-bottom:2px solid #1a1a1a;padding-bottom:4px}
code{font-family:ui-monospace,"DejaVu Sans Mono","Liberation Mono",Menlo,Consolas,monospace;font-size:13px;overflow-wrap:anywhere}
.eyebrow{margin:0;font-size:13px;text-transform:uppercase;letter-spacing:.08em;color:${P.muted[0]}}
.lede{margin:0 0 12px;font-size:16px}.muted{color:${P.muted[0]}}
.answer{font-size:17px;border:2px solid ${P.text[0]};padding:10px 14px;border-radius:4px;overflow-wrap:anywhere}
.scroll{overflow-x:auto;max-width:100%;margin:0 0 8px}
.scroll:focus-visible{outline:3px solid ${P.link[0]};outline-offset:2px}
table{border-collapse:collapse;width:100%}
caption{text-align:left;padding:4px 0 8px;color:${P.muted[0]}}
th,td{text-align:left;vertical-align:top;padding:6px 8px;border-bottom:1px solid #d6d6d6}
thead th{border-bottom:2px solid #1a1a1a}
table.runs td,table.runs th,table.ranking td,table.ranking th{overflow-wrap:anywhere}
table.compare thead th{overflow-wrap:anywhere;min-width:8rem}
table.compare thead tr.runs-row th{text-align:center;border-bottom:1px solid #1a1a1a;background:${P.mutedOnPanel[1]};color:${P.mutedOnPanel[0]}}
table.compare th[scope=row]{min-width:10rem}
table.compare th[scope=row] .name{display:block;font-weight:400;font-size:13px;color:${P.muted[0]}}
table.compare tr.group th{background:${P.mutedOnPanel[1]};color:${P.mutedOnPanel[0]};text-transform:uppercase;letter-spacing:.06em;font-size:12px}
table.compare tr.differs th[scope=row]{border-left:6px solid ${P.text[0]}}
table.compare tr.differs td{border-top:2px solid ${P.text[0]};border-bottom:2px solid ${P.text[0]}}
.differs-mark{display:inline-block;margin-top:4px;font-size:12px;font-weight:700;padding:0 6px;border:1.5px solid currentColor;border-radius:3px}
td.cell>div{padding:6px 8px;border-radius:4px;border:1.5px solid currentColor}
td.cell.unsettled>div{border-style:dashed}
td.cell[data-verdict=inconclusive]>div{border-style:double;border-width:4px}
td.cell .verdict{display:flex;align-items:center;gap:6px;font-weight:700}
td.cell .what{display:block;font-weight:600}td.cell .detail{display:block;font-size:13px}
td.missing{color:${P.muted[0]};font-style:italic}
tfoot th,tfoot td{border-top:2px solid #1a1a1a;font-size:13px}
.v-pass{color:${P.pass[0]};background:${P.pass[1]}}.v-fail{color:${P.fail[0]};background:${P.fail[1]}}
.v-inconclusive{color:${P.inconclusive[0]};background:${P.inconclusive[1]}}
.icon{width:16px;height:16px;flex:none;vertical-align:-3px}
ul.legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:8px 18px}
footer{margin-top:40px;color:${P.muted[0]};font-size:13px}
@media print{
@page{size:A4 landscape;margin:10mm}
*,*::before,*::after{background:transparent!important;color:#000!important;box-shadow:none!important}
.v-pass{color:${P.pass[0]}!important;background:${P.pass[1]}!important}.v-fail{color:${P.fail[0]}!important;background:${P.fail[1]}!important}
.v-inconclusive{color:${P.inconclusive[0]}!important;background:${P.inconclusive[1]}!important}
.v-pass *,.v-fail *,.v-inconclusive *{color:inherit!important}
html{print-color-adjust:exact;-webkit-print-color-adjust:exact}
main{max-width:none;padding:0}
.scroll{overflow:visible}
table.compare{font-size:8pt}table.compare th,table.compare td{overflow-wrap:anywhere;min-width:0!important;padding:2px}
thead{display:table-header-group}tr{break-inside:avoid}
}
`.trim();

/** Nothing fetched, nothing run: only the page's own stylesheet, by hash. */
export const COMPARE_CSP = selfContainedCsp(CSS);

const h = escapeMarkup;

const ICONS: Record<Cell['verdict'], string> = {
  pass: '<path d="M3.5 8.5l3 3 6-7" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" stroke-linejoin="round"/>',
  fail: '<path d="M4 4l8 8M12 4l-8 8" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round"/>',
  inconclusive: '<circle cx="8" cy="8" r="6" fill="none" stroke="currentColor" stroke-width="1.8"/><path d="M4 12L12 4" stroke="currentColor" stroke-width="1.8" stroke-linecap="round"/>',
};

function icon(verdict: Cell['verdict']): string {
  return `<svg class="icon" viewBox="0 0 16 16" aria-hidden="true" focusable="false">${ICONS[verdict]}</svg>`;
}

/** What a row's difference is, in words (the mark is never colour alone). */
export function differenceText(row: Pick<CompareRow, 'differs'>): string | null {
  return row.differs === 'verdict' ? '≠ verdicts differ' : row.differs === 'outcome' ? '≈ same verdict, different outcome' : null;
}

function cellHtml(cell: Cell | null, column: Comparison['columns'][number], row: CompareRow): string {
  const profile = row.profile.name;
  const data = `data-cell="" data-run="${h(column.runName)}" data-sender="${h(column.sender.label)}" data-profile="${h(profile)}"`;
  if (cell === null) return `<td class="cell missing" ${data} data-verdict="none">not in this run</td>`;
  const detail = cell.verdict === 'inconclusive' ? `not tested: ${inconclusiveCause(cell)}` : outcomeDetail(cell, row.profile);
  return (
    `<td class="cell${cell.settled ? '' : ' unsettled'}" ${data} data-verdict="${cell.verdict}"><div class="v-${cell.verdict}">` +
    `<span class="verdict">${icon(cell.verdict)}<span>${verdictLabel(cell)}</span></span><span class="what">${h(outcomeHeadline(cell, row.profile))}</span>` +
    `<span class="detail">${h(detail)}</span>${cell.settled ? '' : '<span class="detail">unsettled</span>'}</div></td>`
  );
}

export function renderCompareHtml(comparison: Comparison, options: RenderOptions = {}): string {
  const { runs, columns, rows, totals } = comparison;
  const title = givenText(options.title) ?? 'Which of these senders is safer?';
  const subtitle = givenText(options.subtitle);
  const runRows = runs
    .map(
      (run) =>
        `<tr><th scope="row">${h(run.name)}</th><td><code>${h(run.file)}</code></td><td><code>${h(run.document.run.id)}</code></td><td>${h(run.document.policy.name)}</td><td>${h(utc(run.document.run.startedAt))}</td><td>${run.document.senders.length}</td><td>${run.document.profiles.length}</td><td>${h(tallyText({ pass: run.document.summary.pass, fail: run.document.summary.fail, inconclusive: run.document.summary.inconclusive ?? 0 }))}</td></tr>`,
    )
    .join('\n');
  const rankRows = comparison.ranking
    .map((i, rank) => {
      const t = totals[i];
      const column = columns[i];
      if (!t || !column) return '';
      return `<tr><td>${rank + 1}</td><th scope="row">${h(column.label)}</th><td>${t.common.pass}</td><td>${t.common.fail}</td><td>${t.common.inconclusive}</td><td>${h(tallyText(t))}${t.unsettled ? `, ${t.unsettled} unsettled` : ''}${t.missing ? `, ${t.missing} not tested here` : ''}</td></tr>`;
    })
    .join('\n');
  const runHead = runs
    .map((run, r) => {
      const span = columns.filter((c) => c.run === r).length;
      return span > 0 ? `<th scope="colgroup" colspan="${span}">${h(run.name)} <span class="muted">(policy ${h(run.document.policy.name)})</span></th>` : '';
    })
    .join('');
  const senderHead = columns.map((c) => `<th scope="col" data-run="${h(c.runName)}">${h(c.sender.label)}</th>`).join('');
  const groups: string[] = [];
  let current: string | null = null;
  let body: string[] = [];
  const flush = (): void => {
    if (current !== null) groups.push(`<tbody>\n<tr class="group"><th scope="rowgroup" colspan="${columns.length + 1}">${h(current)}</th></tr>\n${body.join('\n')}\n</tbody>`);
    body = [];
  };
  for (const row of rows) {
    if (row.groupTitle !== current) {
      flush();
      current = row.groupTitle;
    }
    const mark = differenceText(row);
    body.push(
      `<tr class="${row.differs === 'verdict' ? 'differs' : ''}" data-profile="${h(row.profile.name)}" data-differs="${row.differs ?? 'no'}"><th scope="row">${h(row.profile.title)}<span class="name"><code>${h(row.profile.name)}</code> · expected: ${h(expectationLabel(row.profile.expected))}</span>${mark !== null ? `<span class="differs-mark">${h(mark)}</span>` : ''}</th>${row.cells.map((cell, i) => cellHtml(cell, columns[i] as Comparison['columns'][number], row)).join('')}</tr>`,
    );
  }
  flush();
  const foot = totals.map((t) => `<td>${h(tallyText(t, ' · '))}${t.missing ? ` · ${t.missing} not tested` : ''}</td>`).join('');
  return htmlPage({
    title: `${h(title)}: badmx comparison of ${runs.length} run${runs.length === 1 ? '' : 's'}`,
    css: CSS,
    main: `<header>
<p class="eyebrow">badmx comparison</p>
<h1>${h(title)}</h1>
${subtitle !== null ? `<p class="lede">${h(subtitle)}</p>\n` : ''}<p class="answer" role="note"><strong>${h(comparison.answer)}</strong></p>
<p>${comparison.differingRows} of ${rows.length} receiver states get different verdicts from these senders (marked <strong>≠ verdicts differ</strong>); ${comparison.commonRows} were tested by every sender.</p>
</header>
<section aria-labelledby="runs-heading">
<h2 id="runs-heading">Runs</h2>
<div class="scroll" role="region" aria-labelledby="runs-caption" tabindex="0">
<table class="runs">
<caption id="runs-caption">The runs compared, each read from its run.json.</caption>
<thead><tr><th scope="col">Run</th><th scope="col">File</th><th scope="col">Id</th><th scope="col">Policy</th><th scope="col">Started</th><th scope="col">Senders</th><th scope="col">Receiver states</th><th scope="col">Verdicts</th></tr></thead>
<tbody>
${runRows}
</tbody>
</table>
</div>
</section>
<section aria-labelledby="ranking-heading">
<h2 id="ranking-heading">Ranking</h2>
<div class="scroll" role="region" aria-labelledby="ranking-caption" tabindex="0">
<table class="ranking">
<caption id="ranking-caption">Each sender, safest first: most PASS (a cell not tested proves nothing, so INCONCLUSIVE never counts as safe), then fewest FAIL, then fewest INCONCLUSIVE, counted on the ${comparison.commonRows} receiver states every sender was tested at; then its totals over everything it was tested at.</caption>
<thead><tr><th scope="col">Rank</th><th scope="col">Sender</th><th scope="col">Pass</th><th scope="col">Fail</th><th scope="col">Inconclusive</th><th scope="col">All its cells</th></tr></thead>
<tbody>
${rankRows}
</tbody>
</table>
</div>
</section>
<section aria-labelledby="matrix-heading">
<h2 id="matrix-heading">Side by side</h2>
<ul class="legend" aria-label="Legend">
<li><span class="v-pass">${icon('pass')} PASS</span> did what its run's policy expects at that receiver</li>
<li><span class="v-fail">${icon('fail')} FAIL</span> did not</li>
<li><span class="v-inconclusive">${icon('inconclusive')} INCONCLUSIVE</span> not actually tested</li>
<li><strong>≠ verdicts differ</strong> (heavy rules around the row): these senders do not agree there</li>
</ul>
<div class="scroll" role="region" aria-labelledby="compare-caption" tabindex="0">
<table class="compare">
<caption id="compare-caption">Receiver states (rows, every one any run tested) × each run's senders (columns).</caption>
<thead>
<tr class="runs-row"><td></td>${runHead}</tr>
<tr><th scope="col">Receiver state</th>${senderHead}</tr>
</thead>
${groups.join('\n')}
<tfoot><tr><th scope="row">Totals</th>${foot}</tr></tfoot>
</table>
</div>
</section>
<footer>Rendered by badmx from ${runs.length} run.json file${runs.length === 1 ? '' : 's'}. Self-contained: nothing in this page is fetched from anywhere.</footer>
`,
  });
}
