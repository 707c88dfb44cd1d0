import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RunDocument } from '../document/run-document.js';
import { renderHtmlReport } from './html-report.js';
import type { Renderer, RenderOptions } from './renderer.js';

/**
 * The HTML report printed to PDF by headless Chromium (driven by playwright-core): its print
 * stylesheet, dark on white, every cell's evidence open, the matrix wrapped to the page's width,
 * A4 with page numbers, tagged and with an outline. The page runs with JavaScript off and its
 * Content-Security-Policy forbids every load, so nothing is fetched and nothing from run.json runs.
 */

/** Said, on one line, when --format pdf finds no Chromium. */
export const PDF_CHROMIUM_MISSING =
  'PDF needs Chromium: set BADMX_CHROMIUM to its path, or put chromium on PATH (Debian/Ubuntu: apt-get install chromium); --format html needs nothing';

const CHROMIUM_NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];
const TIMEOUT_MS = 120_000;

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** BADMX_CHROMIUM when it names a program, else the first Chromium on PATH; null when there is none. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.BADMX_CHROMIUM) return executable(env.BADMX_CHROMIUM) ? env.BADMX_CHROMIUM : null;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    for (const name of CHROMIUM_NAMES) if (executable(join(dir, name))) return join(dir, name);
  }
  return null;
}

/**
 * The PDF's creation and modification dates (Chromium writes the clock's) set to the run's own
 * end, in place and at the same length, so the same run gives the same bytes on one machine.
 */
export function pinPdfDates(pdf: Uint8Array, iso: string): Uint8Array {
  const stamp = iso.replace(/[-:T]/g, '').slice(0, 14);
  if (!/^\d{14}$/.test(stamp)) return pdf;
  const bytes = Buffer.from(pdf);
  for (const key of ['/CreationDate (D:', '/ModDate (D:']) {
    const at = bytes.indexOf(key, 0, 'latin1');
    const digits = at >= 0 ? bytes.toString('latin1', at + key.length, at + key.length + 14) : '';
    if (/^\d{14}$/.test(digits)) bytes.write(stamp, at + key.length, 'latin1');
  }
  return new Uint8Array(bytes);
}

export async function renderPdfReport(run: RunDocument, options: RenderOptions = {}, env: NodeJS.ProcessEnv = process.env): Promise<Uint8Array> {
  const executablePath = findChromium(env);
  if (executablePath === null) throw new Error(PDF_CHROMIUM_MISSING);
  const html = renderHtmlReport(run, options);
  // Loaded when a PDF is asked for: importing badmx starts and loads nothing of the browser.
  const { chromium } = await import('playwright-core');
  const dir = mkdtempSync(join(tmpdir(), 'badmx-pdf-'));
  const browser = await chromium.launch({
    executablePath,
    timeout: TIMEOUT_MS,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const file = join(dir, 'report.html');
    writeFileSync(file, html);
    const context = await browser.newContext({ javaScriptEnabled: false, offline: true });
    const page = await context.newPage();
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load', timeout: TIMEOUT_MS });
    const pdf = await page.pdf({
      format: 'A4',
      printBackground: true,
      preferCSSPageSize: true,
      tagged: true,
      outline: true,
      displayHeaderFooter: true,
      headerTemplate: '<span></span>',
      footerTemplate: '<div style="width:100%;font:8px sans-serif;color:#000;text-align:center"><span class="pageNumber"></span> / <span class="totalPages"></span></div>',
      margin: { top: '12mm', bottom: '14mm', left: '12mm', right: '12mm' },
    });
    return pinPdfDates(new Uint8Array(pdf), run.run.finishedAt);
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export const pdfReport: Renderer = {
  name: 'pdf',
  fileName: 'report.pdf',
  description: 'the HTML report as a PDF, printed by headless Chromium (its print stylesheet, every cell’s evidence open)',
  render: (run, options) => renderPdfReport(run, options),
  unavailable: () => (findChromium() ? null : PDF_CHROMIUM_MISSING),
};
