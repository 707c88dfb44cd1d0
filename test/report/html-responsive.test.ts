import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { beforeEach, describe, expect, it } from 'vitest';
import type { RunDocument } from '../../src/document/run-document.js';
import { renderHtmlReport } from '../../src/report/html-report.js';
import { axeViolations } from '../helpers/axe.js';
import { sharedChromium } from '../helpers/chromium.js';
import { artifactDir, DEMO_RUN, HOSTILE_RUN, loadFixture, MIXED_SUITES_RUN } from '../helpers/report-fixtures.js';
import { LONG_LABEL, withLongLabel } from '../helpers/long-label.js';

const RUNS: [string, RunDocument][] = [
  ['demo', loadFixture(DEMO_RUN)],
  ['hostile', loadFixture(HOSTILE_RUN)],
  ['mixed-suites', loadFixture(MIXED_SUITES_RUN)],
  ['long-label', withLongLabel(loadFixture(DEMO_RUN))],
];

describe('the HTML report at a phone’s and a desktop’s width, in headless Chromium', () => {
  let browser: Browser;
  const chromium = sharedChromium();
  const dir = mkdtempSync(join(tmpdir(), 'badmx-responsive-'));
  beforeEach(async () => {
    browser = await chromium();
  });

  async function open(run: RunDocument, name: string, width: number) {
    const file = join(dir, `${name}.html`);
    writeFileSync(file, renderHtmlReport(run));
    // bypassCSP: the report's CSP forbids every script, and axe is one
    const page = await browser.newPage({ viewport: { width, height: 800 }, bypassCSP: true });
    await page.goto(pathToFileURL(file).href);
    return page;
  }

  it.each(RUNS.flatMap(([name, run]) => [375, 1280].map((width) => [name, width, run] as const)))(
    '%s at %i px: the page never scrolls sideways (the matrix may, inside its own focusable box), text stays readable, and axe finds no violation',
    async (name, width, run) => {
      const page = await open(run, name, width);
      const layout = await page.evaluate<{ page: number; viewport: number; wide: string[]; boxes: { tabindex: string | null; role: string | null; label: string | null; overflowX: string }[] }>(`(() => {
        const w = document.documentElement.clientWidth;
        return {
          page: document.documentElement.scrollWidth,
          viewport: w,
          wide: [...document.querySelectorAll('body *')].filter((e) => !e.closest('.matrix-scroll') && e.getBoundingClientRect().right > w + 0.5).map((e) => e.tagName + '.' + e.className),
          boxes: [...document.querySelectorAll('table.matrix')].map((t) => { const box = t.parentElement; return { tabindex: box.getAttribute('tabindex'), role: box.getAttribute('role'), label: box.getAttribute('aria-label'), overflowX: getComputedStyle(box).overflowX }; }),
        };
      })()`);
      expect(layout.page).toBe(layout.viewport);
      expect(layout.wide).toEqual([]);
      expect(layout.boxes.length).toBeGreaterThan(0);
      for (const box of layout.boxes) expect(box).toEqual({ tabindex: '0', role: 'region', label: expect.stringMatching(/^Matrix table/) as unknown, overflowX: 'auto' });
      // readable: body text at 15px, nothing in the matrix under 12px, no cell squeezed below 8em, no cell's text spilling out of it
      const sizes = await page.evaluate<{ body: number; smallest: number; narrowest: number; spills: number }>(`(() => {
        const cells = [...document.querySelectorAll('td.cell a')];
        const texts = [...document.querySelectorAll('table.matrix *')].filter((e) => [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim()));
        return {
          body: parseFloat(getComputedStyle(document.body).fontSize),
          smallest: Math.min(...texts.map((e) => parseFloat(getComputedStyle(e).fontSize))),
          narrowest: Math.min(...cells.map((a) => a.getBoundingClientRect().width)),
          spills: cells.filter((a) => a.scrollWidth > a.clientWidth + 1).length,
        };
      })()`);
      expect(sizes.body).toBeGreaterThanOrEqual(15);
      expect(sizes.smallest).toBeGreaterThanOrEqual(12);
      expect(sizes.narrowest).toBeGreaterThanOrEqual(120);
      expect(sizes.spills).toBe(0);
      if (name === 'long-label') expect(await page.locator('table.matrix thead th').nth(1).innerText()).toContain(LONG_LABEL);
      // every cell's evidence open, as a reader following the cells leaves it: still nothing wider than the page
      await page.evaluate(`document.querySelectorAll('details').forEach((d) => { d.open = true; })`);
      const opened = await page.evaluate<{ page: number; spilling: string[] }>(`(() => ({
        page: document.documentElement.scrollWidth,
        spilling: [...document.querySelectorAll('body *')].filter((e) => !e.closest('.matrix-scroll') && e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX === 'visible').map((e) => e.tagName + '.' + e.className),
      }))()`);
      expect(opened).toEqual({ page: width, spilling: [] });
      expect(await axeViolations(page)).toEqual([]);
      if (width === 375) await page.screenshot({ path: join(artifactDir(), `report-${name}-375.png`) });
      await page.close();
    },
  );

  it('at 375 px a matrix wider than the phone scrolls inside its box, and the page does not', async () => {
    const page = await open(loadFixture(HOSTILE_RUN), 'hostile-scroll', 375);
    const box = await page.evaluate<{ scroll: number; client: number; page: number }>(
      `(() => { const b = document.querySelector('.matrix-scroll'); return { scroll: b.scrollWidth, client: b.clientWidth, page: document.documentElement.scrollWidth }; })()`,
    );
    expect(box.scroll).toBeGreaterThan(box.client);
    expect(box.page).toBe(375);
    // by keyboard: the box takes focus, and an arrow key scrolls it
    await page.focus('.matrix-scroll');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(`document.querySelector('.matrix-scroll').scrollLeft > 0`, undefined, { timeout: 5000 });
    await page.close();
  });
});
