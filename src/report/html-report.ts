import { scheduleText } from './schedule-text.js';
import { htmlPage, selfContainedCsp } from './html-page.js';
import { helloFacts, helloOffers, tlsClientFindings } from './tls-client-text.js';
import { retriesText, senderKind } from './sender-kind.js';
import type { ConnectionSummary } from '../classify/outcome.js';
import type { ReceivedHop } from '../evidence/received-hop.js';
import type { BounceEvidence, Cell, RunDocument, RunProfile, RunSender } from '../document/run-document.js';
import { failureReasonText, inconclusiveCause, outcomeDetail, outcomeHeadline, settleWords, tallyText, unsettledWait, verdictCounts, verdictLabel } from './cell-label.js';
import { riskFacts, summarySection } from './summary-html.js';
import { escapeMarkup } from './escape.js';
import { describeHopTls, hopBasisText, policyFetchText, policyHostMark, policyHostSummary, UNATTRIBUTED_NOTE } from './evidence-text.js';
import { clock, duration, elapsedMs, relative, utc } from './format-time.js';
import { buildMatrix, expectationLabel, SUITE_TITLES, type Matrix } from './matrix-model.js';
import { givenText, type Renderer, type RenderOptions } from './renderer.js';
import { failuresText, failureText, orderedTlsReports, policyProfileText, reportSenderText, senderReporting, showsTlsReports, unnamedReporting, viaText } from './tls-reports.js';

/**
 * The HTML report: one self-contained file (inline CSS and SVG, nothing fetched; its
 * Content-Security-Policy forbids every load, so the browser proves it), readable without
 * colour (icon + word for every verdict: PASS, FAIL, INCONCLUSIVE) and without JavaScript
 * (<details> per cell, anchors from the matrix). Every string from run.json is escaped: HELO
 * names, header lines, relay replies and bounce diagnostics are attacker-controlled.
 */

/** Foreground/background pairs the report uses; the tests hold each to WCAG AA (4.5:1). */
export const HTML_PALETTE = {
  text: ['#1a1a1a', '#ffffff'],
  muted: ['#4f4f4f', '#ffffff'],
  mutedOnPanel: ['#4f4f4f', '#f4f4f4'],
  link: ['#0b4fc2', '#ffffff'],
  pass: ['#14532d', '#e3f3e8'],
  fail: ['#8b1a12', '#fce8e6'],
  inconclusive: ['#5b2a86', '#f1e9fa'],
  unsettled: ['#5c4a00', '#fff4cc'],
  mismatch: ['#5c4a00', '#fff4cc'],
} as const;

const P = HTML_PALETTE;

/**
 * Print (and the PDF, which Chromium prints from this page): dark ink on white, whatever the
 * screen styles are; only the verdicts keep their pale tints, so they still read at a glance.
 * Every cell's evidence prints open (a closed <details> hides its content by the
 * ::details-content pseudo-element); the matrix is never cut: it wraps inside the page's width
 * instead of scrolling, and its header row repeats on each page.
 */
const PRINT_CSS = `@media print{
@page{size:A4;margin:12mm}
html{print-color-adjust:exact;-webkit-print-color-adjust:exact}
*,*::before,*::after{background:transparent!important;color:#000!important;box-shadow:none!important;text-shadow:none!important}
body{font-size:10.5pt;background:#fff!important}
main{max-width:none;padding:0}
a{text-decoration:none}
.v-pass{color:${P.pass[0]}!important;background:${P.pass[1]}!important}.v-fail{color:${P.fail[0]}!important;background:${P.fail[1]}!important}
.v-inconclusive{color:${P.inconclusive[0]}!important;background:${P.inconclusive[1]}!important}.v-unsettled{color:${P.unsettled[0]}!important;background:${P.unsettled[1]}!important}
.v-pass *,.v-fail *,.v-inconclusive *,.v-unsettled *{color:inherit!important}
pre{border:1px solid #999}
.matrix-scroll{overflow:visible}
table.matrix{width:100%;font-size:9pt}
table.matrix th,table.matrix td{overflow-wrap:anywhere;min-width:0!important;padding:2px}
td.cell a{padding:3px 4px}
thead{display:table-header-group}
tr,td.cell a,details.cell>summary{break-inside:avoid}
h2,h3,h4{break-after:avoid}
details::details-content{content-visibility:visible!important;display:block!important}
details>summary{list-style:none}
details.cell{border-left-width:3px;background:#fff!important}
details.cell .body,details.cell .body *{color:#000!important}
/* The ClientHello octets are for a machine (run.json has them all): not on paper. */
.octets{display:none}
}`;

