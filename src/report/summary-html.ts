import type { RunDocument, RunProfile } from '../document/run-document.js';
import { escapeMarkup as h } from './escape.js';
import { buildSummaryModel, ofTests } from './summary-model.js';

/**
 * The HTML report's summary section: the executive summary paragraph and each sender's key
 * numbers (its failures by kind, each "x of y tests"), every number a count of the run's cells
 * (summary-model.ts). Only the page's existing classes, so its stylesheet (and its CSP hash) is
 * untouched.
 */
export function summarySection(run: RunDocument): string {
  const model = buildSummaryModel(run);
  const rows = model.senders
    .map((s) => {
      const kinds = s.failures.length
        ? `<ul>${s.failures.map((f) => `<li data-kind="${h(f.kind)}" data-count="${f.count}">${h(f.words)} ${h(ofTests(f.count, s.tests))}</li>`).join('')}</ul>`
        : '<span class="muted">none</span>';
      return `<tr data-sender="${h(s.sender)}"><th scope="row">${h(s.sender)}</th><td>${s.tests}</td><td>${s.pass}</td><td>${s.fail}</td><td>${s.inconclusive}</td><td>${kinds}</td></tr>`;
    })
    .join('\n');
  return `<section aria-labelledby="summary-heading">
<h2 id="summary-heading">Summary</h2>
<p class="executive-summary">${h(model.paragraph)}</p>
<table class="hops key-numbers">
<caption>Key numbers per sender: each a count of its cells in this run.</caption>
<thead><tr><th scope="col">Sender</th><th scope="col">Tests</th><th scope="col">Pass</th><th scope="col">Fail</th><th scope="col">Inconclusive</th><th scope="col">Failures by kind</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</section>
`;
}

/** What a failure at a receiver risks and the rules it touches, as the catalogue says; empty for a run from before they were recorded. */
export function riskFacts(profile: Pick<RunProfile, 'risk' | 'rules'>): string {
  const risk = profile.risk !== undefined ? `<p class="risk"><strong>Risk:</strong> ${h(profile.risk)}</p>` : '';
  const rules = profile.rules?.length ? `\n<ul class="rules" aria-label="Rules it touches">${profile.rules.map((r) => `<li>${h(r)}</li>`).join('')}</ul>` : '';
  return risk + rules;
}
