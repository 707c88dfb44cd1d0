import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import type { Browser } from 'playwright-core';
import { beforeEach, describe, expect, it } from 'vitest';
import type { RunDocument } from '../../src/document/run-document.js';
import { renderHtmlReport } from '../../src/report/html-report.js';
import { findChromium, PDF_CHROMIUM_MISSING, pdfReport, renderPdfReport } from '../../src/report/pdf-report.js';
import { CHROMIUM, sharedChromium } from '../helpers/chromium.js';
import { runInProcess } from '../helpers/cli.js';
import { artifactDir, DEMO_RUN, HOSTILE_RUN, loadFixture } from '../helpers/report-fixtures.js';
import { LONG_LABEL, withLongLabel } from '../helpers/long-label.js';
import { requireTool } from '../helpers/require-tool.js';

/** Debian's poppler-utils; harness/install-deps.sh installs it. Without it these tests fail, never skip. */
const PDFTOTEXT = '/usr/bin/pdftotext';

async function pdfText(pdf: Uint8Array): Promise<string> {
  requireTool(PDFTOTEXT, 'poppler-utils');
  const result = await execa(PDFTOTEXT, ['-', '-'], { input: Buffer.from(pdf), encoding: 'utf8' });
  return result.stdout;
}

/** Whitespace gone: a label wrapped over two lines in the PDF still reads as itself. */
const squeeze = (text: string): string => text.replace(/\s+/g, '');

/** Six senders, one with a label longer than any column: the widest matrix a page must hold. */
function wideRun(): RunDocument {
  const base = withLongLabel(loadFixture(DEMO_RUN));
  const extra = [1, 2, 3, 4].map((n) => `smtp:relay-${n}.example.net:25?tls=opportunistic`);
  const template = base.senders[1];
  if (!template) throw new Error('the demo run has two senders');
  return {
    ...base,
    senders: [...base.senders, ...extra.map((label) => ({ ...template, label }))],
    cells: [...base.cells, ...extra.flatMap((label) => base.cells.filter((c) => c.sender === template.label).map((c) => ({ ...c, sender: label })))],
  };
}

describe('the HTML report in print (Chromium, print media, an A4 page’s width)', () => {
  let browser: Browser;
  const chromium = sharedChromium();
  const dir = mkdtempSync(join(tmpdir(), 'badmx-print-'));
  beforeEach(async () => {
    browser = await chromium();
  });

  it.each([
    ['demo', loadFixture(DEMO_RUN)],
    ['hostile', loadFixture(HOSTILE_RUN)],
    ['wide', wideRun()],
  ])('%s: dark ink on white, every cell’s evidence printed open, the matrix within the page', async (name, run: RunDocument) => {
    const file = join(dir, `${name}.html`);
    writeFileSync(file, renderHtmlReport(run));
    const page = await browser.newPage({ viewport: { width: 703, height: 1000 } });
    await page.goto(pathToFileURL(file).href);
    const closedOnScreen = await page.evaluate<boolean>(`[...document.querySelectorAll('details.cell .body')].every((b) => !b.checkVisibility())`);
    expect(closedOnScreen).toBe(true);
    await page.emulateMedia({ media: 'print' });
    const print = await page.evaluate<{ open: boolean; dark: string[]; light: string[]; matrix: number; main: number; page: number }>(`(() => {
      const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
      const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }).reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
      const all = [...document.querySelectorAll('body, body *')].filter((e) => e.checkVisibility() && !(e instanceof SVGElement));
      const dark = all.filter((e) => { const c = rgb(getComputedStyle(e).backgroundColor); return c.length >= 3 && (c[3] ?? 1) > 0 && lum(c) < 0.6; }).map((e) => e.tagName + '.' + e.className + ' ' + getComputedStyle(e).backgroundColor);
      const light = all.filter((e) => [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim()) && lum(rgb(getComputedStyle(e).color)) > 0.2).map((e) => e.tagName + '.' + e.className + ' ' + getComputedStyle(e).color);
      const tables = [...document.querySelectorAll('table.matrix')];
      return {
        open: [...document.querySelectorAll('details.cell .body')].every((b) => b.checkVisibility() && b.getBoundingClientRect().height > 20),
        dark, light,
        matrix: Math.max(...tables.map((t) => t.getBoundingClientRect().right)),
        main: document.querySelector('main').getBoundingClientRect().right,
        page: document.documentElement.scrollWidth,
      };
    })()`);
    expect(print.open).toBe(true);
    expect(print.dark).toEqual([]);
    expect(print.light).toEqual([]);
    expect(print.matrix).toBeLessThanOrEqual(print.main + 0.5);
    expect(print.page).toBe(703);
    if (name === 'wide') expect(squeeze(await page.locator('table.matrix thead').innerText())).toContain(squeeze(LONG_LABEL));
    await page.close();
  });
});