const CSS = `
:root{color-scheme:light}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Liberation Sans",sans-serif;color:${P.text[0]};background:${P.text[1]}}
main{max-width:1200px;margin:0 auto;padding:24px 28px 48px}
h1{font-size:26px;margin:4px 0 2px}h1 code,h3 code{font-size:.85em}h2{font-size:20px;margin:36px 0 10px;border-bottom:2px solid #1a1a1a;padding-bottom:4px}
h3{font-size:17px;margin:26px 0 4px}h4{font-size:14px;margin:16px 0 6px;text-transform:uppercase;letter-spacing:.05em;color:${P.muted[0]}}
a{color:${P.link[0]}}code,pre,.mono{font-family:ui-monospace,"DejaVu Sans Mono","Liberation Mono",Menlo,Consolas,monospace;font-size:13px}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:${P.mutedOnPanel[1]};padding:8px 10px;border-radius:4px;margin:4px 0}
.eyebrow{margin:0;font-size:13px;text-transform:uppercase;letter-spacing:.08em;color:${P.muted[0]}}
.lede{margin:0 0 12px;font-size:16px}
.muted{color:${P.muted[0]}}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:8px 0}
dl.meta dt{font-weight:600}dl.meta dd{margin:0;overflow-wrap:anywhere}
.summary{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin:12px 0}
.badge{display:inline-flex;align-items:center;gap:6px;padding:3px 10px;border-radius:999px;font-weight:700;border:1px solid currentColor}
.v-pass{color:${P.pass[0]};background:${P.pass[1]}}.v-fail{color:${P.fail[0]};background:${P.fail[1]}}
.v-unsettled{color:${P.unsettled[0]};background:${P.unsettled[1]}}
.v-inconclusive{color:${P.inconclusive[0]};background:${P.inconclusive[1]}}
.icon{width:16px;height:16px;flex:none;vertical-align:-3px}
.alert-box{border:2px solid ${P.fail[0]};background:${P.fail[1]};color:${P.fail[0]};padding:8px 12px;border-radius:4px}
.mismatch,.caveat{border:2px solid ${P.mismatch[0]};background:${P.mismatch[1]};color:${P.mismatch[0]};padding:6px 10px;border-radius:4px}
.wait{border:2px dashed ${P.unsettled[0]};background:${P.unsettled[1]};color:${P.unsettled[0]};padding:6px 10px;border-radius:4px;overflow-wrap:anywhere}
.untested,.diagnosis{border:2px solid ${P.inconclusive[0]};background:${P.inconclusive[1]};color:${P.inconclusive[0]};padding:6px 10px;border-radius:4px;overflow-wrap:anywhere}
.diagnosis{display:block;margin:6px 0 0;padding:4px 8px;font-size:13px;font-weight:400}
table{border-collapse:collapse;width:100%}
caption{text-align:left;padding:4px 0 8px;color:${P.muted[0]}}
th,td{text-align:left;vertical-align:top;padding:6px 8px;border-bottom:1px solid #d6d6d6}
thead th{border-bottom:2px solid #1a1a1a}
table.matrix td{padding:4px}
.matrix-scroll{overflow-x:auto;max-width:100%;margin:0 0 8px}
.matrix-scroll:focus-visible{outline:3px solid ${P.link[0]};outline-offset:2px}
table.matrix thead th{overflow-wrap:anywhere;min-width:9rem}table.matrix thead th:first-child{min-width:8rem}
table.matrix th[scope=row] .name{display:block;font-weight:400;font-size:13px;color:${P.muted[0]}}
table.matrix tr.group th{background:${P.mutedOnPanel[1]};color:${P.mutedOnPanel[0]};text-transform:uppercase;letter-spacing:.06em;font-size:12px}
td.cell a{display:block;text-decoration:none;color:inherit;padding:6px 8px;border-radius:4px;border:1.5px solid currentColor;min-height:100%}
td.cell a:hover,td.cell a:focus{outline:3px solid ${P.link[0]};outline-offset:1px}
td.cell.unsettled a{border-style:dashed}
td.cell[data-verdict=inconclusive] a{border-style:double;border-width:4px}
td.cell .verdict{display:flex;align-items:center;gap:6px;font-weight:700}
td.cell .what{display:block;font-weight:600}
td.cell .detail{display:block;font-size:13px}
ul.legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:8px 18px}
ul.legend li{display:flex;align-items:center;gap:6px}
details.cell{border:1px solid #cfcfcf;border-left:6px solid currentColor;border-radius:4px;margin:8px 0;background:#fff}
details.cell>summary{cursor:pointer;padding:6px 10px;display:flex;flex-wrap:wrap;gap:6px 10px;align-items:center;list-style-position:inside}
details.cell[open]>summary{border-bottom:1px solid #e0e0e0}
details.cell .body{scroll-margin-top:72px;padding:8px 12px;color:${P.text[0]};background:#fff}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:6px 0}
dl.facts dt{font-weight:600}dl.facts dd{margin:0;overflow-wrap:anywhere}
ol.connections{padding-left:22px}ol.connections>li{margin:8px 0}
svg.timeline{width:100%;max-width:720px;height:auto;display:block}
table.hops td,table.hops th,table.senders td,table.senders th,table.bounces td,table.bounces th{font-size:13px;overflow-wrap:anywhere}
/* Key numbers: a count or a heading word is never broken inside ("Tes ts" in print); the sender's label breaks only where it must. */
table.key-numbers th,table.key-numbers td{overflow-wrap:break-word}
table.key-numbers thead th,table.key-numbers td:not(:last-child){overflow-wrap:normal}
.nowrap{white-space:nowrap;overflow-wrap:normal}
.mismatch,.caveat,.alert-box,details.cell>summary{overflow-wrap:anywhere}
@media (max-width:600px){main{padding:16px 12px 40px}.nowrap{white-space:normal}table.senders th,table.senders td,table.bounces th,table.bounces td,table.hops th,table.hops td{overflow-wrap:anywhere;padding:4px}}
footer{margin-top:40px;color:${P.muted[0]};font-size:13px}
${PRINT_CSS}
`.trim();

/** No fetch of any kind: the only thing allowed is the report's own inline stylesheet, by hash. */
export const HTML_CSP = selfContainedCsp(CSS);

const h = escapeMarkup;

const ICONS = {
  pass: '<path d="M3.5 8.5l3 3 6-7" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" stroke-linejoin="round"/>',
  fail: '<path d="M4 4l8 8M12 4l-8 8" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round"/>',
  inconclusive: '<circle cx="8" cy="8" r="6" fill="none" stroke="currentColor" stroke-width="1.8"/><path d="M4 12L12 4" stroke="currentColor" stroke-width="1.8" stroke-linecap="round"/>',
  unsettled: '<circle cx="8" cy="8" r="6" fill="none" stroke="currentColor" stroke-width="1.8"/><path d="M8 4.5V8l2.5 1.5" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round"/>',
  warning: '<path d="M8 1.8l6.5 12H1.5z" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linejoin="round"/><path d="M8 6v4M8 11.8v.4" stroke="currentColor" stroke-width="1.8" stroke-linecap="round"/>',
} as const;

function icon(name: keyof typeof ICONS): string {
  return `<svg class="icon" viewBox="0 0 16 16" aria-hidden="true" focusable="false">${ICONS[name]}</svg>`;
}

