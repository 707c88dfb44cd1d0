import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeResult, renderAll } from '../../src/report/render-all.js';
import type { Renderer } from '../../src/report/renderer.js';
import { DEMO_RUN, loadFixture } from '../helpers/report-fixtures.js';

const ok = (name: string): Renderer => ({ name, fileName: `${name}.txt`, description: name, render: (run) => `${name} ${run.run.id}\n` });

describe('renderAll, the multiplexer', () => {
  it('a renderer that throws costs only its own file: the others are written, the failure is one line', async () => {
    const run = loadFixture(DEMO_RUN);
    const dir = mkdtempSync(join(tmpdir(), 'badmx-render-'));
    const throwsSync: Renderer = {
      name: 'boom',
      fileName: 'boom.txt',
      description: 'throws',
      render: () => {
        throw new Error('cannot draw this\n  at somewhere (file.ts:1:1)');
      },
    };
    const rejects: Renderer = { name: 'later', fileName: 'later.bin', description: 'rejects', render: () => Promise.reject(new Error('converter exited 1')) };
    const bytes: Renderer = { name: 'bytes', fileName: 'bytes.bin', description: 'binary', render: () => Promise.resolve(new Uint8Array([0x89, 0x50, 0x4e, 0x47])) };

    const results = await renderAll(run, [ok('first'), throwsSync, rejects, bytes, ok('last')], dir);

    expect(results.map((r) => [r.format, r.ok])).toEqual([
      ['first', true],
      ['boom', false],
      ['later', false],
      ['bytes', true],
      ['last', true],
    ]);
    expect(results.map(describeResult)[1]).toBe('boom: not written: cannot draw this at somewhere (file.ts:1:1)');
    expect(results.map(describeResult)[2]).toBe('later: not written: converter exited 1');
    expect(readFileSync(join(dir, 'first.txt'), 'utf8')).toBe(`first ${run.run.id}\n`);
    expect([...readFileSync(join(dir, 'bytes.bin'))]).toEqual([0x89, 0x50, 0x4e, 0x47]);
    expect(readFileSync(join(dir, 'last.txt'), 'utf8')).toBe(`last ${run.run.id}\n`);
    // Nothing half-written: no file for the failures, no temp files left.
    expect(readdirSync(dir).sort()).toEqual(['bytes.bin', 'first.txt', 'last.txt']);
  });

  it('a file that cannot be written is isolated the same way, and leaves no temp file', async () => {
    const run = loadFixture(DEMO_RUN);
    const dir = mkdtempSync(join(tmpdir(), 'badmx-render-'));
    const unwritable: Renderer = { name: 'nowhere', fileName: 'missing-subdir/x.txt', description: 'bad path', render: () => 'x' };
    const results = await renderAll(run, [unwritable, ok('after')], dir);
    expect(results[0]).toMatchObject({ format: 'nowhere', ok: false, error: expect.stringMatching(/ENOENT/) as unknown });
    expect(results[1]).toMatchObject({ format: 'after', ok: true });
    expect(existsSync(join(dir, 'missing-subdir'))).toBe(false);
    expect(readdirSync(dir)).toEqual(['after.txt']);
  });

  it('creates the output directory', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'badmx-render-')), 'a', 'b');
    const [result] = await renderAll(loadFixture(DEMO_RUN), [ok('one')], dir);
    expect(result).toMatchObject({ ok: true, file: join(dir, 'one.txt') });
  });
});
