import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderJsonDocument } from '../../src/report/json-document.js';
import { loadRunDocument } from '../../src/run/load-run-document.js';
import { DEMO_RUN, HOSTILE_RUN, loadFixture } from '../helpers/report-fixtures.js';

describe('the JSON document', () => {
  it('is run.json byte for byte: loading and re-rendering a run changes nothing', () => {
    for (const file of [DEMO_RUN, HOSTILE_RUN]) expect(renderJsonDocument(loadFixture(file))).toBe(readFileSync(file, 'utf8'));
  });

  it('loads back as the same document', () => {
    const run = loadFixture(HOSTILE_RUN);
    const file = join(mkdtempSync(join(tmpdir(), 'badmx-json-')), 'run.json');
    writeFileSync(file, renderJsonDocument(run));
    expect(loadRunDocument(file).document).toEqual(run);
  });
});
