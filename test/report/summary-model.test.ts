import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRunDocument } from '../../src/document/load-run-document.js';
import type { Cell, RunDocument } from '../../src/document/run-document.js';
import { serializeRunDocument } from '../../src/document/serialize-run-document.js';
import { loadCatalogue } from '../../src/profiles/catalogue.js';
import { renderHtmlReport } from '../../src/report/html-report.js';
import { renderMarkdownTable } from '../../src/report/markdown-table.js';
import { buildSummaryModel, failureKind, FAILURE_WORDS } from '../../src/report/summary-model.js';
import { renderSvgInfographic } from '../../src/report/svg-infographic.js';
import { renderTerminalMatrix } from '../../src/report/terminal-matrix.js';
import { DEMO_RUN, HOSTILE_RUN, loadFixture, MIXED_SUITES_RUN, MTA_STS_RUN } from '../helpers/report-fixtures.js';
import { descendants, parseXml } from '../helpers/xml.js';

const ROOT = join(import.meta.dirname, '../..');
const FIXTURES = [DEMO_RUN, HOSTILE_RUN, MTA_STS_RUN, MIXED_SUITES_RUN];
const REFERENCES = ['reports/reference', 'reports/reference-mta-sts', 'reports/reference-dane'].map((dir) => join(ROOT, dir, 'run.json'));

/** A run as a badmx with the catalogue's risk and rules writes it: each profile's `risk` and `rules` right after `expected`, where judge-run builds them. */
function withCatalogue(run: RunDocument): RunDocument {
  const catalogue = new Map(loadCatalogue().map((p) => [p.name, p]));
  const profiles = run.profiles.map((profile) => {
    const entry = catalogue.get(profile.name);
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(profile)) {
      out[key] = value;
      if (key === 'expected' && entry?.risk !== undefined) Object.assign(out, { risk: entry.risk, rules: entry.rules });
    }
    return out as unknown as RunDocument['profiles'][number];
  });
  return { ...run, profiles };
}

/** Every number the model states, counted again from the cells, independently of the model's own code. */
function expectTraceable(run: RunDocument): void {
  const model = buildSummaryModel(run);
  expect(model.receivers).toBe(run.profiles.length);
  expect(model.senders.map((s) => s.sender)).toEqual(run.senders.map((s) => s.label));
  for (const s of model.senders) {
    const cells = run.cells.filter((c) => c.sender === s.sender);
    const cellOf = (profile: string): Cell | undefined => cells.find((c) => c.profile === profile);
    expect(s.tests, s.sender).toBe(cells.length);
    expect(s.pass, s.sender).toBe(cells.filter((c) => c.verdict === 'pass').length);
    expect(s.fail, s.sender).toBe(cells.filter((c) => c.verdict === 'fail').length);
    expect(s.inconclusive, s.sender).toBe(cells.filter((c) => c.verdict === 'inconclusive').length);
    expect(s.inconclusiveProfiles.map((p) => cellOf(p)?.verdict)).toEqual(s.inconclusiveProfiles.map(() => 'inconclusive'));
    // The kinds partition the failed cells: each failed cell is counted once, under its kind, and the counts add up.
    expect(s.failures.reduce((sum, f) => sum + f.count, 0), s.sender).toBe(s.fail);
    expect(new Set(s.failures.flatMap((f) => f.profiles)).size, s.sender).toBe(s.fail);
    for (const f of s.failures) {
      expect(f.count, `${s.sender} ${f.kind}`).toBe(f.profiles.length);
      expect(f.count).toBeGreaterThan(0);
      for (const profile of f.profiles) {
        const cell = cellOf(profile);
        expect(cell?.verdict, `${s.sender} × ${profile}`).toBe('fail');
        expect(failureKind(cell as Cell, run.profiles.find((p) => p.name === profile)), `${s.sender} × ${profile}`).toBe(f.kind);
      }
    }
    // Every "x of y tests" the paragraph says of this sender is one of these counts: its sentence runs from its label to the next sender's.
    const start = model.paragraph.indexOf(`. ${s.sender} `) + 2;
    const next = model.senders[model.senders.indexOf(s) + 1];
    const end = next ? model.paragraph.indexOf(`. ${next.sender} `, start) + 1 : model.paragraph.length;
    const sentence = model.paragraph.slice(start, end);
    const rest = sentence.slice(s.sender.length);
    const head = /^ (?:failed (\d+) of (\d+) tests: |failed none of its (\d+) tests \(passed (\d+)\)|was not tested: )/.exec(rest);
    expect(head, sentence).not.toBeNull();
    if (head?.[1] !== undefined) expect([Number(head[1]), Number(head[2])]).toEqual([s.fail, s.tests]);
    if (head?.[3] !== undefined) expect([0, Number(head[3]), Number(head[4])]).toEqual([s.fail, s.tests, s.pass]);
    const claims = rest.slice(head?.[0].length ?? 0).replace(/\.$/, '');
    let said = 0;
    for (const piece of claims.split(/, |; /).filter((p) => p !== '')) {
      const [, claim, x, y] = /^(.+) in (\d+) of (\d+) tests?$/.exec(piece) ?? [];
      expect(claim, `${s.sender}: "${piece}"`).toBeDefined();
      expect(Number(y), sentence).toBe(s.tests);
      const counted = claim === 'inconclusive' ? s.inconclusive : s.failures.find((f) => f.words === claim)?.count;
      expect(counted, `${s.sender}: "${claim}"`).toBe(Number(x));
      said++;
    }
    // and it says every one of them
    expect(said, sentence).toBe(s.failures.length + (s.inconclusive > 0 ? 1 : 0));
  }
}

