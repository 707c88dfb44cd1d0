import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { beforeEach, describe, expect, it } from 'vitest';
import { loadRunDocument } from '../../src/document/load-run-document.js';
import { renderCompareHtml } from '../../src/report/compare-html.js';
import { renderCompareMarkdown } from '../../src/report/compare-markdown.js';
import { buildComparison, runNames, type CompareRun } from '../../src/report/compare-model.js';
import { axeViolations } from '../helpers/axe.js';
import { sharedChromium } from '../helpers/chromium.js';
import { runInProcess } from '../helpers/cli.js';
import { artifactDir, DEMO_RUN, HOSTILE, HOSTILE_RUN, MTA_STS_RUN } from '../helpers/report-fixtures.js';

const REFERENCE_DANE = join(import.meta.dirname, '../../reports/reference-dane/run.json');
const REFERENCE_MTA_STS = join(import.meta.dirname, '../../reports/reference-mta-sts/run.json');

function load(name: string, file: string): CompareRun {
  return { name, file, document: loadRunDocument(file).document };
}

describe('the comparison model', () => {
  it('demo vs hostile: a column per sender of each run, a row per profile, differences marked, ranked on the common rows', () => {
    const c = buildComparison([load('demo', DEMO_RUN), load('hostile', HOSTILE_RUN)]);
    expect(c.columns.map((col) => col.label)).toEqual(['demo / builtin:opportunistic', 'demo / builtin:strict', 'hostile / builtin:opportunistic', 'hostile / builtin:strict', `hostile / ${HOSTILE.sender}`]);
    expect(c.rows).toHaveLength(14);
    expect(c.commonRows).toBe(14);
    // builtin:strict is inconclusive throughout the hostile run: every row's verdicts differ
    expect(c.rows.every((row) => row.differs === 'verdict')).toBe(true);
    expect(c.columns[c.ranking[0] ?? -1]?.label).toBe('demo / builtin:strict');
    // not tested never counts as safe: the all-inconclusive column ranks last
    expect(c.columns[c.ranking.at(-1) ?? -1]?.label).toBe('hostile / builtin:strict');
    expect(c.totals[0]).toMatchObject({ pass: 2, fail: 12, inconclusive: 0, missing: 0 });
    expect(c.answer).toMatch(/^Safest on the 14 receiver states every sender here was tested at: demo \/ builtin:strict \(14 pass, 0 fail\)\. Most failures: /);
  });

  it('the same run twice: each sender agrees with its twin, and neither twin is called safer than the other', () => {
    const c = buildComparison([load('a', DEMO_RUN), load('b', DEMO_RUN)]);
    for (const row of c.rows) expect([row.cells[2]?.verdict, row.cells[3]?.verdict]).toEqual([row.cells[0]?.verdict, row.cells[1]?.verdict]);
    expect(c.answer.startsWith('No single safest sender on the 14 receiver states every sender here was tested at: a / builtin:strict, b / builtin:strict tie (14 pass, 0 fail each).')).toBe(true);
  });

  it('runs of different suites and policies: the union of their profiles, cells missing where a run did not test, no common ground claimed', () => {
    const c = buildComparison([load('demo', DEMO_RUN), load('mta-sts', MTA_STS_RUN)]);
    expect(c.rows).toHaveLength(14 + 9);
    expect(c.commonRows).toBe(0);
    expect(c.rows[0]?.cells.slice(2)).toEqual([null, null]);
    expect(c.totals[2]).toMatchObject({ missing: 14 });
    expect(c.answer).toContain('No receiver state was tested by every sender here');
    expect(c.answer).toContain('different policies (strict, mta-sts)');
  });

  it('names runs by their directory, made unique by run id', () => {
    expect(runNames([{ dir: '/r/reference-dane', id: 'a1' }, { dir: 'x/reference-mta-sts/', id: 'b2' }])).toEqual(['reference-dane', 'reference-mta-sts']);
    expect(runNames([{ dir: '/one/run', id: 'a1' }, { dir: '/two/run', id: 'b2' }])).toEqual(['run (a1)', 'run (b2)']);
  });

  it('Markdown: the answer, the ranking, a row per profile with its difference, hostile labels escaped', () => {
    const md = renderCompareMarkdown(buildComparison([load('demo', DEMO_RUN), load('hostile', HOSTILE_RUN)]), { title: 'Relays <compared>' });
    expect(md.split('\n')[0]).toBe('## Relays \\<compared\\>');
    expect(md).toContain('| **no-starttls** | ≠ verdicts differ | ✘ FAIL ');
    expect(md).toContain('vendor "relay" \\| \\<b\\>x\\</b\\>, 1');
    expect(md).not.toContain('<b>');
  });
});

