import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInProcess } from '../helpers/cli.js';
import { describe, expect, it } from 'vitest';
import { DEMO_RUN, HOSTILE_RUN } from '../helpers/report-fixtures.js';
import { parseXml } from '../helpers/xml.js';


function badmx(args: string[], env: Record<string, string> = {}) {
  return runInProcess(args, { env });
}

/** A run directory holding a copy of a fixture as run.json. */
function runDir(fixture = DEMO_RUN): string {
  const dir = mkdtempSync(join(tmpdir(), 'badmx-report-cli-'));
  copyFileSync(fixture, join(dir, 'run.json'));
  return dir;
}

describe('badmx report', () => {
  it('re-renders a saved run next to its run.json by default (html, svg, md), printing each path', async () => {
    const dir = runDir();
    const result = await badmx(['report', dir]);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout.split('\n')).toEqual([`html: ${join(dir, 'report.html')}`, `svg: ${join(dir, 'infographic.svg')}`, `md: ${join(dir, 'report.md')}`]);
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toMatch(/^<!DOCTYPE html>/);
    parseXml(readFileSync(join(dir, 'infographic.svg'), 'utf8'));
  });

  it('--format and --out pick the formats and the directory; json in place leaves the source alone', async () => {
    const dir = runDir(HOSTILE_RUN);
    const out = join(dir, 'out');
    const result = await badmx(['report', join(dir, 'run.json'), '--format', 'junit,csv,json', '--out', out]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout.split('\n')).toEqual([`json: ${join(out, 'run.json')}`, `junit: ${join(out, 'junit.xml')}`, `csv: ${join(out, 'cells.csv')}`]);
    expect(readFileSync(join(out, 'run.json'), 'utf8')).toBe(readFileSync(HOSTILE_RUN, 'utf8'));
    expect(parseXml(readFileSync(join(out, 'junit.xml'), 'utf8')).attributes.tests).toBe('42');

    const before = statSync(join(dir, 'run.json')).mtimeMs;
    const inPlace = await badmx(['report', dir, '--format', 'json']);
    expect(inPlace.exitCode).toBe(0);
    expect(inPlace.stdout).toBe(`json: ${join(dir, 'run.json')}`);
    expect(statSync(join(dir, 'run.json')).mtimeMs).toBe(before);
  });

  it.each([
    [['--format', 'html,docx'], /^badmx: unknown format "docx" in --format: known formats are json, html, pdf, svg, png, md, junit, csv$/],
    [[], /^badmx: .*run-missing: no such file or directory \(give a run\.json or the run directory holding it\)$/],
  ])('a usage mistake is one line on stderr and exit 2 (%j)', async (extra, message) => {
    const result = await badmx(['report', join(tmpdir(), 'run-missing'), ...extra]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr.split('\n')).toEqual([expect.stringMatching(message)]);
    expect(result.stdout).toBe('');
  });

  it('bad JSON and an unknown schemaVersion are one line naming the file, exit 2, nothing written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'badmx-report-cli-'));
    writeFileSync(join(dir, 'broken.json'), '{"schemaVersion": 1, "run": ');
    writeFileSync(join(dir, 'future.json'), JSON.stringify({ schemaVersion: 7 }));
    const broken = await badmx(['report', join(dir, 'broken.json'), '--format', 'html']);
    expect(broken.exitCode).toBe(2);
    expect(broken.stderr).toMatch(/^badmx: .*broken\.json: not valid JSON \([^\n]*\)\n?$/);
    const future = await badmx(['report', join(dir, 'future.json'), '--format', 'html']);
    expect(future.exitCode).toBe(2);
    expect(future.stderr).toMatch(/^badmx: .*future\.json: schemaVersion 7 is not one badmx \S+ reads \(it reads 1 and 2\); use the badmx that wrote it\n?$/);
    expect(existsSync(join(dir, 'report.html'))).toBe(false);
  });

  it('pdf without Chromium: one line saying what to install, exit 2, and the other formats (png needs no program) are still written', async () => {
    const dir = runDir();
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    symlinkSync(process.execPath, join(bin, 'node'));
    const result = await badmx(['report', dir, '--format', 'html,pdf,png,csv'], { PATH: bin, BADMX_CHROMIUM: '' });
    expect(result.exitCode).toBe(2);
    expect(result.stderr.split('\n')).toEqual([expect.stringMatching(/^badmx: pdf: not written: PDF needs Chromium: set BADMX_CHROMIUM to its path, or put chromium on PATH \(Debian\/Ubuntu: apt-get install chromium\);/)]);
    expect(result.stdout.split('\n')).toEqual([`html: ${join(dir, 'report.html')}`, `png: ${join(dir, 'infographic.png')}`, `csv: ${join(dir, 'cells.csv')}`]);
    expect(existsSync(join(dir, 'report.pdf'))).toBe(false);
  });
});