describe('the summary model: every number a count of cells', () => {
  it.each(FIXTURES)('%s', (file) => expectTraceable(loadFixture(file)));
  it.each(REFERENCES)('%s', (file) => expectTraceable(loadRunDocument(file).document));

  it('the demo run, counted by hand: builtin:opportunistic failed 12 of 14 (1 plaintext, 2 downgraded, 6 invalid certificates, 2 retired TLS, 1 weak), builtin:strict none', () => {
    const model = buildSummaryModel(loadFixture(DEMO_RUN));
    const [opportunistic, strict] = model.senders;
    expect(opportunistic?.failures.map((f) => [f.kind, f.profiles])).toEqual([
      ['plaintext', ['no-starttls']],
      ['downgraded', ['starttls-454', 'handshake-failure']],
      ['certificate', ['self-signed', 'expired', 'not-yet-valid', 'wrong-host', 'untrusted-root', 'incomplete-chain']],
      ['retired-tls', ['tls1.0', 'tls1.1']],
      ['weak-crypto', ['sha1-signature']],
    ]);
    expect(strict).toMatchObject({ tests: 14, pass: 14, fail: 0, inconclusive: 0, failures: [] });
    expect(model.paragraph).toBe(
      '14 receivers × 2 senders, judged against policy strict. builtin:opportunistic failed 12 of 14 tests: delivered in plaintext in 1 of 14 tests, ' +
        'downgraded to plaintext after STARTTLS or TLS failed in 2 of 14 tests, delivered to an invalid certificate in 6 of 14 tests, ' +
        'delivered over retired TLS 1.0/1.1 in 2 of 14 tests, delivered over weak cryptography in 1 of 14 tests. builtin:strict failed none of its 14 tests (passed 14).',
    );
  });

  it('follows the cells: a verdict changed in run.json changes the counts, and an inconclusive cell is counted as such', () => {
    const run = loadFixture(DEMO_RUN);
    const cell = run.cells.find((c) => c.sender === 'builtin:opportunistic' && c.profile === 'expired') as Cell;
    cell.verdict = 'inconclusive';
    cell.inconclusive = { cause: 'not-submitted', detail: 'edited' };
    const opportunistic = buildSummaryModel(run).senders[0];
    expect(opportunistic?.fail).toBe(11);
    expect(opportunistic?.inconclusive).toBe(1);
    expect(opportunistic?.failures.find((f) => f.kind === 'certificate')?.count).toBe(5);
    expect(buildSummaryModel(run).paragraph).toContain('; inconclusive in 1 of 14 tests.');
    expectTraceable(run);
  });

  it('the hostile run: a sender with nothing but inconclusive cells is said to be untested, not to have passed', () => {
    const model = buildSummaryModel(loadFixture(HOSTILE_RUN));
    expect(model.paragraph).toContain('builtin:strict was not tested: inconclusive in 14 of 14 tests.');
    expect(Object.keys(FAILURE_WORDS)).toContain('not-delivered');
  });
});