function verdictBadge(cell: Cell): string {
  return `${icon(cell.verdict)}<span>${verdictLabel(cell)}</span>`;
}

const STARTTLS_REPLIES: Record<number, string> = {
  220: 'ready to start TLS',
  454: 'TLS not available',
  501: 'syntax error',
  502: 'command not implemented',
  503: 'bad sequence of commands',
};

function fact(term: string, value: string | null): string {
  return value === null ? '' : `<dt>${h(term)}</dt><dd>${value}</dd>`;
}

/** The heading: --title (escaped) in place of the run and policy, which then follow it; --subtitle under it. */
function heading(run: RunDocument, options: RenderOptions): string {
  const title = givenText(options.title);
  const subtitle = givenText(options.subtitle);
  const runLine = `Run <code>${h(run.run.id)}</code> · policy ${h(run.policy.name)}`;
  return [
    title !== null ? `<h1>${h(title)}</h1>` : `<h1>${runLine}</h1>`,
    subtitle !== null ? `<p class="lede subtitle">${h(subtitle)}</p>` : '',
    title !== null ? `<p class="lede">${runLine}: ${h(run.policy.title)}</p>` : `<p class="lede">${h(run.policy.title)}</p>`,
  ]
    .filter((line) => line !== '')
    .join('\n');
}

function header(run: RunDocument, options: RenderOptions = {}): string {
  const { summary } = run;
  const span = elapsedMs(run.run.startedAt, run.run.finishedAt);
  return `<header>
<p class="eyebrow">badmx report</p>
${heading(run, options)}
${run.run.limitsHit.map((limit) => `<p class="alert-box" role="alert">${icon('warning')} <strong>Limit reached:</strong> ${h(limit)}.</p>`).join('\n')}
${run.run.status === 'error' ? `<p class="alert-box" role="alert">${icon('warning')} <strong>The run stopped early:</strong> ${h(run.run.error ?? 'unknown error')}. Cells below are what was recorded until then.</p>` : ''}
<dl class="meta">
${fact('Status', h(run.run.status))}
${fact('Started', h(utc(run.run.startedAt)))}
${fact('Finished', `${h(utc(run.run.finishedAt))}${span !== null ? ` <span class="muted">(${h(duration(span))})</span>` : ''}`)}
${fact('Zone', `<code>${h(run.run.zone)}</code>`)}
${fact('Wait per sender', h(duration(run.run.waitMs)))}
${fact('Written by', `badmx ${h(run.tool.version)}, run.json schemaVersion ${h(String(run.schemaVersion))}`)}
${fact('Event log', `<code>${h(run.run.events)}</code> <span class="muted">(next to run.json)</span>`)}
${fact('Schedule', h(scheduleText(run)))}
${fact('Stray connections', h(`${run.stray.connections}${run.stray.connections ? ' (connections that belonged to no probe)' : ''}`))}
</dl>
<p class="summary" aria-label="Summary">
<span class="badge v-pass">${icon('pass')}${summary.pass} pass</span>
<span class="badge v-fail">${icon('fail')}${summary.fail} fail</span>
${summary.inconclusive ? `<span class="badge v-inconclusive">${icon('inconclusive')}${summary.inconclusive} inconclusive</span>` : ''}
${summary.unsettled ? `<span class="badge v-unsettled">${icon('unsettled')}${summary.unsettled} unsettled</span>` : ''}
<span class="muted">of ${summary.cells} cells (${run.senders.length} sender${run.senders.length === 1 ? '' : 's'} × ${run.profiles.length} receiver states)</span>
</p>
</header>`;
}

function sendersSection(run: RunDocument): string {
  const rows = run.senders
    .map((s: RunSender) => {
      const window = s.window
        ? `${h(utc(s.window.start, { ms: true }))} → ${h(relative(s.window.start, s.window.end))}`
        : '<span class="muted">did not run</span>';
      const items = [...s.notes.map((n) => `<li>${h(n)}</li>`), ...(s.retries ? [`<li class="retries"><strong>retries as stated:</strong> ${h(retriesText(s.retries))}</li>`] : [])];
      const notes = (items.length ? `<ul>${items.join('')}</ul>` : '<span class="muted">none</span>') + diagnosisNote(s);
      return `<tr><th scope="row">${h(s.label)}</th><td>${h(senderKind(s))}</td><td><code>${h(s.spec)}</code></td><td>${window}</td><td>${notes}</td></tr>`;
    })
    .join('\n');
  const rules = run.policy.rules
    .map((rule) => {
      const when = rule.when
        ? Object.entries(rule.when)
            .map(([k, v]) => `${k} = ${Array.isArray(v) ? v.join(', ') : String(v)}`)
            .join(' and ')
        : 'otherwise';
      return `<li><span class="muted">${h(when)}:</span> <strong>${h(rule.expect)}${rule.minVersion ? ` (${h(rule.minVersion)}+)` : ''}</strong>, because ${h(rule.because)}</li>`;
    })
    .join('\n');
  return `<section aria-labelledby="senders-heading">
<h2 id="senders-heading">Senders under test</h2>
<table class="senders">
<caption>Each sender as specified, when its probes were sent and awaited, and what it does differently (notes, and its retries when they were stated).</caption>
<thead><tr><th scope="col">Sender</th><th scope="col">Kind</th><th scope="col">Spec</th><th scope="col">Window</th><th scope="col">Notes</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
<h3>Policy ${h(run.policy.name)}: rules, first match wins</h3>
<ol>
${rules}
</ol>
</section>`;
}

