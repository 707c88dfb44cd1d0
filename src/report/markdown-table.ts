import { scheduleText } from './schedule-text.js';
import { helloFacts, helloOffers, tlsClientFindings } from './tls-client-text.js';
import { retriesText, senderKind } from './sender-kind.js';
import type { Cell, RunDocument, RunProfile } from '../document/run-document.js';
import {
  bounceText,
  decisiveBounce,
  failureReasonText,
  INCONCLUSIVE_GLYPH,
  inconclusiveCause,
  outcomeDetail,
  outcomeHeadline,
  tallyText,
  unsettledGroups,
  verdictGlyph,
  verdictLabel,
} from './cell-label.js';
import { oneLine, visibleControls } from './escape.js';
import { declaresPolicy, describeHopTls, hopBasisText, policyFetchText, policyHostSummary } from './evidence-text.js';
import { clock, utc } from './format-time.js';
import { buildMatrix, expectationLabel } from './matrix-model.js';
import { givenText, type Renderer, type RenderOptions } from './renderer.js';
import { buildSummaryModel, keyNumbersLine } from './summary-model.js';
import { failuresText, orderedTlsReports, policyProfileText, reportSenderText, senderReporting, showsTlsReports, unnamedReporting, viaText } from './tls-reports.js';

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

function cellText(cell: Cell | null, profile: RunProfile): string {
  if (!cell) return '—';
  // An inconclusive cell says why it was not tested (the outcome alone would read like a verdict).
  const status = decisiveBounce(cell)?.status;
  const detail = cell.verdict === 'inconclusive' ? ` (${inconclusiveCause(cell)}${status ? `: ${status}` : ''})` : ` (${outcomeDetail(cell, profile)})`;
  // The headline names the fault the sender met (an expired certificate, STARTTLS answered 500), from the cell and its profile.
  return `${verdictGlyph(cell)} ${verdictLabel(cell)} ${markdownText(outcomeHeadline(cell, profile) + detail)}${cell.settled ? '' : ' \\*'}${cell.caveat ? ' ⚠' : ''}`;
}

/** The executive summary and each sender's key numbers, every number a count of the run's cells (summary-model.ts). */
function summaryLines(run: RunDocument): string[] {
  const model = buildSummaryModel(run);
  return [
    `**Summary.** ${markdownText(model.paragraph)}`,
    '',
    ...model.senders.map((s) => `- **${markdownText(s.sender)}**: ${markdownText(keyNumbersLine(s))}`),
    '',
  ];
}

/** What each receiver risks and the rules it touches, as the profile catalogue says; nothing for a run from before they were recorded. */
function riskLines(run: RunDocument): string[] {
  const said = run.profiles.filter((p) => p.risk !== undefined || (p.rules?.length ?? 0) > 0);
  if (said.length === 0) return [];
  const lines = ['', '<details><summary>What each receiver risks, and the rules it touches</summary>', ''];
  for (const p of said) {
    lines.push(`- **${markdownText(p.name)}** (${markdownText(p.title)}): ${markdownText(p.risk ?? '')}`);
    for (const rule of p.rules ?? []) lines.push(`  - ${markdownText(rule)}`);
  }
  lines.push('', '</details>');
  return lines;
}

