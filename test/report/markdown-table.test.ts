import { describe, expect, it } from 'vitest';
import { markdownText, renderMarkdownTable } from '../../src/report/markdown-table.js';
import type { RunDocument } from '../../src/run/run-document.js';
import { DEMO_RUN, HOSTILE, HOSTILE_RUN, loadFixture } from '../helpers/report-fixtures.js';

const demo = loadFixture(DEMO_RUN);
const hostile = loadFixture(HOSTILE_RUN);

/** A GFM table row's cells: split on pipes that are not backslash-escaped. */
function cells(row: string): string[] {
  return row
    .trim()
    .replace(/^\||\|$/g, '')
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());
}

function tableRows(markdown: string): string[] {
  return markdown.split('\n').filter((line) => line.startsWith('|'));
}

describe('the Markdown table', () => {
  it.each([
    ['demo', demo],
    ['hostile', hostile],
  ])('%s: a header, a separator and one row per profile, each with a cell per sender', (_name, run: RunDocument) => {
    const rows = tableRows(renderMarkdownTable(run));
    expect(rows).toHaveLength(run.profiles.length + 2);
    expect(rows[1]).toMatch(/^\|---(\|---)+\|$/);
    for (const row of rows) expect(cells(row)).toHaveLength(run.senders.length + 1);
    const body = rows.slice(2);
    expect(body.filter((r) => r.includes('✘ FAIL'))).not.toHaveLength(0);
    expect(body.join('\n').match(/✘ FAIL/g)).toHaveLength(run.summary.fail);
    expect(body.join('\n').match(/✔ PASS/g)).toHaveLength(run.summary.pass);
  });

  it('reads like the terminal matrix: verdict word, outcome, how', () => {
    const rows = tableRows(renderMarkdownTable(demo));
    expect(rows[0]).toBe('| Receiver | builtin:opportunistic | builtin:strict |');
    expect(cells(rows.find((r) => r.includes('starttls-454')) ?? '')).toEqual([
      '**STARTTLS refused (454)** · starttls-454 · expected: do not deliver',
      '✘ FAIL Downgraded → plaintext (after STARTTLS 454)',
      '✔ PASS Refused (no usable STARTTLS)',
    ]);
    expect(cells(rows.find((r) => r.includes('tls1.0')) ?? '')).toEqual(['**TLS 1.0 only** · tls1.0 · expected: do not deliver', '✘ FAIL TLS 1.0', '✔ PASS Refused (alert protocol_version)']);
  });

  it('has a summary line, a legend, the senders with their notes, and why each failing cell failed', () => {
    const md = renderMarkdownTable(demo);
    expect(md).toContain('**16 pass, 12 fail** of 28 cells.');
    expect(md).toMatch(/^Legend: ✔ PASS: .*✘ FAIL: it did not\./m);
    expect(md).toContain('- builtin:strict (built-in sender, `builtin:strict`): STARTTLS required, TLS 1.2 and up');
    expect(md).toContain('<details><summary>Why the 12 failing cells failed</summary>');
    expect(md.match(/^- builtin:opportunistic × /gm)).toHaveLength(12);
  });

  it('escapes pipes, markup and line breaks from run.json, and marks unsettled cells', () => {
    const md = renderMarkdownTable(hostile);
    expect(tableRows(md)[0]).toContain('vendor "relay" \\| \\<b\\>x\\</b\\>, 1');
    // every "<" from run.json is backslash-escaped, so none can open raw HTML (only the report's own <details> may)
    expect(md).not.toMatch(/(?<!\\)<(?!\/?details>|\/?summary>)/);
    expect(md).toContain('Strict (the HIPAA reading) &amp; \\<em\\>no\\</em\\> plaintext');
    // the reason with a line break stays on its bullet's line
    expect(md).toContain('no-starttls: delivered in plaintext, but must not deliver: "quoted", comma \\| pipe second line');
    expect(md).toContain('**24 pass, 18 fail** of 42 cells; 8 unsettled.');
    expect(tableRows(md).join('\n').match(/ \\\*/g)).toHaveLength(hostile.summary.unsettled);
    expect(md).toContain('\\*: unsettled, the deadline came before the sender had finished.');
  });

  it('markdownText leaves plain words alone and neutralizes what would become markup', () => {
    expect(markdownText('TLS 1.3 delivered')).toBe('TLS 1.3 delivered');
    expect(markdownText('handshake_failure')).toBe('handshake_failure');
    expect(markdownText('_x_ *y* [a](b) `c` ~d~ <i>&lt;')).toBe('\\_x\\_ \\*y\\* \\[a\\](b) \\`c\\` \\~d\\~ \\<i\\>&amp;lt;');
    expect(markdownText(HOSTILE.controlHelo)).toBe('evil\\\\x01\\\\x1b\\[31mred');
  });
});

describe('markdown table: certificate caveats', () => {
  it('marks a caveated cell with ⚠ and lists its caveat, escaped; nothing without caveats', () => {
    expect(renderMarkdownTable(demo)).not.toContain('⚠');
    const caveat = 'chains to the badmx test root | not *trusted*';
    const run: RunDocument = { ...demo, cells: demo.cells.map((c) => (c.profile === 'tls1.2' && c.sender === 'builtin:strict' ? { ...c, caveat } : c)) };
    const markdown = renderMarkdownTable(run);
    const row = tableRows(markdown).find((line) => line.includes('tls1.2')) ?? '';
    expect(cells(row)[2]).toMatch(/ ⚠$/);
    expect(cells(row)[1]).not.toContain('⚠');
    expect(markdown).toContain('- builtin:strict × tls1.2: chains to the badmx test root \\| not \\*trusted\\*');
  });
});
