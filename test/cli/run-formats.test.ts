import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInProcess } from '../helpers/cli.js';
import { describe, expect, inject, it } from 'vitest';
import { parseXml } from '../helpers/xml.js';
import { testNet } from '../helpers/net-plan.js';

const certsDir = inject('certsDir');

function badmx(args: string[], env: Record<string, string> = {}) {
  return runInProcess([...args, '--certs', certsDir], { env });
}

describe('badmx demo and run --format', () => {
  it('demo writes run.json plus html, svg and md by default, and prints each path', async () => {
    const out = mkdtempSync(join(tmpdir(), 'badmx-formats-'));
    const result = await badmx(['demo', '--port-range', '24601', '--address', testNet('cli/run-formats').host(1), '--out', out]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout.split('\n').slice(-4)).toEqual([
      `json: ${join(out, 'run.json')}`,
      `html: ${join(out, 'report.html')}`,
      `svg: ${join(out, 'infographic.svg')}`,
      `md: ${join(out, 'report.md')}`,
    ]);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html.match(/data-cell=""/g)).toHaveLength(28);
  });

  it('--format picks the formats; junit reflects the run', async () => {
    const out = mkdtempSync(join(tmpdir(), 'badmx-formats-'));
    const result = await badmx(['run', '--sender', 'builtin:opportunistic', '--profile', 'tls1.3', 'no-starttls', '--port-range', '24621', '--address', testNet('cli/run-formats').host(1), '--format', 'junit,csv', '--out', out]);
    expect(result.exitCode).toBe(1);
    expect(readdirSync(out).filter((f) => !['events.jsonl', 'messages', 'run-state.jsonl'].includes(f)).sort()).toEqual(['cells.csv', 'junit.xml', 'run.json']);
    const junit = parseXml(readFileSync(join(out, 'junit.xml'), 'utf8'));
    expect(junit.attributes).toMatchObject({ tests: '2', failures: '1' });
  });

  it('an unknown format, or pdf with no Chromium, is refused before the run starts (exit 2, one line)', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'badmx-formats-')), 'run');
    const unknown = await badmx(['demo', '--port-range', '24641', '--address', testNet('cli/run-formats').host(1), '--format', 'html,docx', '--out', out]);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr.split('\n')).toEqual(['badmx: unknown format "docx" in --format: known formats are json, html, pdf, svg, png, md, junit, csv']);
    const bin = mkdtempSync(join(tmpdir(), 'badmx-bin-'));
    mkdirSync(join(bin, 'only'));
    symlinkSync(process.execPath, join(bin, 'only', 'node'));
    const pdf = await badmx(['demo', '--port-range', '24641', '--address', testNet('cli/run-formats').host(1), '--format', 'pdf', '--out', out], { PATH: join(bin, 'only'), BADMX_CHROMIUM: '' });
    expect(pdf.exitCode).toBe(2);
    expect(pdf.stderr.split('\n')).toEqual([expect.stringMatching(/^badmx: --format pdf: PDF needs Chromium/)]);
    expect(existsSync(out)).toBe(false);
  });
});