/** A table for pull requests and issues: receivers down, senders across; legend, summary, why each failing cell failed and why each inconclusive one was not tested. */
export function renderMarkdownTable(run: RunDocument, options: RenderOptions = {}): string {
  const matrix = buildMatrix(run);
  const lines: string[] = [];
  // --title and --subtitle (escaped like any string) come first; the run and its policy are still said.
  const title = givenText(options.title);
  const subtitle = givenText(options.subtitle);
  if (title !== null) lines.push(`## ${markdownText(title)}`, '');
  if (subtitle !== null) lines.push(markdownText(subtitle), '');
  lines.push(`### badmx run ${markdownText(run.run.id)}: policy ${markdownText(run.policy.name)}`, '');
  lines.push(
    `${markdownText(run.policy.title)}. Run ${markdownText(utc(run.run.startedAt))}, zone ${markdownText(run.run.zone)}, badmx ${markdownText(run.tool.version)}.`,
    '',
  );
  lines.push(...summaryLines(run));
  // A run of the study's profiles alone is one table, as before suites; otherwise a table per suite under its heading.
  const tables = matrix.bySuite ? matrix.suites : [{ title: null, question: null, rows: matrix.rows }];
  for (const table of tables) {
    if (table.title !== null) lines.push(`#### ${markdownText(table.title)}`, '', `${markdownText(table.question ?? '')}`, '');
    lines.push(`| Receiver | ${matrix.senders.map((s) => markdownText(s.label)).join(' | ')} |`);
    lines.push(`|---|${matrix.senders.map(() => '---').join('|')}|`);
    for (const row of table.rows) {
      const head = `**${markdownText(row.profile.title)}** · ${markdownText(row.profile.name)} · expected: ${expectationLabel(row.profile.expected)}`;
      lines.push(`| ${head} | ${row.cells.map((cell) => cellText(cell, row.profile)).join(' | ')} |`);
    }
    lines.push('');
  }
  const { summary } = run;
  const inconclusive = summary.inconclusive ?? 0;
  lines.push(
    `**${tallyText({ pass: summary.pass, fail: summary.fail, inconclusive })}** of ${summary.cells} cells` +
      (summary.unsettled ? `; ${summary.unsettled} unsettled` : '') +
      (run.stray.connections ? `; ${run.stray.connections} connection(s) belonged to no probe` : '') +
      (run.run.status === 'error'
        ? `. **The run stopped early:** ${markdownText(run.run.error ?? 'unknown error')}`
        : run.run.status === 'interrupted'
          ? '. **The run was interrupted** before its schedule was done (`badmx run --resume` continues it).'
          : '.'),
  );
  for (const limit of run.run.limitsHit) lines.push('', `**Limit reached:** ${markdownText(limit)}.`);
  lines.push('');
  lines.push(`Schedule: ${markdownText(scheduleText(run))}.`);
  lines.push('');
  lines.push(
    `Legend: ✔ PASS: the sender did what policy ${markdownText(run.policy.name)} expects at that receiver; ✘ FAIL: it did not. ` +
      (run.cells.some((c) => c.verdict === 'inconclusive')
        ? `${INCONCLUSIVE_GLYPH} INCONCLUSIVE: not actually tested (never submitted, the sender or its relay unreachable, a bounce for a reason that is not TLS, or a sender that delivered to no control profile), so neither a pass nor a fail. `
        : '') +
      'Each cell names what the sender did and the fault it met there: delivered in plaintext; downgraded to plaintext after TLS failed or was refused; ' +
      'delivered to a faulty certificate, over retired TLS or weak cryptography; delivered over TLS 1.x (nothing wrong); refused: did not deliver' +
      (summary.unsettled ? '; \\*: unsettled, the deadline came before the sender had finished.' : '.'),
  );
  lines.push('');
  lines.push('Senders:', '');
  for (const sender of matrix.senders) {
    const said = [...sender.notes, ...(sender.retries ? [`retries as stated: ${retriesText(sender.retries)}`] : [])];
    const notes = said.length ? `: ${said.map(markdownText).join('; ')}` : '';
    lines.push(`- ${markdownText(sender.label)} (${markdownText(senderKind(sender))}, \`${sender.spec.replace(/`/g, "'")}\`)${notes}`);
    // Why this sender's refusals prove nothing: on its own indented line, under the sender.
    if (sender.diagnosis) lines.push(`  - ${INCONCLUSIVE_GLYPH} **INCONCLUSIVE:** ${markdownText(sender.diagnosis)}`);
  }
  const caveats = matrix.rows.flatMap((row) => row.cells.filter((c): c is Cell => c !== null && c.caveat !== null));
  if (caveats.length > 0) {
    lines.push('', `⚠ Certificate caveats: the verdict depends on a certificate the sender could not be expected to trust:`, '');
    for (const cell of caveats) lines.push(`- ${markdownText(cell.sender)} × ${markdownText(cell.profile)}: ${markdownText(cell.caveat ?? '')}`);
  }
  // \*: how long each unsettled cell was waited for and why that was not enough; cells of a sender that say the same, on one bullet.
  const unsettled = unsettledGroups(matrix.rows.flatMap((row) => row.cells.filter((c): c is Cell => c !== null)));
  if (unsettled.length > 0) {
    const n = unsettled.reduce((sum, g) => sum + g.profiles.length, 0);
    lines.push('', `<details><summary>How long the ${n} unsettled cell${n === 1 ? ' was' : 's were'} waited for, and why that was not enough</summary>`, '');
    for (const g of unsettled) {
      lines.push(`- ${markdownText(g.sender)} × ${g.profiles.map(markdownText).join(', ')}: ${markdownText(g.words)}${g.note ? `: ${markdownText(g.note)}` : ''}`);
    }
    lines.push('', '</details>');
  }
  const failing = matrix.rows.flatMap((row) => row.cells.filter((c): c is Cell => c !== null && c.verdict === 'fail'));
  if (failing.length > 0) {
    lines.push('', `<details><summary>Why the ${failing.length} failing cell${failing.length === 1 ? '' : 's'} failed</summary>`, '');
    // The policy's reason and what the failure exposes (the profile's risk): twelve failures do not read the same sentence.
    const profileOf = (name: string): RunProfile | undefined => run.profiles.find((p) => p.name === name);
    for (const cell of failing) {
      lines.push(`- ${markdownText(cell.sender)} × ${markdownText(cell.profile)}: ${markdownText(failureReasonText(cell, profileOf(cell.profile)))}`);
      // The second source of truth: what the receiver's own Received stamp said of the hop, and which of its words said it.
      const stamp = cell.hops?.at(-1);
      if (stamp) lines.push(`  - its Received stamp: with ${markdownText(stamp.with ?? '?')}: ${markdownText(describeHopTls(stamp))} (stated by ${markdownText(hopBasisText(stamp))})${cell.evidenceMismatch ? `; evidence mismatch: ${markdownText(cell.evidenceMismatch)}` : ''}`);
    }
    lines.push('', '</details>');
  }
  const untested = matrix.rows.flatMap((row) => row.cells.filter((c): c is Cell => c !== null && c.verdict === 'inconclusive'));
  if (untested.length > 0) {
    lines.push('', `<details><summary>Why the ${untested.length} inconclusive cell${untested.length === 1 ? ' was' : 's were'} not tested</summary>`, '');
    // A sender's diagnosis is the detail of each of its no-control cells: once per sender, naming the cells.
    const diagnosed = (cell: Cell): boolean =>
      cell.inconclusive?.cause === 'no-control' && matrix.senders.some((s) => s.label === cell.sender && s.diagnosis === cell.inconclusive?.detail);
    for (const sender of matrix.senders) {
      const cells = untested.filter((c) => c.sender === sender.label && diagnosed(c));
      if (cells.length === 0) continue;
      lines.push(`- ${markdownText(sender.label)} × ${cells.map((c) => markdownText(c.profile)).join(', ')}: ${markdownText(sender.diagnosis ?? '')}`);
    }
    for (const cell of untested.filter((c) => !diagnosed(c))) {
      const bounce = decisiveBounce(cell);
      const detail = cell.inconclusive?.detail ?? cell.reason;
      // The detail usually quotes the bounce already: then only what it adds (action, status, remote MTA).
      const said = bounce && bounce.diagnostic !== null && detail.includes(bounce.diagnostic) ? { ...bounce, diagnostic: null } : bounce;
      lines.push(`- ${markdownText(cell.sender)} × ${markdownText(cell.profile)}: ${markdownText(detail)}${said ? `; the sender's bounce: ${markdownText(bounceText(said))}` : ''}`);
    }
    lines.push('', '</details>');
  }
  // What each profile's MTA-STS policy host saw of each sender: did it fetch the policy it was to honour?
  const policyHosts = matrix.rows.flatMap((row) =>
    row.cells.filter((c): c is Cell => c !== null && declaresPolicy(c, row.profile)).map((cell) => ({ cell, profile: row.profile })),
  );
  if (policyHosts.length > 0) {
    lines.push('', `<details><summary>What the MTA-STS policy hosts saw of each sender</summary>`, '');
    for (const { cell, profile } of policyHosts) {
      const said = [policyHostSummary(cell, profile), ...(cell.policyFetches ?? []).map(policyFetchText)].filter((x) => x !== null);
      lines.push(`- ${markdownText(cell.sender)} × ${markdownText(cell.profile)}: ${said.map(markdownText).join('; ')}`);
    }
    lines.push('', '</details>');
  }
  lines.push(...riskLines(run));
  lines.push(...tlsClientLines(run));
  lines.push(...tlsReportLines(run));
  return `${lines.join('\n')}\n`;
}

