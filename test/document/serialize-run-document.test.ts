import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRunDocument } from '../../src/document/load-run-document.js';
import { RUN_DOCUMENT_FILE, serializeRunDocument } from '../../src/document/serialize-run-document.js';
import { jsonDocument } from '../../src/report/json-document.js';
import { DEMO_RUN, HOSTILE_RUN, loadFixture } from '../helpers/report-fixtures.js';

describe('the JSON document', () => {
  it('is run.json byte for byte: loading and re-serializing a run changes nothing', () => {
    for (const file of [DEMO_RUN, HOSTILE_RUN]) expect(serializeRunDocument(loadFixture(file))).toBe(readFileSync(file, 'utf8'));
  });

  it('loads back as the same document', () => {
    const run = loadFixture(HOSTILE_RUN);
    const file = join(mkdtempSync(join(tmpdir(), 'badmx-json-')), RUN_DOCUMENT_FILE);
    writeFileSync(file, serializeRunDocument(run));
    expect(loadRunDocument(file).document).toEqual(run);
  });

  it('is what the json report format renders, under the same file name', async () => {
    const run = loadFixture(DEMO_RUN);
    expect(jsonDocument.fileName).toBe(RUN_DOCUMENT_FILE);
    expect(await jsonDocument.render(run)).toBe(serializeRunDocument(run));
  });
});