/** What each sender offered in its handshakes: findings, then each distinct ClientHello with its raw octets. */
function tlsClientsSection(run: RunDocument): string {
  const blocks = run.senders.map((s) => {
    const hellos = helloOffers(s.tlsClient?.hellos ?? [])
      .map(
        (offer) => `<details class="hello"><summary><code>${h(offer.first.ja4)}</code></summary>
<dl class="facts">
${helloFacts(offer)
  .map(([term, value]) => fact(term, h(value)))
  .join('\n')}
<div class="octets">${fact(offer.snis.length > 1 ? 'ClientHello octets (the first)' : 'ClientHello octets', `<code class="hex">${h(offer.first.hex)}</code>`)}</div>
</dl></details>`,
      )
      .join('\n');
    return `<h3>${h(s.label)}</h3>
<p>${s.tlsClient?.findings.length ? `<strong>${h(tlsClientFindings(s))}</strong>` : `<span class="muted">${h(tlsClientFindings(s))}</span>`}</p>
${hellos}`;
  });
  return `<section aria-labelledby="tls-clients-heading">
<h2 id="tls-clients-heading">What each sender offers (its ClientHello)</h2>
<p class="muted">As the receivers read them before their TLS stack: versions, cipher suites (RC4, 3DES, DES, EXPORT, NULL, anonymous and CBC flagged), groups, signature algorithms, SNI, ALPN, and the JA4 and JA3 fingerprints.</p>
${blocks.join('\n')}
</section>`;
}

function matrixSection(run: RunDocument, matrix: Matrix, ids: Map<Cell, string>): string {
  const caption = `Receiver states (rows) × senders (columns), judged against policy ${h(run.policy.name)}. Each cell links to its evidence.`;
  // A run of the study's profiles alone is one table, as before suites; otherwise a table per suite under its heading.
  const tables = matrix.bySuite
    ? matrix.suites
        .map(
          (suite) => `<section class="suite" aria-labelledby="suite-${h(slug(suite.suite))}">
<h3 id="suite-${h(slug(suite.suite))}">${h(suite.title)}</h3>
<p class="muted">${h(suite.question)}</p>
${matrixTable(run, matrix, suite.groups, ids, `${h(suite.title)}: receiver states (rows) × senders (columns), judged against policy ${h(run.policy.name)}. Each cell links to its evidence.`, true)}
</section>`,
        )
        .join('\n')
    : matrixTable(run, matrix, matrix.groups, ids, caption, false);
  const policyHosts = matrix.rows.some((row) => row.cells.some((cell) => cell !== null && policyHostMark(cell, row.profile) !== null));
  return `<section aria-labelledby="matrix-heading">
<h2 id="matrix-heading">Matrix</h2>
<ul class="legend" aria-label="Legend">
<li><span class="badge v-pass">${icon('pass')}PASS</span> did what policy ${h(run.policy.name)} expects at that receiver</li>
<li><span class="badge v-fail">${icon('fail')}FAIL</span> did not</li>
${run.cells.some((c) => c.verdict === 'inconclusive') ? `<li><span class="badge v-inconclusive">${icon('inconclusive')}INCONCLUSIVE</span> not actually tested (never submitted, the sender or its relay unreachable, a bounce for a reason that is not TLS, or a sender that delivered to no control profile): neither a pass nor a fail (double border)</li>` : ''}
${run.summary.unsettled ? `<li><span class="badge v-unsettled">${icon('unsettled')}unsettled</span> the deadline came before the sender finished (dashed border); its evidence says how long was waited and why that was not enough</li>` : ''}
${run.cells.some((c) => c.caveat) ? `<li><span class="badge v-unsettled">${icon('warning')}caveat</span> the verdict depends on a certificate the sender could not be expected to trust (the badmx test root)</li>` : ''}${policyHosts ? '\n<li><span><strong>policy fetched</strong>, <strong>policy never fetched</strong>: what the domain&#39;s MTA-STS policy host saw of the sender (its evidence has each request)</span></li>' : ''}
</ul>
${tables}
</section>`;
}

/** One matrix table: the senders across (each with its tally over these rows), the groups' rows down; in suite mode each row also says what its profile asks. */
function matrixTable(run: RunDocument, matrix: Matrix, groups: Matrix['groups'], ids: Map<Cell, string>, caption: string, explain: boolean): string {
  const rows = groups.flatMap((g) => g.rows);
  const head = matrix.senders
    .map((s, i) => {
      const cells = rows.map((row) => row.cells[i]).filter((c): c is Cell => c !== null && c !== undefined);
      return `<th scope="col">${h(s.label)}<br><span class="muted">${h(senderKind(s))} · ${h(tallyText(verdictCounts(cells), ' · '))}</span>${diagnosisNote(s)}</th>`;
    })
    .join('');
  const bodies = groups
    .map((group) => {
      const rows = group.rows.map((row) => {
        const cells = row.cells
          .map((cell, i) => {
            const sender = matrix.senders[i]?.label ?? '';
            if (!cell) return `<td class="cell missing" data-cell="" data-sender="${h(sender)}" data-profile="${h(row.profile.name)}" data-verdict="none">—</td>`;
            const mark = policyHostMark(cell, row.profile);
            return (
              `<td class="cell${cell.settled ? '' : ' unsettled'}" data-cell="" data-sender="${h(sender)}" data-profile="${h(row.profile.name)}" data-verdict="${cell.verdict}" data-settled="${String(cell.settled)}">` +
              `<a class="v-${cell.verdict}" href="#${ids.get(cell) ?? ''}"><span class="verdict">${verdictBadge(cell)}</span>` +
              `<span class="what">${h(outcomeHeadline(cell, row.profile))}</span><span class="detail">${h(cell.verdict === 'inconclusive' ? `not tested: ${inconclusiveCause(cell)}` : outcomeDetail(cell, row.profile))}</span>` +
              `${mark !== null ? `<span class="detail">${h(mark)}</span>` : ''}` +
              `${cell.settled ? '' : `<span class="detail">${icon('unsettled')} unsettled${waitedText(cell)}</span>`}` +
              `${cell.caveat ? `<span class="detail">${icon('warning')} caveat</span>` : ''}</a></td>`
            );
          })
          .join('');
        const explained = explain ? `<span class="name">${h(row.profile.tests)}</span>` : '';
        return `<tr><th scope="row">${h(row.profile.title)}<span class="name"><code>${h(row.profile.name)}</code> · expected: ${h(expectationLabel(row.profile.expected))}</span>${explained}</th>${cells}</tr>`;
      });
      return `<tbody>\n<tr class="group"><th scope="rowgroup" colspan="${matrix.senders.length + 1}">${h(group.title)}</th></tr>\n${rows.join('\n')}\n</tbody>`;
    })
    .join('\n');
  // At a phone's width the matrix scrolls inside its own box (focusable, so it scrolls by keyboard too), never the page.
  return `<div class="matrix-scroll" role="region" aria-label="${explain ? `Matrix table: ${h(SUITE_TITLES[groups[0]?.suite ?? 'study'])}` : 'Matrix table'}" tabindex="0">
<table class="matrix">
<caption>${caption}</caption>
<thead><tr><th scope="col">Receiver state</th>${head}</tr></thead>
${bodies}
</table>
</div>`;
}

