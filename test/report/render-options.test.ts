import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { renderHtmlReport } from '../../src/report/html-report.js';
import { renderMarkdownTable } from '../../src/report/markdown-table.js';
import { renderAll } from '../../src/report/render-all.js';
import { selectRenderers } from '../../src/report/registry.js';
import { renderSvgInfographic, wrapAll } from '../../src/report/svg-infographic.js';
import { CHROMIUM, launchChromium } from '../helpers/chromium.js';
import { LONG_LABEL, withLongLabel } from '../helpers/long-label.js';
import { DEMO_RUN, loadFixture } from '../helpers/report-fixtures.js';
import { requireTool } from '../helpers/require-tool.js';
import { descendants, parseXml, textOf } from '../helpers/xml.js';

const demo = loadFixture(DEMO_RUN);
const OPTIONS = { title: 'Acme <outbound> & "partners"', subtitle: 'Q3 audit | strict policy' };

describe('--title and --subtitle reach every renderer as data', () => {
  it('HTML: the title is the heading and the page title, the subtitle under it, the run and policy still said; escaped', () => {
    const html = renderHtmlReport(demo, OPTIONS);
    expect(html).toContain('<h1>Acme &lt;outbound&gt; &amp; &quot;partners&quot;</h1>');
    expect(html).toContain('<p class="lede subtitle">Q3 audit | strict policy</p>');
    expect(html).toMatch(/<title>Acme &lt;outbound&gt; &amp; &quot;partners&quot;: badmx run /);
    expect(html).toContain(`Run <code>${demo.run.id}</code> · policy strict`);
    expect(renderHtmlReport(demo)).toContain(`<h1>Run <code>${demo.run.id}</code> · policy strict</h1>`);
  });

  it('SVG: the title and subtitle as text, the policy line kept; Markdown: a heading and a line, escaped', () => {
    const texts = descendants(parseXml(renderSvgInfographic(demo, OPTIONS))).filter((e) => e.name === 'text').map(textOf);
    expect(texts[0]).toBe(OPTIONS.title);
    expect(texts[1]).toBe(OPTIONS.subtitle);
    expect(texts.some((t) => t.startsWith('Judged against policy “strict”'))).toBe(true);
    const md = renderMarkdownTable(demo, OPTIONS).split('\n');
    expect(md.slice(0, 4)).toEqual(['## Acme \\<outbound\\> &amp; "partners"', '', 'Q3 audit \\| strict policy', '']);
  });

  it('renderAll hands the options to each renderer it runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'badmx-options-'));
    const results = await renderAll(demo, selectRenderers('html,svg,md'), dir, OPTIONS);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toContain('<h1>Acme &lt;outbound&gt;');
    expect(readFileSync(join(dir, 'infographic.svg'), 'utf8')).toContain('Acme &lt;outbound&gt;');
    expect(readFileSync(join(dir, 'report.md'), 'utf8')).toContain('## Acme \\<outbound\\>');
  });
});

describe('long sender labels wrap, never cut', () => {
  it('wrapAll breaks at separators, splits what has none, and loses no character', () => {
    const lines = wrapAll(LONG_LABEL, 244, 15, true);
    expect(lines.length).toBeGreaterThan(2);
    expect(lines.join('')).toBe(LONG_LABEL);
    expect(wrapAll('x'.repeat(100), 100, 12).join('')).toBe('x'.repeat(100));
    expect(wrapAll('short', 244, 15)).toEqual(['short']);
  });

  it('SVG: the label’s column head is every line of it, no “…”, and each line fits the column in a real browser', async () => {
    const svg = renderSvgInfographic(withLongLabel(demo));
    const heads = descendants(parseXml(svg))
      .filter((t) => t.name === 'text' && t.attributes.class === 'colhead')
      .map(textOf);
    expect(heads.join('').replace('builtin:strict', '')).toBe(LONG_LABEL);
    expect(heads.some((t) => t.includes('…'))).toBe(false);
    requireTool(CHROMIUM, 'chromium');
    browser = await launchChromium();
    const page = await browser.newPage();
    await page.setContent(svg.replace(/^<\?xml[^>]*>\n/, ''));
    const widths = await page.evaluate<number[]>(`[...document.querySelectorAll('text.colhead')].map((t) => t.getComputedTextLength())`);
    expect(widths.length).toBe(heads.length);
    for (const width of widths) expect(width).toBeLessThanOrEqual(244);
    await page.close();
  });

  let browser: Browser | null = null;
  afterAll(async () => {
    await browser?.close();
  });
});