describe('--format pdf (headless Chromium prints the HTML report)', () => {
  it('finds Chromium by BADMX_CHROMIUM or on PATH, and says in one line what to install when there is none', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'badmx-nopath-'));
    expect(findChromium({ PATH: empty })).toBeNull();
    expect(findChromium({ PATH: empty, BADMX_CHROMIUM: join(empty, 'nothing') })).toBeNull();
    await expect(renderPdfReport(loadFixture(DEMO_RUN), {}, { PATH: empty })).rejects.toThrow(PDF_CHROMIUM_MISSING);
    expect(PDF_CHROMIUM_MISSING).not.toContain('\n');
    requireTool(CHROMIUM, 'chromium');
    expect(findChromium({ PATH: '/usr/bin' })).toBe('/usr/bin/chromium');
  });

  it('the demo run: the title, the subtitle, the verdict words and every sender label are in the PDF’s text; the same run gives the same bytes', async () => {
    requireTool(CHROMIUM, 'chromium');
    const run = loadFixture(DEMO_RUN);
    const options = { title: 'Acme outbound mail <audit>', subtitle: 'Second quarter, strict policy' };
    const pdf = await renderPdfReport(run, options);
    expect(Buffer.from(pdf).subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const text = await pdfText(pdf);
    expect(text).toContain(options.title);
    expect(text).toContain(options.subtitle);
    for (const word of ['PASS', 'FAIL']) expect(text).toMatch(new RegExp(`\\b${word}\\b`));
    for (const sender of run.senders) expect(squeeze(text)).toContain(squeeze(sender.label));
    // every cell's evidence printed open: each probe's recipient is in the text
    for (const cell of run.cells) expect(squeeze(text)).toContain(squeeze(cell.probe.recipient));
    writeFileSync(join(artifactDir(), 'report-demo.pdf'), pdf);
    expect(Buffer.from(await renderPdfReport(run, options)).equals(Buffer.from(pdf))).toBe(true);
  });

  it('the hostile run: INCONCLUSIVE too, and every label, markup and all, as text', async () => {
    requireTool(CHROMIUM, 'chromium');
    const run = loadFixture(HOSTILE_RUN);
    const text = await pdfText((await pdfReport.render(run)) as Uint8Array);
    for (const word of ['PASS', 'FAIL', 'INCONCLUSIVE']) expect(text).toMatch(new RegExp(`\\b${word}\\b`));
    for (const sender of run.senders) expect(squeeze(text)).toContain(squeeze(sender.label));
  });

  it('badmx report --format pdf --title writes report.pdf', async () => {
    requireTool(CHROMIUM, 'chromium');
    const dir = mkdtempSync(join(tmpdir(), 'badmx-pdf-cli-'));
    copyFileSync(DEMO_RUN, join(dir, 'run.json'));
    const result = await runInProcess(['report', dir, '--format', 'pdf', '--title', 'Quarterly relay check']);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(`pdf: ${join(dir, 'report.pdf')}`);
    expect(await pdfText(readFileSync(join(dir, 'report.pdf')))).toContain('Quarterly relay check');
  });
});
