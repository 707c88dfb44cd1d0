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
  // (and the same for reports/reference-mta-sts and reports/reference-dane).
  it.each([
    ['reports/reference', true],
    ['reports/reference-mta-sts', true],
    ['reports/reference-dane', true],
  ])('re-render byte for byte from %s/run.json (grouped by suite: %s)', (dir, bySuite) => {
    const run = loadRunDocument(join(ROOT, dir, 'run.json')).document;
    expect(buildMatrix(run).bySuite).toBe(bySuite);
    expect(renderHtmlReport(run)).toBe(readFileSync(join(ROOT, dir, 'report.html'), 'utf8'));
    expect(renderMarkdownTable(run)).toBe(readFileSync(join(ROOT, dir, 'report.md'), 'utf8'));
    expect(renderSvgInfographic(run)).toBe(readFileSync(join(ROOT, dir, 'infographic.svg'), 'utf8'));
  });
});

describe('the committed DANE reference (npm run reference)', () => {
  const run = loadRunDocument(join(ROOT, 'reports/reference-dane/run.json')).document;
  const daneSenders = ['postfix:dane', 'exim:dane', 'builtin:dane'];

  it('only the DANE senders pass all eight, and only they ever asked for a TLSA record', () => {
    for (const sender of run.senders) {
      const cells = run.cells.filter((c) => c.sender === sender.label);
      expect(cells, sender.label).toHaveLength(8);
      const allPass = cells.every((c) => c.verdict === 'pass');
      expect(allPass, sender.label).toBe(daneSenders.includes(sender.label));
      const asked = cells.flatMap((c) => c.tlsaQueries ?? []).filter((q) => q.by === 'sender').length;
      if (daneSenders.includes(sender.label)) expect(asked, sender.label).toBeGreaterThan(0);
      else expect(cells.flatMap((c) => c.tlsaQueries ?? []), sender.label).toEqual([]);
    }
  });

  it('every DANE profile carries the records it published and the certificate it presented', () => {
    for (const profile of run.profiles) {
      expect(profile.tlsa?.records.length, profile.name).toBe(1);
      expect(profile.tlsa?.presented?.spkiSha256, profile.name).toMatch(/^[0-9a-f]{64}$/);
    }
  });
});
