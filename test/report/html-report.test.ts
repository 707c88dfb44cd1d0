import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { HTML_CSP, HTML_PALETTE, renderHtmlReport } from '../../src/report/html-report.js';
import type { RunDocument } from '../../src/run/run-document.js';
import { CHROMIUM, launchChromium } from '../helpers/chromium.js';
import { requireTool } from '../helpers/require-tool.js';
import { artifactDir, DEMO_RUN, HOSTILE, HOSTILE_RUN, loadFixture } from '../helpers/report-fixtures.js';

const demo = loadFixture(DEMO_RUN);
const hostile = loadFixture(HOSTILE_RUN);

const count = (text: string, pattern: RegExp): number => [...text.matchAll(pattern)].length;

/** WCAG 2 contrast ratio of two #rrggbb colours. */
function contrast(a: string, b: string): number {
  const luminance = (hex: string): number => {
    const [r, g, b2] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
    return 0.2126 * (r ?? 0) + 0.7152 * (g ?? 0) + 0.0722 * (b2 ?? 0);
  };
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return ((hi ?? 0) + 0.05) / ((lo ?? 0) + 0.05);
}

describe('the HTML report, as text', () => {
  it.each([
    ['demo', demo],
    ['hostile', hostile],
  ])('%s: one matrix cell per sender × profile, with data-cell, sender, profile and verdict', (_name, run: RunDocument) => {
    const html = renderHtmlReport(run);
    expect(count(html, /<td class="cell[^"]*" data-cell=""/g)).toBe(run.senders.length * run.profiles.length);
    expect(count(html, /data-cell="" [^>]*data-verdict="fail"/g)).toBe(run.summary.fail);
    expect(count(html, /data-cell="" [^>]*data-verdict="pass"/g)).toBe(run.summary.pass);
    // every cell links to evidence that exists
    const targets = [...html.matchAll(/<a class="v-(?:pass|fail)" href="#([^"]+)"/g)].map((m) => m[1]);
    expect(targets).toHaveLength(run.cells.length);
    for (const id of targets) expect(html).toContain(`<div class="body" id="${id}">`);
  });

  it('is self-contained: no script, no external URL, and a CSP that allows only its own stylesheet, by hash', () => {
    for (const run of [demo, hostile]) {
      const html = renderHtmlReport(run);
      expect(html).not.toMatch(/<script/i);
      // attributes that load or submit, in any tag (text is escaped, so every "<" starts a real tag)
      expect(html).not.toMatch(/<[a-z][^<>]*\s(?:src|srcset|action|formaction|xlink:href|background|poster|data)\s*=/i);
      for (const [, href] of html.matchAll(/href="([^"]*)"/g)) expect(href).toMatch(/^#/);
      expect(html).not.toMatch(/url\(|@import|https?:\/\/(?!www\.w3\.org\/2000\/svg)/i);
      const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
      expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="${HTML_CSP}">`);
      expect(HTML_CSP).toContain(`style-src 'sha256-${createHash('sha256').update(style).digest('base64')}'`);
      expect(HTML_CSP).toMatch(/^default-src 'none';/);
    }
  });

  it('escapes every string from run.json: HELO names, headers, labels, policy text', () => {
    const html = renderHtmlReport(hostile);
    expect(html).not.toContain('<script>window.__badmxPwned');
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<b>x</b>');
    expect(html).not.toContain('<em>no</em>');
    expect(html).toContain('&lt;script&gt;window.__badmxPwned=1&lt;/script&gt;');
    expect(html).toContain('&quot;&gt;&lt;img src=x onerror=&quot;window.__badmxPwned=2&quot;&gt;');
    expect(html).toContain('vendor &quot;relay&quot; | &lt;b&gt;x&lt;/b&gt;, 1');
    // control bytes are shown, not passed through
    expect(html).toContain('evil\\x01\\x1b[31mred');
    // eslint-disable-next-line no-control-regex
    expect(html).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
  });

  it('shows hops as a table, the evidence mismatch, unsettled cells and the alert of each refusal', () => {
    const html = renderHtmlReport(hostile);
    const withHops = hostile.cells.filter((c) => (c.hops ?? []).length > 0);
    expect(withHops.length).toBeGreaterThan(0);
    expect(count(html, /<table class="hops">/g)).toBe(withHops.length);
    expect(count(html, /<tr><td>\d+<\/td>/g)).toBe(withHops.reduce((n, c) => n + (c.hops?.length ?? 0), 0));
    expect(html).toContain('TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 (128 bits, verify=NONE)');
    expect(count(html, /<p class="mismatch" role="note">/g)).toBe(hostile.cells.filter((c) => c.evidenceMismatch).length);
    expect(count(html, /<td class="cell unsettled"/g)).toBe(hostile.summary.unsettled);
    expect(html).toContain(`${hostile.summary.unsettled} unsettled`);
    expect(renderHtmlReport(demo)).not.toContain('<table class="hops">');
    // the strict sender's refusal of TLS 1.0 carries its alert
    expect(renderHtmlReport(demo)).toContain('alert <strong>protocol_version</strong>');
  });

  it('says when the run stopped early', () => {
    const stopped = { ...demo, run: { ...demo.run, status: 'error' as const, error: 'cannot reach relay <x>' } };
    expect(renderHtmlReport(stopped)).toContain('<strong>The run stopped early:</strong> cannot reach relay &lt;x&gt;');
  });

  it('is a function of run.json alone: the same run renders to the same bytes', () => {
    expect(renderHtmlReport(loadFixture(HOSTILE_RUN))).toBe(renderHtmlReport(hostile));
  });

  it('uses colours with at least WCAG AA contrast (4.5:1) for every text/background pair', () => {
    for (const [name, [fg, bg]] of Object.entries(HTML_PALETTE)) expect(contrast(fg, bg), name).toBeGreaterThanOrEqual(4.5);
  });
});

describe('the HTML report in headless Chromium', () => {
  let browser: Browser;
  const dir = mkdtempSync(join(tmpdir(), 'badmx-html-'));

  // Launched once, for the first test; without Chromium every test here fails with the
  // install hint (a throwing beforeAll would report them as skipped).
  let launched: Promise<Browser> | null = null;
  beforeEach(async () => {
    requireTool(CHROMIUM, 'chromium');
    launched ??= launchChromium();
    browser = await launched;
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function open(run: RunDocument, name: string) {
    const file = join(dir, `${name}.html`);
    writeFileSync(file, renderHtmlReport(run));
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const requests: string[] = [];
    const console: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    page.on('console', (message) => console.push(`${message.type()}: ${message.text()}`));
    const url = pathToFileURL(file).href;
    await page.goto(url);
    return { page, requests, console, url };
  }

  it.each([
    ['demo', demo],
    ['hostile', hostile],
  ])('%s: every matrix cell is there, reads PASS/FAIL in words, and the page fetched nothing', async (name, run: RunDocument) => {
    const { page, requests, console, url } = await open(run, name);
    expect(await page.locator('[data-cell]').count()).toBe(run.senders.length * run.profiles.length);
    expect(await page.locator('[data-cell][data-verdict="fail"]').count()).toBe(run.summary.fail);
    const cells = page.locator('[data-cell]');
    const texts = await cells.allInnerTexts();
    for (const [i, text] of texts.entries()) {
      const verdict = await cells.nth(i).getAttribute('data-verdict');
      expect(text).toContain(verdict === 'pass' ? 'PASS' : 'FAIL');
    }
    // table structure for assistive technology
    expect(await page.locator('table.matrix caption').count()).toBe(1);
    expect(await page.locator('table.matrix thead th[scope="col"]').count()).toBe(run.senders.length + 1);
    expect(await page.locator('table.matrix th[scope="row"]').count()).toBe(run.profiles.length);
    // the only request is the page itself; no CSP violation (the stylesheet's hash is right, nothing else loads)
    expect(requests).toEqual([url]);
    expect(console).toEqual([]);
    // the stylesheet applied: fail cells are tinted
    const background = await page.evaluate(`getComputedStyle(document.querySelector('[data-cell][data-verdict="fail"] a')).backgroundColor`);
    expect(background).toBe('rgb(252, 232, 230)');
    await page.screenshot({ path: join(artifactDir(), `report-${name}.png`), fullPage: name === 'demo' });
    await page.close();
  });

  it('hostile strings render as inert text: no script ran, the HELO is shown literally', async () => {
    const { page } = await open(hostile, 'hostile-inert');
    let dialogs = 0;
    page.on('dialog', (dialog) => {
      dialogs++;
      void dialog.dismiss();
    });
    await page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })");
    expect(await page.evaluate('typeof window.__badmxPwned')).toBe('undefined');
    expect(await page.locator('script, img, iframe, object, embed').count()).toBe(0);
    const text = await page.locator('body').innerText();
    expect(text).toContain(HOSTILE.scriptHelo);
    expect(text).toContain(HOSTILE.attributeHelo);
    expect(text).toContain(HOSTILE.sender);
    expect(dialogs).toBe(0);
    await page.close();
  });

  it('following a matrix cell opens its evidence, without JavaScript', async () => {
    const { page } = await open(demo, 'demo-click');
    const link = page.locator('[data-cell][data-profile="handshake-failure"] a').first();
    const target = (await link.getAttribute('href'))?.slice(1) ?? '';
    const details = page.locator(`[id="${target}"]`).locator('xpath=ancestor::details');
    expect(await details.getAttribute('open')).toBeNull();
    await link.click();
    await expect.poll(() => details.getAttribute('open')).toBe('');
    const body = await page.locator(`[id="${target}"]`).innerText();
    expect(body).toContain('handshake_failure');
    expect(body).toMatch(/Connection 1[\s\S]*STARTTLS\s+220[\s\S]*Connection 2/);
    await page.screenshot({ path: join(artifactDir(), 'report-demo-cell.png') });
    await page.close();
  });
});

describe('HTML report: certificate caveats', () => {
  it('marks the caveated cell, explains it in its evidence, and adds a legend entry; nothing without caveats', () => {
    expect(renderHtmlReport(demo)).not.toMatch(/class="caveat"|caveat<\/span>/);
    const caveat = 'the certificate chains to the badmx test root <b>untrusted</b>';
    const run: RunDocument = { ...demo, cells: demo.cells.map((c) => (c.profile === 'tls1.2' && c.sender === 'builtin:strict' ? { ...c, caveat } : c)) };
    const html = renderHtmlReport(run);
    expect(count(html, /<p class="caveat" role="note">/g)).toBe(1);
    expect(html).toContain('<strong>Certificate caveat:</strong> the certificate chains to the badmx test root &lt;b&gt;untrusted&lt;/b&gt;');
    expect(html).not.toContain('<b>untrusted</b>');
    expect(html).toMatch(/data-sender="builtin:strict" data-profile="tls1\.2"[^>]*>.*? caveat<\/span><\/a><\/td>/);
    expect(html).toMatch(/<li><span class="badge v-unsettled">.*caveat<\/span> the verdict depends on a certificate/);
  });
});
