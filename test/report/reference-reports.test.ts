import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRunDocument } from '../../src/document/load-run-document.js';
import { renderHtmlReport } from '../../src/report/html-report.js';
import { renderMarkdownTable } from '../../src/report/markdown-table.js';
import { buildMatrix } from '../../src/report/matrix-model.js';
import { renderSvgInfographic } from '../../src/report/svg-infographic.js';

const ROOT = join(import.meta.dirname, '../..');

describe('the committed reference reports', () => {
  // What npm run reference wrote is what the renderers make of its run.json, byte for byte.
  // After an intended change to a renderer: node dist/cli/bin.js report reports/reference --format html,svg,md
  // (and the same for reports/reference-mta-sts).
  it.each([
    ['reports/reference', true],
    ['reports/reference-mta-sts', true],
  ])('re-render byte for byte from %s/run.json (grouped by suite: %s)', (dir, bySuite) => {
    const run = loadRunDocument(join(ROOT, dir, 'run.json')).document;
    expect(buildMatrix(run).bySuite).toBe(bySuite);
    expect(renderHtmlReport(run)).toBe(readFileSync(join(ROOT, dir, 'report.html'), 'utf8'));
    expect(renderMarkdownTable(run)).toBe(readFileSync(join(ROOT, dir, 'report.md'), 'utf8'));
    expect(renderSvgInfographic(run)).toBe(readFileSync(join(ROOT, dir, 'infographic.svg'), 'utf8'));
  });
});