/** What each sender offered in its handshakes: its findings, and each distinct ClientHello's facts. */
function tlsClientLines(run: RunDocument): string[] {
  const lines = ['', '<details><summary>What each sender offers (its ClientHello)</summary>', ''];
  for (const sender of run.senders) {
    lines.push(`- **${markdownText(sender.label)}**: ${markdownText(tlsClientFindings(sender))}`);
    for (const offer of helloOffers(sender.tlsClient?.hellos ?? [])) {
      lines.push(`  - ${helloFacts(offer).map(([term, value]) => `${term}: ${markdownText(value)}`).join('; ')}`);
    }
  }
  lines.push('', '</details>');
  return lines;
}

/** The TLS reports (RFC 8460) that arrived: who reported (and who never did), then one table row per policy of each report; nothing when the run did not ask for any. */
function tlsReportLines(run: RunDocument): string[] {
  if (!showsTlsReports(run)) return [];
  const lines = ['', '#### TLS reports (RFC 8460)', ''];
  for (const s of senderReporting(run)) lines.push(`- ${markdownText(s.sender)} ${markdownText(s.text)}`);
  const unnamed = unnamedReporting(run);
  if (unnamed !== null) lines.push(`- ${markdownText(unnamed)}`);
  const reports = orderedTlsReports(run);
  if (reports.length === 0) return lines;
  lines.push('', '| Sender | Via | Received | Profile | Result types | Successful | Failed |', '|---|---|---|---|---|---|---|');
  for (const report of reports) {
    const lead = `| ${markdownText(reportSenderText(report))} | ${viaText(report.via)} | ${markdownText(clock(report.received))}`;
    if (report.error !== null || report.policies.length === 0) {
      lines.push(`${lead} | — | not a valid report: ${markdownText(report.error ?? 'it lists no policy')} | — | — |`);
      continue;
    }
    for (const policy of report.policies) {
      lines.push(`${lead} | ${markdownText(policyProfileText(policy))} | ${markdownText(failuresText(policy))} | ${policy.successful} | ${policy.failed} |`);
    }
  }
  return lines;
}

export const markdownTable: Renderer = {
  name: 'md',
  fileName: 'report.md',
  description: 'a Markdown table for pull requests and issues, with legend, summary, the reasons for failures and for inconclusive cells, and how long unsettled cells were waited for',
  render: renderMarkdownTable,
};
