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
  // A run of the study's profiles alone renders as it did before suites: byte for byte what reports/reference/ holds.
  // After an intended change to a renderer: node dist/cli/bin.js report reports/reference --format html,svg,md
  it('re-render byte for byte from reports/reference/run.json', () => {
    const run = loadRunDocument(join(ROOT, 'reports/reference/run.json')).document;
    expect(buildMatrix(run).bySuite).toBe(false);
    expect(renderHtmlReport(run)).toBe(readFileSync(join(ROOT, 'reports/reference/report.html'), 'utf8'));
    expect(renderMarkdownTable(run)).toBe(readFileSync(join(ROOT, 'reports/reference/report.md'), 'utf8'));
    expect(renderSvgInfographic(run)).toBe(readFileSync(join(ROOT, 'reports/reference/infographic.svg'), 'utf8'));
  });
});