function timeline(evidence: ConnectionSummary[]): string {
  const base = evidence[0]?.start;
  if (!base) return '';
  const ends = evidence.map((c) => elapsedMs(base, c.end ?? c.start) ?? 0);
  const starts = evidence.map((c) => elapsedMs(base, c.start) ?? 0);
  const span = Math.max(1, ...ends);
  const left = 110;
  const width = 600;
  const rowH = 22;
  const height = evidence.length * rowH + 22;
  const bars = evidence
    .map((c, i) => {
      const x0 = left + ((starts[i] ?? 0) / span) * (width - left - 10);
      const x1 = left + ((ends[i] ?? 0) / span) * (width - left - 10);
      const y = i * rowH + 4;
      const fill = c.data?.accepted ? '#1a1a1a' : '#8a8a8a';
      return (
        `<text x="4" y="${y + 13}" font-size="12" fill="#1a1a1a">#${i + 1} ${c.end === null ? '(open)' : ''}</text>` +
        `<rect x="${x0.toFixed(1)}" y="${y + 2}" width="${Math.max(2, x1 - x0).toFixed(1)}" height="14" rx="2" fill="${fill}"${c.end === null ? ' stroke="#1a1a1a" stroke-dasharray="3 2" fill-opacity="0.3"' : ''}/>`
      );
    })
    .join('');
  return (
    `<svg class="timeline" viewBox="0 0 ${width} ${height}" role="img" aria-label="Connection timeline over ${h(duration(span))}">` +
    bars +
    `<text x="${left}" y="${height - 4}" font-size="11" fill="#4f4f4f">+0 ms</text>` +
    `<text x="${width - 10}" y="${height - 4}" font-size="11" fill="#4f4f4f" text-anchor="end">+${h(duration(span))}</text>` +
    `</svg>\n<p class="muted">Each bar is one connection, from its first to its last event; the dark one carried the delivered message.</p>`
  );
}

function connectionItem(c: ConnectionSummary, i: number, base: string): string {
  const took = elapsedMs(c.start, c.end);
  const tls = c.tls
    ? `<strong>${h(c.tls.version)}</strong> <code>${h(c.tls.cipher)}</code>${c.tls.sni ? ` <span class="muted">SNI <code>${h(c.tls.sni)}</code></span>` : ''}`
    : null;
  const failure = c.tlsFailure
    ? `${c.tlsFailure.alert ? `alert <strong>${h(c.tlsFailure.alert)}</strong>, ` : 'no alert, '}ended by ${h(c.tlsFailure.origin)}: ${h(c.tlsFailure.reason)}`
    : null;
  const starttls = c.starttls !== null ? `${c.starttls} <span class="muted">${h(STARTTLS_REPLIES[c.starttls] ?? '')}</span>` : '<span class="muted">not asked</span>';
  return `<li><p><strong>Connection ${i + 1}</strong> ${h(relative(base, c.start))} → ${c.end ? h(relative(base, c.end)) : 'still open'}${took !== null ? ` <span class="muted">(${h(duration(took))})</span>` : ''} from <code>${h(c.peer)}</code> <span class="muted">conn <code>${h(c.conn)}</code></span></p>
<dl class="facts">
${fact('HELO', c.helo !== null ? `<code>${h(c.helo)}</code>` : '<span class="muted">none</span>')}
${fact('STARTTLS', starttls)}
${fact('TLS', tls)}
${fact('TLS failure', failure)}
${fact('ClientHello', c.clientHello ? (c.clientHello.ja4 !== null ? `JA4 <code>${h(c.clientHello.ja4)}</code>` : `<span class="muted">${h(c.clientHello.error ?? '')}</span>`) : null)}
${fact('Injection check', c.injection ? injectionText(c.injection) : null)}
${fact('MAIL FROM', c.mailFrom !== null ? `<code>${h(c.mailFrom)}</code>` : null)}
${fact('RCPT TO', c.rcptTo.length ? c.rcptTo.map((r) => `<code>${h(r)}</code>`).join(', ') : null)}
${fact('DATA', c.data ? `${c.data.reply} ${c.data.accepted ? 'accepted' : 'not accepted'}${c.data.messageId ? ` <code>${h(c.data.messageId)}</code>` : ''}` : null)}
${fact('Commands', c.commands.length ? `<code>${h(c.commands.join(' '))}</code>` : '<span class="muted">none</span>')}
</dl></li>`;
}

/** What the sender did at starttls-injection's withheld reply, in words. */
function injectionText(check: NonNullable<ConnectionSummary['injection']>): string {
  if (check.withheld === null) return `its first command inside TLS was <code>${h(check.lines[0] ?? '')}</code>, with no greeting there`;
  return check.lines.length
    ? `sent <code>${h(check.lines.join(' | '))}</code> while its ${h(check.withheld)} inside TLS was unanswered`
    : `waited for the reply to its ${h(check.withheld)} inside TLS`;
}

