import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, inject, it } from 'vitest';
import * as badmx from '../../src/index.js';
import { testNet } from '../helpers/net-plan.js';

const ROOT = join(import.meta.dirname, '../..');

describe('badmx as a library', () => {
  it('the package root resolves to the built API, with types, and importing it starts nothing', async () => {
    // A self-reference through package.json "exports", as a consumer's import resolves it.
    const script = "const m = await import('badmx'); console.log(Object.keys(m).sort().join(' ')); console.log(String(process.exitCode));";
    const result = await execa('node', ['--input-type=module', '-e', script], { cwd: ROOT, reject: false, timeout: 30_000 });
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    const [names = '', exitCode] = result.stdout.split('\n');
    for (const name of ['startFleet', 'runMatrix', 'loadRun', 'renderReport', 'evaluate', 'judgeCell', 'parseSenderSpec', 'loadPolicy', 'loadCatalogue']) {
      expect(names.split(' '), name).toContain(name);
    }
    // The CLI did not run on import: no exit status was set, nothing was printed.
    expect(exitCode).toBe('undefined');
    // Declarations ship beside it, where package.json's "types" points.
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: { '.': { types: string } } };
    const types = readFileSync(join(ROOT, pkg.exports['.'].types), 'utf8');
    for (const name of ['runMatrix', 'startFleet', 'loadRun', 'renderReport', 'RunDocument']) expect(types, name).toContain(name);
  });

  it('runMatrix, loadRun and renderReport: a matrix from code, read back and rendered', async () => {
    const out = mkdtempSync(join(tmpdir(), 'badmx-api-'));
    const run = await badmx.runMatrix({
      senders: [badmx.parseSenderSpec('builtin:strict')],
      policy: badmx.loadPolicy('strict'),
      profiles: badmx.selectProfiles(badmx.loadCatalogue(), ['tls1.2', 'expired']),
      zone: badmx.DEFAULT_ZONE,
      certsDir: inject('certsDir'),
      addressing: { kind: 'per-profile', base: testNet('library/api').base, port: 10025 },
      outDir: out,
      waitMs: 10_000,
    });
    expect(run.cells.map((c) => [c.profile, c.verdict])).toEqual([
      ['tls1.2', 'pass'],
      ['expired', 'pass'],
    ]);
    const loaded = badmx.loadRun(out);
    expect(loaded.summary).toEqual(run.summary);
    const md = await badmx.renderReport(loaded, 'md');
    expect(String(md)).toContain('2 pass, 0 fail');
    await expect(badmx.renderReport(loaded, 'docx')).rejects.toThrow(/"docx" is not a report format: use json, html/);
  }, 60_000);
});