describe('badmx report --compare', () => {
  it('writes compare.html and compare.md for two runs; one run, or several without --compare, is a usage error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'badmx-compare-cli-'));
    const out = join(dir, 'out');
    const result = await runInProcess(['report', DEMO_RUN, HOSTILE_RUN, '--compare', '--out', out, '--title', 'Which relay?']);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.stdout.split('\n')).toEqual([`html: ${join(out, 'compare.html')}`, `md: ${join(out, 'compare.md')}`]);
    expect(readFileSync(join(out, 'compare.html'), 'utf8')).toContain('<h1>Which relay?</h1>');
    for (const [args, message] of [
      [['report', DEMO_RUN, '--compare'], /^badmx: --compare needs two or more runs/],
      [['report', DEMO_RUN, HOSTILE_RUN], /^badmx: report renders one run; 2 were given: add --compare/],
      [['report', DEMO_RUN, HOSTILE_RUN, '--compare', '--format', 'svg'], /^badmx: --compare renders html and md only, not "svg"$/],
    ] as const) {
      const bad = await runInProcess([...args]);
      expect(bad.exitCode).toBe(2);
      expect(bad.stderr.split('\n')).toEqual([expect.stringMatching(message)]);
    }
    const copy = join(dir, 'a');
    copyFileSync(DEMO_RUN, `${copy}.json`);
    const md = await runInProcess(['report', `${copy}.json`, HOSTILE_RUN, '--compare', '--format', 'md', '--out', dir]);
    expect(md.stdout).toBe(`md: ${join(dir, 'compare.md')}`);
  });
});

describe('the comparison page in headless Chromium', () => {
  let browser: Browser;
  const chromium = sharedChromium();
  const dir = mkdtempSync(join(tmpdir(), 'badmx-compare-'));
  beforeEach(async () => {
    browser = await chromium();
  });

  it.each([
    ['fixtures', () => [load('demo', DEMO_RUN), load('hostile', HOSTILE_RUN)]],
    ['references', () => [load('reference-dane', REFERENCE_DANE), load('reference-mta-sts', REFERENCE_MTA_STS)]],
  ])('%s: every cell in words, differences marked in words, totals per sender, nothing fetched; no page overflow at 375 or 1280 px; axe finds no violation', async (name, runs) => {
    const comparison = buildComparison(runs());
    const file = join(dir, `${name}.html`);
    writeFileSync(file, renderCompareHtml(comparison));
    // first as it is, CSP and all: nothing requested but the page, no console error
    const strict = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const requests: string[] = [];
    const messages: string[] = [];
    strict.on('request', (request) => requests.push(request.url()));
    strict.on('console', (message) => messages.push(message.text()));
    await strict.goto(pathToFileURL(file).href);
    expect(requests).toEqual([pathToFileURL(file).href]);
    expect(messages).toEqual([]);
    const cells = strict.locator('table.compare td[data-cell]');
    expect(await cells.count()).toBe(comparison.rows.length * comparison.columns.length);
    const words: Record<string, string> = { pass: 'PASS', fail: 'FAIL', inconclusive: 'INCONCLUSIVE', none: 'not in this run' };
    const verdicts = await strict.evaluate<[string, string][]>(`[...document.querySelectorAll('table.compare td[data-cell]')].map((td) => [td.getAttribute('data-verdict'), td.innerText])`);
    expect(verdicts).toHaveLength(comparison.rows.length * comparison.columns.length);
    for (const [verdict, text] of verdicts) expect(text).toContain(words[verdict]);
    expect(await strict.locator('table.compare tr[data-differs="verdict"] .differs-mark').count()).toBe(comparison.differingRows);
    expect(await strict.locator('table.compare tfoot td').count()).toBe(comparison.columns.length);
    expect(await strict.locator('table.ranking tbody tr').count()).toBe(comparison.columns.length);
    expect(await strict.locator('p.answer').innerText()).toBe(comparison.answer);
    await strict.screenshot({ path: join(artifactDir(), `compare-${name}.png`) });
    await strict.close();
    for (const width of [375, 1280]) {
      const page = await browser.newPage({ viewport: { width, height: 900 }, bypassCSP: true });
      await page.goto(pathToFileURL(file).href);
      expect(await page.evaluate<number>(`document.documentElement.scrollWidth`)).toBe(width);
      expect(await axeViolations(page)).toEqual([]);
      await page.close();
    }
  });
});
