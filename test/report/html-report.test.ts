import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { HTML_CSP, HTML_PALETTE, renderHtmlReport } from '../../src/report/html-report.js';
import type { RunDocument } from '../../src/document/run-document.js';
import { CHROMIUM, launchChromium } from '../helpers/chromium.js';
import { requireTool } from '../helpers/require-tool.js';
import { artifactDir, DEMO_RUN, HOSTILE, HOSTILE_RUN, HOSTILE_TLSRPT, loadFixture, MIXED_SUITES_RUN, MTA_STS_RUN, WAITS, withHostileTlsReports, withWaits } from '../helpers/report-fixtures.js';

const demo = loadFixture(DEMO_RUN);
const hostile = loadFixture(HOSTILE_RUN);
const waits = withWaits(demo);

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
    expect(count(html, /data-cell="" [^>]*data-verdict="inconclusive"/g)).toBe(run.summary.inconclusive);
    // every cell links to evidence that exists
    const targets = [...html.matchAll(/<a class="v-(?:pass|fail|inconclusive)" href="#([^"]+)"/g)].map((m) => m[1]);
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
  ])('%s: every matrix cell is there, reads PASS/FAIL/INCONCLUSIVE in words, and the page fetched nothing', async (name, run: RunDocument) => {
    const { page, requests, console, url } = await open(run, name);
    expect(await page.locator('[data-cell]').count()).toBe(run.senders.length * run.profiles.length);
    expect(await page.locator('[data-cell][data-verdict="fail"]').count()).toBe(run.summary.fail);
    expect(await page.locator('[data-cell][data-verdict="inconclusive"]').count()).toBe(run.summary.inconclusive);
    const cells = page.locator('[data-cell]');
    const texts = await cells.allInnerTexts();
    const words: Record<string, string> = { pass: 'PASS', fail: 'FAIL', inconclusive: 'INCONCLUSIVE' };
    for (const [i, text] of texts.entries()) {
      const verdict = (await cells.nth(i).getAttribute('data-verdict')) ?? '';
      expect(text).toContain(words[verdict]);
      for (const other of Object.values(words).filter((w) => w !== words[verdict])) expect(text).not.toMatch(new RegExp(`\\b${other}\\b`));
    }
    // table structure for assistive technology
    expect(await page.locator('table.matrix caption').count()).toBe(1);
    expect(await page.locator('table.matrix thead th[scope="col"]').count()).toBe(run.senders.length + 1);
    expect(await page.locator('table.matrix th[scope="row"]').count()).toBe(run.profiles.length);
    // the only request is the page itself; no CSP violation (the stylesheet's hash is right, nothing else loads)
    expect(requests).toEqual([url]);
    expect(console).toEqual([]);
    // the stylesheet applied: fail cells are tinted, inconclusive ones differently, with a double border
    const background = await page.evaluate(`getComputedStyle(document.querySelector('[data-cell][data-verdict="fail"] a')).backgroundColor`);
    expect(background).toBe('rgb(252, 232, 230)');
    if (run.summary.inconclusive > 0) {
      const style = await page.evaluate<string[]>(
        `(() => { const s = getComputedStyle(document.querySelector('[data-cell][data-verdict="inconclusive"] a')); return [s.backgroundColor, s.borderTopStyle]; })()`,
      );
      expect(style).toEqual(['rgb(241, 233, 250)', 'double']);
    }
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

  it('an inconclusive cell: counted by data-verdict, its evidence opens on a click and shows why, the bounce and the attempts, inert', async () => {
    const { page } = await open(hostile, 'hostile-inconclusive');
    expect(await page.locator('[data-cell][data-verdict="inconclusive"]').count()).toBe(hostile.summary.inconclusive);
    expect(await page.locator(`[data-cell][data-verdict="inconclusive"][data-sender="${HOSTILE.diagnosedSender}"]`).count()).toBe(hostile.profiles.length);
    expect(await page.locator('.summary .badge.v-inconclusive').innerText()).toBe(`${hostile.summary.inconclusive} inconclusive`);
    const relay = HOSTILE.sender.replace(/["\\]/g, '\\$&');
    const link = page.locator(`[data-cell][data-profile="sha1-signature"][data-sender="${relay}"] a`);
    expect(await link.innerText()).toMatch(/^INCONCLUSIVE\s+No attempt\s+not tested: bounced, not for TLS$/);
    const target = (await link.getAttribute('href'))?.slice(1) ?? '';
    await link.click();
    const details = page.locator(`[id="${target}"]`).locator('xpath=ancestor::details');
    await expect.poll(() => details.getAttribute('open')).toBe('');
    const body = await page.locator(`[id="${target}"]`).innerText();
    expect(body).toContain('Inconclusive, not tested (bounced, not for TLS): the sender gave up without contacting the receiver, not for TLS');
    expect(body).toContain(HOSTILE.bounceDiagnostic.replace('\u0001\u001b', '\\x01\\x1b'));
    expect(body).toMatch(/Submission attempts\s+1/);
    expect(await page.locator(`[id="${target}"] table.bounces tbody tr`).count()).toBe(2);
    expect(await page.evaluate('typeof window.__badmxPwned')).toBe('undefined');
    expect(await page.locator('script, img, iframe, object, embed, b, i').count()).toBe(0);
    // the diagnosed sender's column head says why its refusals prove nothing
    expect(await page.locator('table.matrix thead th[scope="col"]').nth(2).innerText()).toMatch(/INCONCLUSIVE: delivered to no control profile/);
    await page.screenshot({ path: join(artifactDir(), 'report-hostile-inconclusive.png') });
    await page.close();
  });

  it('an unsettled cell: following it opens evidence that says, in words, how long was waited and why that was not enough', async () => {
    const { page } = await open(waits, 'waits-unsettled');
    const link = page.locator(`[data-cell][data-sender="${WAITS.sender}"][data-profile="${WAITS.unsettledProfile}"] a`);
    expect(await link.innerText()).toMatch(/^PASS\s+Refused at the TLS handshake\s+[\s\S]*\s+unsettled, waited 1 min$/);
    // dashed, not colour alone
    expect(await page.evaluate(`getComputedStyle(document.querySelector('[data-cell][data-settled="false"] a')).borderTopStyle`)).toBe('dashed');
    const target = (await link.getAttribute('href'))?.slice(1) ?? '';
    await link.click();
    const details = page.locator(`[id="${target}"]`).locator('xpath=ancestor::details');
    await expect.poll(() => details.getAttribute('open')).toBe('');
    const note = page.locator(`[id="${target}"] p.wait`);
    expect((await note.innerText()).trim()).toBe(`Unsettled, waited 1 min: ${WAITS.unsettledNote.replace('\u0007', '\\x07')}`);
    // the note reads without colour: a dashed border, an icon and the word
    expect(await page.evaluate(`getComputedStyle(document.querySelector('[id="${target}"] p.wait')).borderTopStyle`)).toBe('dashed');
    expect(await note.locator('svg.icon').count()).toBe(1);
    expect(await page.locator(`[id="${target}"]`).innerText()).toMatch(/Settled\s+no, waited 1 min: the deadline came first/);
    // and the sender's stated retries, in the senders table
    expect(await page.locator('table.senders tr', { hasText: WAITS.sender }).innerText()).toContain(`retries as stated: ${WAITS.retriesText}`);
    expect(await page.locator('script, img, iframe, object, embed, b').count()).toBe(0);
    await page.screenshot({ path: join(artifactDir(), 'report-waits-unsettled.png') });
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

  it('a run of both suites: a table per suite under its heading, each with caption and headers, every cell in words, nothing fetched', async () => {
    const run = loadFixture(MIXED_SUITES_RUN);
    const { page, requests, console, url } = await open(run, 'mixed-suites');
    expect(await page.locator('section.suite h3').allInnerTexts()).toEqual(["The study's receivers", 'Receivers that declare a policy: MTA-STS (RFC 8461)']);
    const tables = page.locator('table.matrix');
    expect(await tables.count()).toBe(2);
    for (const [i, names] of [
      ['no-starttls', 'tls1.3', 'self-signed'],
      ['sts-enforce-valid', 'sts-enforce-self-signed', 'sts-policy-bad-certificate'],
    ].entries()) {
      const table = tables.nth(i);
      expect(await table.locator('caption').count()).toBe(1);
      expect(await table.locator('thead th[scope="col"]').count()).toBe(run.senders.length + 1);
      expect(await table.locator('th[scope="row"]').count()).toBe(names.length);
      const profiles = await page.evaluate<string[]>(`[...new Set([...document.querySelectorAll('table.matrix')[${i}].querySelectorAll('[data-cell]')].map((c) => c.getAttribute('data-profile')))]`);
      expect(profiles).toEqual(names);
    }
    // a row head says what its profile asks, in one line of its own
    expect(await tables.nth(1).locator('th[scope="row"]').first().innerText()).toMatch(
      /^MTA-STS enforce, MX meets it\nsts-enforce-valid · expected: deliver over TLS\nDoes the sender deliver over authenticated TLS to a domain whose MTA-STS policy \(mode enforce\) its MX meets\?$/,
    );
    const cells = page.locator('[data-cell]');
    expect(await cells.count()).toBe(run.senders.length * run.profiles.length);
    for (const [i, text] of (await cells.allInnerTexts()).entries()) {
      const verdict = (await cells.nth(i).getAttribute('data-verdict')) ?? '';
      expect(text).toContain(verdict.toUpperCase());
    }
    expect(await page.locator('[data-cell][data-sender="builtin:opportunistic"][data-profile="sts-enforce-self-signed"]').innerText()).toMatch(/^FAIL\s+Delivered to a self-signed certificate\s+TLS 1\.3, TLS_AES_256_GCM_SHA384\s+policy never fetched$/);
    expect(requests).toEqual([url]);
    expect(console).toEqual([]);
    await page.screenshot({ path: join(artifactDir(), 'report-mixed-suites.png'), fullPage: true });
    await page.close();
  });

  it('an MTA-STS cell: following it opens evidence that says what the policy host saw of its sender, in words', async () => {
    const run = loadFixture(MTA_STS_RUN);
    const { page } = await open(run, 'mta-sts-cell');
    const link = page.locator('[data-cell][data-sender="builtin:opportunistic"][data-profile="sts-enforce-no-starttls"] a');
    const target = (await link.getAttribute('href'))?.slice(1) ?? '';
    await link.click();
    await expect.poll(() => page.locator(`[id="${target}"]`).locator('xpath=ancestor::details').getAttribute('open')).toBe('');
    const body = await page.locator(`[id="${target}"]`).innerText();
    expect(body).toMatch(/MTA-STS POLICY HOST\s+never fetched the policy\s+policy host request over TLSv1\.3 \(HTTP 201: no policy handed over\) at 15:45:41 UTC from 127\.0\.0\.1, SNI mta-sts\.sts-enforce-no-starttls\.badmx\.test \(not attributable to one sender: several ran side by side\)/);
    // its own fetch, for the sender that honours MTA-STS
    const own = page.locator('[data-cell][data-sender="builtin:mta-sts"][data-profile="sts-enforce-no-starttls"] a');
    const ownTarget = (await own.getAttribute('href'))?.slice(1) ?? '';
    await own.click();
    await expect.poll(() => page.locator(`[id="${ownTarget}"]`).locator('xpath=ancestor::details').getAttribute('open')).toBe('');
    expect(await page.locator(`[id="${ownTarget}"] ul.policy-host li`).first().innerText()).toMatch(/^policy fetched over TLSv1\.3 \(HTTP 200\) at 15:45:41 UTC from 127\.0\.0\.1, SNI \S+, User-Agent \S+$/);
    await page.screenshot({ path: join(artifactDir(), 'report-mta-sts-cell.png') });
    await page.close();
  });

  it('the TLS reports: a captioned table with row and column headers, who never reported said in words; it fits an A4 page in print', async () => {
    const run = withHostileTlsReports(loadFixture(MTA_STS_RUN));
    const { page, console } = await open(run, 'tls-reports');
    const section = page.locator('section[aria-labelledby="tls-reports-heading"]');
    expect(await section.locator('h2').innerText()).toBe('TLS reports (RFC 8460)');
    expect(await section.locator('ul.tls-reporting li').allInnerTexts()).toEqual([
      'builtin:mta-sts sent 16 TLS reports (7 by HTTPS POST, 9 by mail) about 9 of the 9 domains that ask for them',
      'builtin:opportunistic sent 1 TLS report (1 by HTTPS POST) about 0 of the 9 domains that ask for them, 1 not valid',
      `1 TLS report named no sender of this run (from ${HOSTILE_TLSRPT.from})`,
    ]);
    const table = section.locator('table');
    expect(await table.locator('caption').count()).toBe(1);
    expect(await table.locator('thead th[scope="col"]').allInnerTexts()).toEqual(['Sender', 'Via', 'Received', 'Profile', 'Result types', 'Successful', 'Failed']);
    expect(await table.locator('tbody th[scope="row"]').count()).toBe(18);
    expect(await table.locator('tbody tr').last().innerText()).toContain(`${HOSTILE_TLSRPT.resultType.replace('\u001b', '\\x1b')} (not an RFC 8460 result type) ×2 at ${HOSTILE_TLSRPT.mx}`);
    expect(await page.evaluate('typeof window.__badmxPwned')).toBe('undefined');
    expect(await page.locator('script, img, iframe, object, embed, b, i').count()).toBe(0);
    expect(console).toEqual([]);
    // print: an A4 page (210 mm at 96 dpi, less margins), the print stylesheet of the browser; nothing of the section overflows it
    await page.emulateMedia({ media: 'print' });
    await page.setViewportSize({ width: 720, height: 1000 });
    const fits = await page.evaluate<boolean>(
      `(() => { const s = document.querySelector('section[aria-labelledby="tls-reports-heading"]'); return s.scrollWidth <= s.clientWidth && [...s.querySelectorAll('table')].every((t) => t.getBoundingClientRect().right <= s.getBoundingClientRect().right + 0.5); })()`,
    );
    expect(fits).toBe(true);
    await section.screenshot({ path: join(artifactDir(), 'report-tls-reports.png') });
    await page.close();
  });
});

describe('HTML report: inconclusive cells', () => {
  const html = renderHtmlReport(hostile);

  it('have their own colour, icon and word, a summary badge with the count and a legend entry; nothing of it without any', () => {
    expect(html).toContain(`<span class="badge v-inconclusive"><svg class="icon"`);
    expect(html).toMatch(new RegExp(`<span class="badge v-inconclusive">.*?</svg>${hostile.summary.inconclusive} inconclusive</span>`));
    expect(html).toMatch(/<li><span class="badge v-inconclusive">.*?INCONCLUSIVE<\/span> not actually tested /);
    expect(html).toContain(`${hostile.summary.pass} pass, ${hostile.summary.fail} fail, ${hostile.summary.inconclusive} inconclusive</title>`);
    const cells = [...html.matchAll(/<td class="cell[^"]*"[^>]*data-verdict="inconclusive"[^>]*>(.*?)<\/td>/g)].map((m) => m[1] ?? '');
    expect(cells).toHaveLength(hostile.summary.inconclusive);
    for (const cell of cells) {
      expect(cell).toMatch(/^<a class="v-inconclusive" href="#[^"]+"><span class="verdict"><svg class="icon"[^>]*><circle [^>]*\/><path d="M4 12L12 4"[^>]*\/><\/svg><span>INCONCLUSIVE<\/span><\/span>/);
      expect(cell).toMatch(/<span class="detail">not tested: [A-Za-z ,]+<\/span>/);
    }
    expect(HTML_PALETTE.inconclusive).not.toEqual(HTML_PALETTE.fail);
    expect(HTML_PALETTE.inconclusive).not.toEqual(HTML_PALETTE.pass);
    const demoHtml = renderHtmlReport(demo);
    expect(demoHtml).not.toMatch(/INCONCLUSIVE|\d+ inconclusive|class="untested"|class="diagnosis"|<table class="bounces">/);
  });

  it('show why in the cell\'s evidence, the submission attempts and the bounces, every string escaped', () => {
    expect(count(html, /<p class="untested" role="note">/g)).toBe(hostile.summary.inconclusive);
    expect(html).toContain('<strong>Inconclusive, not tested (submission failed):</strong> the sender could not take the probe after 3 attempts: connect ECONNREFUSED 127.0.0.1:2626</p>');
    expect(html).toContain('<dt>Submission attempts</dt><dd>3</dd>');
    expect(count(html, /<table class="bounces">/g)).toBe(hostile.cells.filter((c) => c.bounces.length > 0).length);
    expect(count(html, /<table class="bounces">[\s\S]*?<\/table>/g)).toBe(1);
    const bounces = /<table class="bounces">[\s\S]*?<\/table>/.exec(html)?.[0] ?? '';
    expect(bounces).toContain('<td class="nowrap"><strong>delayed</strong></td><td class="nowrap"><code>4.4.3</code></td>');
    expect(bounces).toContain('<td class="nowrap"><strong>failed</strong></td><td class="nowrap"><code>5.4.4</code></td>');
    expect(bounces).toContain(
      '<code>smtp; 554 5.4.4 &lt;script&gt;window.__badmxPwned=4&lt;/script&gt; Host not found: &quot;mx.sha1-signature&quot; | name=&lt;b&gt;x&lt;/b&gt;, type=A \\x01\\x1b[31mred</code>',
    );
    expect(bounces).toContain('<code>dns; &lt;i&gt;mx&lt;/i&gt;.sha1-signature.badmx.test</code>');
    expect(html).not.toContain('<script>window.__badmxPwned=4');
    expect(html).not.toContain('<i>mx</i>');
  });

  it('show the sender\'s diagnosis in its column head and in the senders table', () => {
    const strict = hostile.senders.find((s) => s.label === HOSTILE.diagnosedSender);
    const diagnosis = strict?.diagnosis ?? '';
    expect(diagnosis).not.toBe('');
    const head = /<thead><tr><th scope="col">Receiver state<\/th>(.*?)<\/tr><\/thead>/.exec(html)?.[1] ?? '';
    const columns = head.split('</th>');
    expect(columns[1]).toContain(`0 pass · 0 fail · 14 inconclusive</span><span class="diagnosis" role="note">`);
    expect(columns[1]).toContain(`<strong>INCONCLUSIVE:</strong> ${diagnosis}</span>`);
    expect(columns[0]).not.toContain('diagnosis');
    const row = /<tr><th scope="row">builtin:strict<\/th>.*<\/tr>/.exec(html)?.[0] ?? '';
    expect(row).toContain(`<span class="diagnosis" role="note">`);
    expect(row).toMatch(new RegExp(`<strong>INCONCLUSIVE:</strong> ${diagnosis.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}</span></td></tr>$`));
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

describe('HTML report: what settled each cell, and how long was waited', () => {
  const html = renderHtmlReport(waits);

  it('an unsettled cell says in its evidence how long was waited and why that was not enough, in words and escaped', () => {
    expect(count(html, /<p class="wait" role="note">/g)).toBe(1);
    expect(html).toContain(
      '<strong>Unsettled, waited 1 min:</strong> the stated retries run to 16 min, longer than the 1 min --wait: a retry after it could still deliver &lt;b&gt;late&lt;/b&gt; | \\x07</p>',
    );
    expect(html).not.toContain('<b>late</b>');
    expect(html).toContain('<dt>Settled</dt><dd>no, waited 1 min: the deadline came first, the sender might still have acted later</dd>');
    // the matrix cell says it too, with the icon and the word
    expect(html).toMatch(/data-sender="builtin:strict" data-profile="expired"[^>]*>.*?<span class="detail"><svg class="icon"[^>]*>.*?<\/svg> unsettled, waited 1 min<\/span><\/a><\/td>/);
    expect(html).toMatch(/the deadline came before the sender finished \(dashed border\); its evidence says how long was waited and why that was not enough<\/li>/);
  });

  it('a cell delivered but left unsettled (a connection still open) says what settled it, not a wait', () => {
    const note = 'delivered after 1.2 s: nothing the sender does later changes what it did; but a connection was still open when the wait ended, so the record may be incomplete';
    const run = { ...waits, cells: waits.cells.map((c) => (c.sender === 'builtin:strict' && c.profile === 'tls1.3' ? { ...c, settled: false, settle: { by: 'delivery' as const, waitedMs: 1200, note } } : c)) };
    const out = renderHtmlReport(run);
    expect(out).toContain(`<strong>Unsettled, by delivery after 1.2 s:</strong> ${note}</p>`);
    expect(out).toContain('<dt>Settled</dt><dd>no, though by delivery after 1.2 s: the note above says why</dd>');
    expect(out).toMatch(/data-sender="builtin:strict" data-profile="tls1\.3"[^>]*>.*?<\/svg> unsettled<\/span><\/a><\/td>/);
  });

  it('a settled cell says what settled it, after how long, and why that was enough', () => {
    expect(html).toContain(`<dt>Settled</dt><dd>yes, by delivery after 1.2 s <span class="muted">(${WAITS.deliveredNote})</span></dd>`);
    expect(html).toContain(`<dt>Settled</dt><dd>yes, by the sender&#39;s final word after 180 ms <span class="muted">(${WAITS.refusedNote})</span></dd>`);
  });

  it('the sender\'s stated retries are in its notes; nothing of them for a sender that stated none', () => {
    const row = /<tr><th scope="row">builtin:strict<\/th>.*<\/tr>/.exec(html)?.[0] ?? '';
    expect(row).toContain(`<li class="retries"><strong>retries as stated:</strong> ${WAITS.retriesText}</li>`);
    expect(count(html, /retries as stated/g)).toBe(1);
    expect(renderHtmlReport(demo)).not.toMatch(/retries as stated|class="wait"/);
  });

  it('a run from before waits were recorded: its unsettled cells say the deadline came first, and that it said no more', () => {
    const old = renderHtmlReport(hostile);
    expect(count(old, /<p class="wait" role="note">/g)).toBe(hostile.summary.unsettled);
    expect(old).toContain('<strong>Unsettled, the deadline came first:</strong> recorded by a badmx that did not say what settled a cell</p>');
    expect(old).toContain('<dt>Settled</dt><dd>no: the deadline came first, the sender might still have acted later</dd>');
  });
});

describe('HTML report: profiles grouped by suite', () => {
  const sts = loadFixture(MTA_STS_RUN);
  const mixed = loadFixture(MIXED_SUITES_RUN);

  it('a run of the study\'s profiles alone: one matrix table, no suite heading, no policy host, no TLS reports', () => {
    for (const run of [demo, hostile, waits]) {
      const html = renderHtmlReport(run);
      expect(count(html, /<table class="matrix">/g)).toBe(1);
      expect(html).not.toMatch(/class="suite"|MTA-STS|TLS reports|policy-host|tls-reports/);
    }
  });

  it.each([
    ['mta-sts', sts],
    ['mixed', mixed],
  ])('%s: one matrix cell per sender × profile, every cell linked to its evidence, self-contained and escaped', (_name, run: RunDocument) => {
    const html = renderHtmlReport(run);
    expect(count(html, /<td class="cell[^"]*" data-cell=""/g)).toBe(run.senders.length * run.profiles.length);
    expect(count(html, /data-cell="" [^>]*data-verdict="fail"/g)).toBe(run.summary.fail);
    expect(count(html, /data-cell="" [^>]*data-verdict="pass"/g)).toBe(run.summary.pass);
    const targets = [...html.matchAll(/<a class="v-(?:pass|fail|inconclusive)" href="#([^"]+)"/g)].map((m) => m[1]);
    expect(targets).toHaveLength(run.cells.length);
    for (const id of targets) expect(html).toContain(`<div class="body" id="${id}">`);
    expect(html).not.toMatch(/<script/i);
    for (const [, href] of html.matchAll(/href="([^"]*)"/g)) expect(href).toMatch(/^#/);
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="${HTML_CSP}">`);
    // the stylesheet is the one every report has: the new parts reuse its classes
    expect(/<style>([\s\S]*?)<\/style>/.exec(html)?.[1]).toBe(/<style>([\s\S]*?)<\/style>/.exec(renderHtmlReport(demo))?.[1]);
  });

  it('a run of both suites: a section per suite with its heading, question and table, the study\'s first; each row says what its profile asks', () => {
    const html = renderHtmlReport(mixed);
    const suites = [...html.matchAll(/<section class="suite" aria-labelledby="(suite-[a-z-]+)">\n<h3 id="\1">([^<]+)<\/h3>\n<p class="muted">([^<]+)<\/p>\n<div class="matrix-scroll"[^>]*>\n?<table class="matrix">\n<caption>([^<]+)<\/caption>/g)].map((m) => [m[2], m[4]]);
    expect(suites).toEqual([
      ['The study&#39;s receivers', 'The study&#39;s receivers: receiver states (rows) × senders (columns), judged against policy mta-sts. Each cell links to its evidence.'],
      [
        'Receivers that declare a policy: MTA-STS (RFC 8461)',
        'Receivers that declare a policy: MTA-STS (RFC 8461): receiver states (rows) × senders (columns), judged against policy mta-sts. Each cell links to its evidence.',
      ],
    ]);
    for (const profile of mixed.profiles) {
      expect(html).toContain(`<span class="name"><code>${profile.name}</code> · expected: `);
      expect(html).toContain(`<span class="name">${profile.tests.replace(/'/g, '&#39;')}</span></th>`);
    }
    // each table's column heads count that suite's cells alone
    const heads = [...html.matchAll(/<thead><tr><th scope="col">Receiver state<\/th>(.*?)<\/tr><\/thead>/g)].map((m) => m[1] ?? '');
    expect(heads).toHaveLength(2);
    expect(heads[0]).toContain('builtin:opportunistic<br><span class="muted">built-in sender · 3 pass · 0 fail</span>');
    expect(heads[1]).toContain('builtin:opportunistic<br><span class="muted">built-in sender · 2 pass · 1 fail</span>');
  });

  it('an MTA-STS cell says in the matrix whether its sender fetched the policy, and a legend entry says what that is', () => {
    const html = renderHtmlReport(sts);
    const cell = (sender: string, profile: string): string => new RegExp(`<td [^>]*data-sender="${sender}" data-profile="${profile}"[^>]*>(.*?)</td>`).exec(html)?.[1] ?? '';
    expect(cell('builtin:mta-sts', 'sts-enforce-valid')).toContain('<span class="detail">policy fetched</span>');
    expect(cell('builtin:opportunistic', 'sts-enforce-self-signed')).toContain('<span class="detail">policy never fetched</span>');
    expect(cell('builtin:mta-sts', 'sts-policy-unreachable')).toContain('<span class="detail">policy host unreachable</span>');
    expect(html).toContain('<li><span><strong>policy fetched</strong>, <strong>policy never fetched</strong>: what the domain&#39;s MTA-STS policy host saw of the sender');
    expect(renderHtmlReport(mixed)).not.toMatch(/data-profile="(no-starttls|tls1\.3|self-signed)"[^>]*>[^\n]*?policy (never )?fetched/);
  });

  it('an MTA-STS cell\'s evidence has what the policy host saw of its sender, escaped; its profile says what it publishes', () => {
    const html = renderHtmlReport(sts);
    const body = (sender: string, profile: string): string => {
      const index = sts.cells.findIndex((c) => c.sender === sender && c.profile === profile);
      return new RegExp(`<div class="body" id="cell-${index + 1}-${profile}">([\\s\\S]*?)</div>\\n</details>`).exec(html)?.[1] ?? '';
    };
    const fetched = body('builtin:mta-sts', 'sts-enforce-valid');
    expect(fetched).toContain('<h4>MTA-STS policy host</h4>');
    expect(fetched).not.toContain('never fetched');
    expect(fetched).toContain(
      '<li>policy fetched over TLSv1.3 (HTTP 200) at 15:45:41 UTC <span class="muted">from <code>127.0.0.1</code>, SNI <code>mta-sts.sts-enforce-valid.badmx.test</code>, User-Agent <code>badmx-mta-sts-2d79fd.builtin.badmx.invalid</code></span></li>',
    );
    expect(fetched).toMatch(/<li>TLS-RPT report posted \(HTTP 201\) at 15:45:41 UTC <span class="muted">[^<]*<code>[^<]*<\/code>[^<]*<code>[^<]*<\/code><\/span> <em>\(not attributable to one sender: several ran side by side\)<\/em><\/li>/);
    expect(body('builtin:opportunistic', 'sts-enforce-self-signed')).toContain('<h4>MTA-STS policy host</h4>\n<p><strong>never fetched the policy</strong></p>');
    expect(body('builtin:opportunistic', 'sts-policy-unreachable')).toContain(
      '<p><strong>never fetched the policy: its policy host is unreachable by design, so no attempt can be seen</strong></p>\n<p class="muted">The policy host <code>mta-sts.sts-policy-unreachable.badmx.test</code> recorded nothing of this sender.</p>',
    );
    expect(html).toContain(
      '<p class="muted">MTA-STS: mode <strong>enforce</strong> · the policy does not list this MX · max_age 86400 · id <code>f4d0f17b983e4e7af564</code> · <code>mta-sts.sts-enforce-mx-mismatch.badmx.test</code> at 127.0.197.20 serves it over HTTPS with a valid certificate; it takes TLS-RPT reports by HTTPS POST too</p>\n<pre>version: STSv1\nmode: enforce\nmx: mx-elsewhere.sts-enforce-mx-mismatch.badmx.test\nmax_age: 86400</pre>',
    );
    expect(html).toContain('at 127.0.197.23 serves it with a self-signed certificate, which RFC 8461 §3.3 says a sender must not accept</p>');
    // what a client sent the policy host is escaped like any SMTP string
    const hostile = {
      ...sts,
      cells: sts.cells.map((c) =>
        c.profile === 'sts-enforce-valid' && c.sender === 'builtin:mta-sts'
          ? { ...c, policyFetches: (c.policyFetches ?? []).map((f) => ({ ...f, userAgent: '<script>window.__badmxPwned=7</script>', sni: '"><b>x</b>', alert: null })) }
          : c,
      ),
    };
    const out = renderHtmlReport(hostile);
    expect(out).not.toContain('<script>window.__badmxPwned=7');
    expect(out).toContain('User-Agent <code>&lt;script&gt;window.__badmxPwned=7&lt;/script&gt;</code>');
    expect(out).toContain('SNI <code>&quot;&gt;&lt;b&gt;x&lt;/b&gt;</code>');
  });
});

describe('HTML report: TLS reports (RFC 8460)', () => {
  const sts = loadFixture(MTA_STS_RUN);

  it('a section after the senders: who reported and who never did, then a table of every reported policy', () => {
    const html = renderHtmlReport(sts);
    expect(html.indexOf('<h2 id="senders-heading">')).toBeLessThan(html.indexOf('<h2 id="tls-reports-heading">TLS reports (RFC 8460)</h2>'));
    expect(html.indexOf('<h2 id="tls-reports-heading">')).toBeLessThan(html.indexOf('<h2 id="cells-heading">'));
    expect(html).toContain(
      '<ul class="tls-reporting" aria-label="Which senders reported">\n<li><strong>builtin:mta-sts</strong> sent 16 TLS reports (7 by HTTPS POST, 9 by mail) about 9 of the 9 domains that ask for them</li>\n<li><strong>builtin:opportunistic</strong> sent no TLS report</li>\n</ul>',
    );
    const table = /<table class="senders tls-reports">[\s\S]*?<\/table>/.exec(html)?.[0] ?? '';
    expect(table).toContain('<caption>');
    expect(count(table, /<th scope="col"/g)).toBe(7);
    expect(count(table, /<tr><th scope="row">/g)).toBe((sts.tlsReports ?? []).reduce((n, r) => n + r.policies.length, 0));
    expect(table).toContain(
      '<tr><th scope="row">builtin:mta-sts</th><td class="nowrap">HTTPS POST</td><td class="nowrap">15:45:41 UTC</td><td><code>sts-enforce-expired</code> <span class="muted">sts</span></td><td>certificate-expired ×1 at mx.sts-enforce-expired.badmx.test</td><td>0</td><td>1</td></tr>',
    );
    expect(table).toContain(
      '<tr><th scope="row">builtin:mta-sts</th><td class="nowrap">mail</td><td class="nowrap">15:45:42 UTC</td><td><code>sts-enforce-valid</code> <span class="muted">sts</span></td><td><span class="muted">none</span></td><td>1</td><td>0</td></tr>',
    );
  });

  it('none arrived although the profiles asked: every sender is noted for sending none', () => {
    const html = renderHtmlReport({ ...sts, tlsReports: [] });
    expect(html).toContain('<li><strong>builtin:mta-sts</strong> sent no TLS report</li>\n<li><strong>builtin:opportunistic</strong> sent no TLS report</li>');
    expect(html).toContain('<p class="muted">No TLS report arrived during the run.</p>');
    expect(html).not.toContain('tls-reports">');
  });

  it('escapes everything a report carries, marks an unknown result type, and shows an invalid report with why', () => {
    const html = renderHtmlReport(withHostileTlsReports(sts));
    expect(html).not.toMatch(/<script|<img|<b>evil|<i>x|<i>example/);
    expect(html).toContain('no sender of this run named (from &quot;&gt;&lt;img src=x onerror=&quot;window.__badmxPwned=5&quot;&gt;@evil.example)');
    expect(html).toContain(
      '<td>&lt;script&gt;window.__badmxPwned=6&lt;/script&gt; | x\\x1b[31m (not an RFC 8460 result type) ×2 at mx.&lt;b&gt;evil&lt;/b&gt;.example</td><td>3</td><td>2</td></tr>',
    );
    expect(html).toContain('elsewhere.&lt;i&gt;example&lt;/i&gt; (not a profile of this run)');
    expect(html).toContain(
      '<td colspan="4"><strong>not a valid report:</strong> not JSON: unexpected &quot;&lt;&quot; at 0 | &lt;i&gt;x&lt;/i&gt; <span class="muted">(<code>tlsrpt/9999-hostile.json</code>)</span></td>',
    );
    // eslint-disable-next-line no-control-regex
    expect(html).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
  });
});