function hopsTable(hops: ReceivedHop[]): string {
  const rows = hops
    .map((hop, i) => {
      const from = [hop.from.helo, hop.from.rdns, hop.from.address ? `[${hop.from.address}]` : null].filter((x) => x !== null).join(' ');
      const by = [hop.by.host, hop.by.software ? `(${hop.by.software})` : null].filter((x) => x !== null).join(' ');
      return `<tr><td>${i + 1}</td><td><code>${h(from || '—')}</code></td><td><code>${h(by || '—')}</code></td><td class="nowrap">${h(hop.with ?? '—')}</td><td>${h(describeHopTls(hop))}</td><td>${h(hopBasisText(hop))}</td><td><code>${h(hop.id ?? '—')}</code></td><td><code>${h(hop.for ?? '—')}</code></td><td>${h(hop.date ?? '—')}</td></tr>`;
    })
    .join('\n');
  return `<table class="hops">
<caption>The Received chain, parsed, oldest hop first. "Stated by": the words of the field that say TLS or not (the with keyword, a comment, the with clause), or nothing stated (unknown).</caption>
<thead><tr><th scope="col">#</th><th scope="col">From</th><th scope="col">By</th><th scope="col">With</th><th scope="col">TLS</th><th scope="col">Stated by</th><th scope="col">Id</th><th scope="col">For</th><th scope="col">Date</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`;
}

function bouncesTable(bounces: BounceEvidence[]): string {
  const rows = bounces
    .map(
      (b) =>
        `<tr><td class="nowrap">${h(utc(b.at, { ms: true }))}</td><td class="nowrap"><strong>${h(b.action)}</strong></td><td class="nowrap"><code>${h(b.status ?? '—')}</code></td><td>${b.diagnostic !== null ? `<code>${h(b.diagnostic)}</code>` : '<span class="muted">none given</span>'}</td><td><code>${h(b.remoteMta ?? '—')}</code></td><td class="nowrap">${h(b.format)}</td><td>${b.message !== null ? `<code>${h(b.message)}</code>` : '—'}</td></tr>`,
    )
    .join('\n');
  return `<table class="bounces">
<caption>Delivery status notifications the sender sent back for this probe, in its own words.</caption>
<thead><tr><th scope="col">At</th><th scope="col">Action</th><th scope="col">Status</th><th scope="col">Diagnostic</th><th scope="col">Remote MTA</th><th scope="col">Format</th><th scope="col">Stored</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`;
}

/** Why a sender's refusals prove nothing (it delivered to no control profile), where it is named; empty when it did. */
function diagnosisNote(sender: RunSender): string {
  return sender.diagnosis ? `<span class="diagnosis" role="note">${icon('inconclusive')} <strong>INCONCLUSIVE:</strong> ${h(sender.diagnosis)}</span>` : '';
}

/** ", waited 1 min" for an unsettled cell whose wait was recorded; empty otherwise. */
function waitedText(cell: Cell): string {
  const wait = unsettledWait(cell);
  return wait !== null ? `, ${h(wait)}` : '';
}

/** The Settled fact: what settled the cell and when, with the run's word on why that was enough; for an unsettled one, that the deadline came first (the note above says why). */
function settledFact(cell: Cell): string {
  if (!cell.settled) {
    // Something settled it, yet the record stayed incomplete (a connection still open): the note above says so.
    if ((cell.settle?.by ?? null) !== null) return `no, though ${h(settleWords(cell))}: the note above says why`;
    return `no${waitedText(cell)}: the deadline came first, the sender might still have acted later`;
  }
  const note = cell.settle?.note ?? '';
  const words = settleWords(cell);
  return `${words === 'yes' ? 'yes' : `yes, ${h(words)}`}${note ? ` <span class="muted">(${h(note)})</span>` : ''}`;
}

/** What the profile's MTA-STS policy host saw of the cell's sender: each request, and what they add up to; empty for a profile that declares no policy. */
function policyHostPart(cell: Cell, profile: RunProfile): string {
  const summary = policyHostSummary(cell, profile);
  const fetches = cell.policyFetches ?? [];
  if (summary === null && fetches.length === 0) return '';
  const items = fetches.map((f) => {
    const line = policyFetchText({ ...f, by: 'sender' });
    const seen = [
      f.peer !== '' ? `from <code>${h(f.peer)}</code>` : null,
      f.sni !== null ? `SNI <code>${h(f.sni)}</code>` : null,
      f.userAgent !== null ? `User-Agent <code>${h(f.userAgent)}</code>` : null,
    ].filter((x) => x !== null);
    return `<li>${h(line)}${seen.length ? ` <span class="muted">${seen.join(', ')}</span>` : ''}${f.by === 'unattributed' ? ` <em>(${h(UNATTRIBUTED_NOTE)})</em>` : ''}</li>`;
  });
  const host = profile.sts ? ` <code>${h(profile.sts.policyHost)}</code>` : '';
  return `<h4>MTA-STS policy host</h4>
${summary !== null ? `<p><strong>${h(summary)}</strong></p>` : ''}
${items.length ? `<ul class="policy-host" aria-label="What the policy host${h(profile.sts ? ` ${profile.sts.policyHost}` : '')} saw">\n${items.join('\n')}\n</ul>` : `<p class="muted">The policy host${host} recorded nothing of this sender.</p>`}`;
}