describe('the key numbers and the risk in every format', () => {
  const demo = withCatalogue(loadFixture(DEMO_RUN));

  it('run.json with risk and rules re-loads byte for byte, and a run without them still loads', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'badmx-risk-run-')), 'run.json');
    writeFileSync(file, serializeRunDocument(demo));
    const loaded = loadRunDocument(file).document;
    expect(serializeRunDocument(loaded)).toBe(readFileSync(file, 'utf8'));
    expect(loaded.profiles.find((p) => p.name === 'tls1.0')?.rules?.[0]).toMatch(/^RFC 8996: /);
    expect(loadFixture(DEMO_RUN).profiles.every((p) => p.risk === undefined && p.rules === undefined)).toBe(true);
  });

  it('Markdown: the summary and key numbers first; the twelve failure reasons no longer read the same sentence; the risks and rules listed', () => {
    const md = renderMarkdownTable(demo);
    expect(md).toContain(`**Summary.** ${buildSummaryModel(demo).paragraph.replace(/\./g, '.')}`);
    expect(md).toContain('- **builtin:opportunistic**: FAIL 12 of 14 · plaintext 1 · downgraded 2 · invalid certificate 6 · retired TLS 2 · weak crypto 1');
    const why = md.split('<details><summary>Why the 12 failing cells failed</summary>')[1]?.split('</details>')[0] ?? '';
    const reasons = why.split('\n').filter((l) => l.startsWith('- ')).map((l) => l.replace(/^- [^:]+: /, ''));
    expect(reasons).toHaveLength(12);
    expect(new Set(reasons).size).toBe(12);
    for (const reason of reasons) expect(reason).toMatch(/\. Risk: \S/);
    expect(md).toContain('<details><summary>What each receiver risks, and the rules it touches</summary>');
    expect(md).toContain('  - RFC 8996: TLS 1.0 and TLS 1.1 are deprecated and MUST NOT be negotiated');
    // a run from before risks: no risk section, and the reasons as the policy wrote them
    const old = renderMarkdownTable(loadFixture(DEMO_RUN));
    expect(old).not.toContain('What each receiver risks');
    expect(old).not.toContain('Risk: ');
  });

  it('terminal: the summary, each sender\'s key numbers, and the risk and rules of each receiver a sender failed at', () => {
    const text = renderTerminalMatrix(demo);
    expect(text).toContain(`Summary: ${buildSummaryModel(demo).paragraph}`);
    expect(text).toContain('  builtin:opportunistic: FAIL 12 of 14 · plaintext 1 · downgraded 2 · invalid certificate 6 · retired TLS 2 · weak crypto 1');
    expect(text).toContain('  builtin:strict: FAIL 0 of 14');
    expect(text).toContain(`  expired: ${demo.profiles.find((p) => p.name === 'expired')?.risk}`);
    expect(text).toContain('    rules: RFC 8996; RFC 9325 §3.1.1; NIST SP 800-52 Rev. 2 §3.1; HIPAA 45 CFR §164.312(e)(1)');
    // a control nobody failed at has no risk line
    expect(text).not.toMatch(/^ {2}tls1\.3: /m);
  });

  it('SVG: the summary paragraph, the key-number strip per sender, each row\'s risk and its rules in the tooltip; well-formed', () => {
    const svg = renderSvgInfographic(demo);
    const root = parseXml(svg);
    const texts = descendants(root).filter((e) => e.name === 'text').map((e) => e.text);
    expect(texts.filter((t) => /^FAIL \d+ of \d+ tests$/.test(t))).toEqual(['FAIL 12 of 14 tests', 'FAIL 0 of 14 tests']);
    for (const line of ['1 plaintext', '2 downgraded', '6 invalid certificate', '2 retired TLS', '1 weak crypto']) expect(texts).toContain(line);
    expect(texts.join(' ')).toContain('builtin:opportunistic failed 12 of 14 tests');
    expect(texts.some((t) => t.startsWith('Risk: An expired certificate'))).toBe(true);
    expect(svg).toContain('Rules: RFC 5280 §6.1.3: every certificate of the path must be within its validity period');
    // a cell's tooltip: the policy's reason and the receiver's risk
    const expired = descendants(root).find((e) => e.name === 'g' && e.attributes['data-profile'] === 'expired' && e.attributes['data-verdict'] === 'fail');
    expect(expired?.children.find((c) => c.name === 'title')?.text).toMatch(/\. Risk: An expired certificate/);
  });

  it('HTML: a summary section with the paragraph and a key-numbers row per sender, the risk and rules with each receiver, the risk with each failure', () => {
    const html = renderHtmlReport(demo);
    expect(html).toContain('<h2 id="summary-heading">Summary</h2>');
    expect(html).toContain(`<p class="executive-summary">${buildSummaryModel(demo).paragraph}</p>`);
    expect(html).toContain('<tr data-sender="builtin:opportunistic"><th scope="row">builtin:opportunistic</th><td>14</td><td>2</td><td>12</td><td>0</td>');
    expect(html).toContain('<li data-kind="certificate" data-count="6">delivered to an invalid certificate in 6 of 14 tests</li>');
    expect(html).toContain('<tr data-sender="builtin:strict"><th scope="row">builtin:strict</th><td>14</td><td>14</td><td>0</td><td>0</td><td><span class="muted">none</span></td></tr>');
    expect(html).toContain('<p class="risk"><strong>Risk:</strong> An expired certificate');
    expect(html).toContain('<li>RFC 8996: TLS 1.0 and TLS 1.1 are deprecated and MUST NOT be negotiated</li>');
    expect(html.match(/\. Risk: /g)?.length).toBe(12);
    // the summary comes before the matrix
    expect(html.indexOf('id="summary-heading"')).toBeLessThan(html.indexOf('id="matrix-heading"'));
    expect(renderHtmlReport(loadFixture(DEMO_RUN))).not.toContain('class="risk"');
  });
});

