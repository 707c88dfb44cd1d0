import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BadmxError } from '../../src/errors.js';
import { loadRunDocument } from '../../src/document/load-run-document.js';
import { DEMO_RUN, HOSTILE_RUN } from '../helpers/report-fixtures.js';

const demo = JSON.parse(readFileSync(DEMO_RUN, 'utf8')) as Record<string, unknown> & { cells: Record<string, unknown>[] };

function writeRun(content: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'badmx-load-'));
  const file = join(dir, 'run.json');
  writeFileSync(file, content);
  return file;
}

function loadError(path: string): BadmxError {
  try {
    loadRunDocument(path);
  } catch (error) {
    expect(error).toBeInstanceOf(BadmxError);
    return error as BadmxError;
  }
  throw new Error(`${path} loaded`);
}

describe('loading a saved run.json', () => {
  it('reads a run.json, or the run directory holding it, and both fixtures', () => {
    const file = writeRun(JSON.stringify(demo));
    const byFile = loadRunDocument(file);
    const byDir = loadRunDocument(join(file, '..'));
    expect(byFile.file).toBe(file);
    expect(byDir.file).toBe(file);
    expect(byDir.document.cells).toHaveLength(28);
    expect(loadRunDocument(HOSTILE_RUN).document.cells).toHaveLength(42);
  });

  it('a version 1 run reads back with its untested cells inconclusive: no old PASS for a probe nobody saw', () => {
    const cells = demo.cells.map((c, i) =>
      i === 0 ? { ...c, outcome: 'not-attempted', verdict: 'pass', connections: 0, received: null, evidence: [], tls: null, hops: null, message: null } : c,
    );
    const old = { ...demo, schemaVersion: 1, cells, summary: { ...(demo.summary as object), inconclusive: undefined } };
    const { document } = loadRunDocument(writeRun(JSON.stringify(old)));
    expect(document.cells[0]).toMatchObject({ verdict: 'inconclusive', inconclusive: { cause: 'no-attempt' } });
    expect(document.cells[0]?.reason).toMatch(/^not tested: /);
    expect(document.summary.inconclusive).toBe(1);
    expect(document.summary.pass + document.summary.fail + document.summary.inconclusive).toBe(28);
    // the rest is as recorded
    expect(document.cells.slice(1).map((c) => c.verdict)).toEqual(demo.cells.slice(1).map((c) => c.verdict));
  });

  it('keeps fields it does not know (schemaVersion 1 allows pure additions)', () => {
    const extended = { ...demo, futureField: { x: 1 }, cells: demo.cells.map((c) => ({ ...c, hops: null, somethingNew: true })) };
    const { document } = loadRunDocument(writeRun(JSON.stringify(extended)));
    expect((document as unknown as { futureField: unknown }).futureField).toEqual({ x: 1 });
    expect((document.cells[0] as unknown as { somethingNew: unknown }).somethingNew).toBe(true);
  });

  it.each([
    ['a missing file', () => join(tmpdir(), 'no-such-badmx-run.json'), /no-such-badmx-run\.json: no such file or directory/],
    ['a directory without run.json', () => mkdtempSync(join(tmpdir(), 'badmx-empty-')), /badmx-empty-\w+: this directory has no run\.json/],
    ['bad JSON', () => writeRun('{"schemaVersion": 1,'), /run\.json: not valid JSON \(/],
    ['a JSON array', () => writeRun('[]'), /run\.json: not a badmx run\.json/],
    ['no schemaVersion', () => writeRun('{"cells": []}'), /run\.json: no schemaVersion, so not a badmx run\.json/],
    ['an unknown schemaVersion', () => writeRun(JSON.stringify({ ...demo, schemaVersion: 3 })), /run\.json: schemaVersion 3 is not one badmx .* reads \(it reads 1 and 2\)/],
    [
      'a wrong field, named by its path',
      () => writeRun(JSON.stringify({ ...demo, cells: demo.cells.map((c, i) => (i === 3 ? { ...c, verdict: 'maybe' } : c)) })),
      /run\.json: cells\[3\]\.verdict: /,
    ],
    [
      'a cell naming no known sender',
      () => writeRun(JSON.stringify({ ...demo, cells: demo.cells.map((c, i) => (i === 0 ? { ...c, sender: 'ghost' } : c)) })),
      /run\.json: cells\[0\]\.sender: "ghost" is not in senders\[\]/,
    ],
    ['a truncated document', () => writeRun(JSON.stringify({ schemaVersion: 1, tool: demo.tool })), /run\.json: run: /],
  ])('%s is one line naming the file and the problem', (_what, make, pattern) => {
    const error = loadError(make());
    expect(error.code).toBe('ERUN');
    expect(error.message).toMatch(pattern);
    expect(error.message.split('\n')).toHaveLength(1);
  });

  it('a run.json that is a directory entry it cannot read says so', () => {
    const dir = mkdtempSync(join(tmpdir(), 'badmx-load-'));
    mkdirSync(join(dir, 'run.json'));
    const error = loadError(join(dir, 'run.json'));
    expect(error.message).toMatch(/this directory has no run\.json|cannot read/);
  });
});