function cellDetails(cell: Cell, id: string, sender: RunSender | undefined, profile: RunProfile): string {
  const base = cell.evidence[0]?.start ?? null;
  const submission = cell.submission
    ? `${cell.submission.accepted ? 'accepted' : 'not accepted'}${cell.submission.final ? ' (final)' : ''}: <code>${h(cell.submission.detail.trimEnd())}</code>`
    : null;
  const attempts = cell.submission ? (cell.submission.attempts ?? 1) : null;
  const bounces = cell.bounces ?? [];
  const span = elapsedMs(cell.firstSeen, cell.lastSeen);
  const hops = cell.hops ?? null;
  const policyHost = policyHostPart(cell, profile);
  // The anchor is inside the closed <details>: following a link to it opens the details (HTML's ancestor-revealing algorithm), no script needed.
  return `<details class="cell v-${cell.verdict}">
<summary><span class="badge v-${cell.verdict}">${verdictBadge(cell)}</span> <strong>${h(cell.sender)}</strong> <span>${h(outcomeHeadline(cell, profile))}: ${h(outcomeDetail(cell, profile))}</span>${cell.verdict === 'inconclusive' ? ` <span>(not tested: ${h(inconclusiveCause(cell))})</span>` : ''}${cell.settled ? '' : ` <span class="badge v-unsettled">${icon('unsettled')}unsettled</span>`}${cell.evidenceMismatch ? ` <span class="badge v-unsettled">${icon('warning')}evidence mismatch</span>` : ''}${cell.caveat ? ` <span class="badge v-unsettled">${icon('warning')}caveat</span>` : ''}</summary>
<div class="body" id="${id}">
${cell.verdict === 'inconclusive' ? `<p class="untested" role="note">${icon('inconclusive')} <strong>Inconclusive, not tested (${h(inconclusiveCause(cell))}):</strong> ${h(cell.inconclusive?.detail ?? cell.reason)}</p>` : `<p>${h(failureReasonText(cell, profile))}</p>`}
${cell.verdict === 'inconclusive' && sender?.diagnosis && sender.diagnosis !== cell.inconclusive?.detail ? `<p class="untested" role="note">${icon('inconclusive')} <strong>Sender ${h(sender.label)}:</strong> ${h(sender.diagnosis)}</p>` : ''}
${cell.evidenceMismatch ? `<p class="mismatch" role="note">${icon('warning')} <strong>Evidence mismatch:</strong> ${h(cell.evidenceMismatch)}</p>` : ''}
${cell.caveat ? `<p class="caveat" role="note">${icon('warning')} <strong>Certificate caveat:</strong> ${h(cell.caveat)}</p>` : ''}
${cell.settled ? '' : `<p class="wait" role="note">${icon('unsettled')} <strong>Unsettled, ${h(settleWords(cell))}:</strong> ${h(cell.settle?.note || 'the deadline came first: the sender might still have acted later')}</p>`}
<dl class="facts">
${fact('Outcome', `<code>${h(cell.outcome)}</code>`)}
${fact('TLS', cell.tls ? `<strong>${h(cell.tls.version)}</strong> <code>${h(cell.tls.cipher)}</code>` : 'none')}
${fact('Alert', cell.alert !== null ? `<strong>${h(cell.alert)}</strong>` : null)}
${fact('Connections', `${cell.connections}${cell.firstSeen ? `, first ${h(utc(cell.firstSeen, { ms: true }))}` : ''}${span !== null ? `, over ${h(duration(span))}` : ''}`)}
${fact('Settled', settledFact(cell))}
${fact('Misdirected', cell.misdirected ? `${cell.misdirected} connection(s) named this probe but reached another profile's receiver (a late retry on a shared address): recorded, not classified` : null)}
${fact('Submission', submission)}
${fact('Submission attempts', attempts !== null ? h(String(attempts)) : null)}
${fact('Bounces', bounces.length ? `${bounces.length} delivery status notification${bounces.length === 1 ? '' : 's'} from the sender (below)` : null)}
${fact('Probe', `<code>${h(cell.probe.recipient)}</code> <span class="muted">Message-ID</span> <code>${h(cell.probe.messageId)}</code>`)}
${fact('Stored message', cell.message !== null ? `<code>${h(cell.message)}</code> <span class="muted">(next to run.json)</span>` : null)}
</dl>
<h4>Attempts</h4>
${cell.evidence.length ? `${timeline(cell.evidence)}\n<ol class="connections">\n${cell.evidence.map((c, i) => connectionItem(c, i, base ?? c.start)).join('\n')}\n</ol>` : '<p class="muted">No connection reached the receiver.</p>'}
${bounces.length ? `<h4>Bounces</h4>\n${bouncesTable(bounces)}` : ''}
<h4>Received</h4>
${cell.received !== null ? `<pre>${h(cell.received)}</pre>` : '<p class="muted">Nothing was delivered, so there is no Received header.</p>'}
${hops && hops.length ? hopsTable(hops) : ''}${policyHost ? `\n${policyHost}` : ''}
</div>
</details>`;
}

function profileFacts(profile: RunProfile): string {
  const c = profile.certificate;
  const tls = profile.starttls === 'offer' ? `${profile.tls.minVersion}–${profile.tls.maxVersion}` : '—';
  return `<p class="muted"><code>${h(profile.hostname)}</code> at ${h(profile.address)}:${profile.port} · STARTTLS ${h(profile.starttls)} · TLS ${h(tls)} · certificate: issuer ${h(c.issuer)}, names ${h(c.names)}, ${h(c.validity)}, ${h(c.signature)}, ${h(c.chain)}</p>${stsFacts(profile)}`;
}

const POLICY_HOST_WORDS: Record<NonNullable<RunProfile['mtaSts']>['policy'], string> = {
  served: 'serves it over HTTPS with a valid certificate',
  unreachable: 'is unreachable (nothing listens on 443)',
  'bad-certificate': 'serves it with a self-signed certificate, which RFC 8461 §3.3 says a sender must not accept',
};

/** What a profile publishes by MTA-STS: the mode, whether the policy lists its MX, its policy host and the policy itself; empty for one that declares nothing. */
function stsFacts(profile: RunProfile): string {
  const sts = profile.sts ?? null;
  const spec = profile.mtaSts ?? sts?.spec ?? null;
  if (spec === null) return '';
  const host = sts !== null ? `<code>${h(sts.policyHost)}</code> at ${h(sts.policyAddress)}` : 'the policy host';
  const facts = `<p class="muted">MTA-STS: mode <strong>${h(spec.mode)}</strong> · the policy ${spec.mx === 'covered' ? 'lists this MX' : 'does not list this MX'} · max_age ${h(String(spec.maxAge))}${sts !== null ? ` · id <code>${h(sts.id)}</code>` : ''} · ${host} ${h(POLICY_HOST_WORDS[spec.policy] ?? spec.policy)}${sts?.reportsByHttps ? '; it takes TLS-RPT reports by HTTPS POST too' : ''}</p>`;
  return sts !== null ? `\n${facts}\n<pre>${h(sts.text.replace(/\r\n/g, '\n').trimEnd())}</pre>` : `\n${facts}`;
}

function cellsSection(run: RunDocument, matrix: Matrix, ids: Map<Cell, string>): string {
  const sections = matrix.rows
    .map((row) => {
      const details = row.cells
        .filter((c): c is Cell => c !== null)
        .map((cell) => cellDetails(cell, ids.get(cell) ?? '', run.senders.find((s) => s.label === cell.sender), row.profile));
      return `<section class="profile" aria-labelledby="profile-${h(slug(row.profile.name))}">
<h3 id="profile-${h(slug(row.profile.name))}">${h(row.profile.title)} <code>${h(row.profile.name)}</code></h3>
<p>${h(row.profile.tests)} <strong>Expected: ${h(expectationLabel(row.profile.expected))}</strong>, because ${h(row.profile.expected.because)}.</p>
${profileFacts(row.profile)}
${riskFacts(row.profile)}
${details.join('\n')}
</section>`;
    })
    .join('\n');
  return `<section aria-labelledby="cells-heading">
<h2 id="cells-heading">Evidence per cell</h2>
<p class="muted">What each receiver recorded: every connection of the probe, the TLS it negotiated or the failure, the SMTP steps, and the Received header of the delivered message. Open a cell to read it.</p>
${sections}
</section>`;
}

/**
 * The TLS reports (RFC 8460) that arrived: one row per policy of each report, then each sender
 * of the run, and whether it reported at all (a plus; one that never does is noted). Shown when
 * reports arrived, or when the run's profiles asked for them.
 */
function tlsReportsSection(run: RunDocument): string {
  if (!showsTlsReports(run)) return '';
  const rows = orderedTlsReports(run)
    .flatMap((report) => {
      const sender = report.sender !== null ? h(report.sender) : `<span class="muted">${h(reportSenderText(report))}</span>`;
      const lead = `<th scope="row">${sender}</th><td class="nowrap">${h(viaText(report.via))}</td><td class="nowrap">${h(clock(report.received))}</td>`;
      if (report.error !== null || report.policies.length === 0) {
        return [`<tr>${lead}<td colspan="4"><strong>not a valid report:</strong> ${h(report.error ?? 'it lists no policy')} <span class="muted">(<code>${h(report.file)}</code>)</span></td></tr>`];
      }
      return report.policies.map((policy) => {
        const failures = policy.failures.length ? policy.failures.map((f) => h(failureText(f))).join('<br>') : `<span class="muted">${h(failuresText(policy))}</span>`;
        return `<tr>${lead}<td>${policy.profile !== null ? `<code>${h(policy.profile)}</code>` : h(policyProfileText(policy))} <span class="muted">${h(policy.policyType)}</span></td><td>${failures}</td><td>${policy.successful}</td><td>${policy.failed}</td></tr>`;
      });
    })
    .join('\n');
  const senders = senderReporting(run).map((s) => `<li><strong>${h(s.sender)}</strong> ${h(s.text)}</li>`);
  const unnamed = unnamedReporting(run);
  const table = rows
    ? `<table class="senders tls-reports">
<caption>Each report as it arrived, one row per policy it reports on: the result types of the failed sessions, with their counts, and the sessions it counts as successful and failed.</caption>
<thead><tr><th scope="col">Sender</th><th scope="col">Via</th><th scope="col">Received</th><th scope="col">Profile</th><th scope="col">Result types</th><th scope="col" class="nowrap">Successful</th><th scope="col" class="nowrap">Failed</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`
    : '<p class="muted">No TLS report arrived during the run.</p>';
  return `<section aria-labelledby="tls-reports-heading">
<h2 id="tls-reports-heading">TLS reports (RFC 8460)</h2>
<p>A domain that publishes a TLS-RPT record asks senders to report the TLS sessions they tried with it, by mail or by HTTPS POST. A sender that reports tells the domain that its TLS is broken; one that never does leaves it in the dark.</p>
<ul class="tls-reporting" aria-label="Which senders reported">
${[...senders, ...(unnamed !== null ? [`<li>${h(unnamed)}</li>`] : [])].join('\n')}
</ul>
${table}
</section>
`;
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'x';
}

export function renderHtmlReport(run: RunDocument, options: RenderOptions = {}): string {
  const matrix = buildMatrix(run);
  const ids = new Map<Cell, string>();
  run.cells.forEach((cell, i) => ids.set(cell, `cell-${i + 1}-${slug(cell.profile)}`));
  return htmlPage({
    title: `${givenText(options.title) !== null ? `${h(givenText(options.title) ?? '')}: ` : ''}badmx run ${h(run.run.id)}: policy ${h(run.policy.name)}, ${h(tallyText({ pass: run.summary.pass, fail: run.summary.fail, inconclusive: run.summary.inconclusive ?? 0 }))}`,
    css: CSS,
    main: `${header(run, options)}
${summarySection(run)}${matrixSection(run, matrix, ids)}
${sendersSection(run)}
${tlsClientsSection(run)}
${tlsReportsSection(run)}${cellsSection(run, matrix, ids)}
<footer>Rendered by badmx from run.json (schemaVersion ${h(String(run.schemaVersion))}, written by badmx ${h(run.tool.version)}). Self-contained: nothing in this page is fetched from anywhere.</footer>
`,
  });
}

export const htmlReport: Renderer = {
  name: 'html',
  fileName: 'report.html',
  description: 'one self-contained HTML page: matrix, senders, policy, and every cell’s evidence',
  render: renderHtmlReport,
};