describe('the evidence lines (JUnit bodies) of a failed cell carry its risk and rules', () => {
  it('risk and rules after the verdict for a failure; nothing for a pass, or for a run without them', async () => {
    const { cellEvidenceLines } = await import('../../src/report/evidence-text.js');
    const run = withCatalogue(loadFixture(DEMO_RUN));
    const profile = run.profiles.find((p) => p.name === 'tls1.0');
    const failed = run.cells.find((c) => c.sender === 'builtin:opportunistic' && c.profile === 'tls1.0') as Cell;
    const lines = cellEvidenceLines(failed, profile);
    expect(lines[lines.findIndex((l) => l.startsWith('verdict: fail')) + 1]).toBe(`risk: ${profile?.risk}`);
    expect(lines).toContain(`rules: ${profile?.rules?.join('; ')}`);
    const passed = run.cells.find((c) => c.sender === 'builtin:strict' && c.profile === 'tls1.0') as Cell;
    expect(cellEvidenceLines(passed, profile).some((l) => l.startsWith('risk: '))).toBe(false);
    const old = loadFixture(DEMO_RUN);
    expect(cellEvidenceLines(failed, old.profiles.find((p) => p.name === 'tls1.0')).some((l) => /^(risk|rules): /.test(l))).toBe(false);
  });
});
