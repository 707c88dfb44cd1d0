import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, inject, it } from 'vitest';
import type { RunDocument } from '../../src/run/run-document.js';

const MAIN = join(import.meta.dirname, '../../src/cli/main.ts');
const certsDir = inject('certsDir');

function badmx(args: string[]) {
  return execa('node', ['--import', 'tsx', MAIN, ...args, '--certs', certsDir], { reject: false, timeout: 60_000 });
}

describe('badmx demo and badmx run', () => {
  it('demo: both built-in senders, strict policy, the matrix on stdout, run.json written, exit 0 despite failing cells', async () => {
    const out = mkdtempSync(join(tmpdir(), 'badmx-demo-'));
    const result = await badmx(['demo', '--port-range', '20301', '--out', out]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/receiver\s+builtin:opportunistic\s+builtin:strict/);
    expect(result.stdout).toMatch(/no-starttls\s+FAIL PLAINTEXT\s+PASS refused \(no TLS\)/);
    expect(result.stdout).toMatch(/tls1\.3\s+PASS TLS 1\.3\s+PASS TLS 1\.3/);
    expect(result.stdout).toContain('16 pass, 12 fail');
    expect(result.stderr).toMatch(/builtin:strict: 14\/14 settled/);
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as RunDocument;
    expect(run.summary.fail).toBe(12);
  });

  it('run exits 1 when any cell fails and 0 when every cell passes', async () => {
    const failing = await badmx(['run', '--sender', 'builtin:opportunistic', '--profile', 'tls1.3', 'expired', '--port-range', '20321', '--out', mkdtempSync(join(tmpdir(), 'badmx-'))]);
    expect(failing.exitCode).toBe(1);
    const passing = await badmx(['run', '--sender', 'builtin:strict', '--profile', 'tls1.3', 'expired', '--port-range', '20341', '--out', mkdtempSync(join(tmpdir(), 'badmx-'))]);
    expect(passing.exitCode).toBe(0);
    expect(passing.stdout).toContain('2 pass, 0 fail');
  });

  it('an unreachable relay is a one-line setup error (exit 2), and what was recorded is kept', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    await new Promise<void>((resolve) => blocker.close(() => resolve())); // now nothing listens there
    const out = mkdtempSync(join(tmpdir(), 'badmx-'));
    const result = await badmx(['run', '--sender', `smtp:127.0.0.1:${port}?tls=none`, '--port-range', '20361', '--out', out]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim().split('\n').filter((l) => l.startsWith('badmx: ') && !/receivers ready|sending/.test(l))).toEqual([
      expect.stringMatching(new RegExp(`^badmx: cannot reach relay 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED.* \\(recorded so far: .*run\\.json\\)$`)),
    ]);
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as RunDocument;
    expect(run.run).toMatchObject({ status: 'error' });
    expect(existsSync(join(out, 'events.jsonl'))).toBe(true);
  });

  it('bad flags, an unknown sender and a malformed policy are one-line errors with exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'badmx-'));
    writeFileSync(join(dir, 'policy.json'), '{"name":"x"}');
    for (const args of [
      ['run', '--sender', 'carrier-pigeon:1'],
      ['run'],
      ['run', '--sender', 'builtin:strict', '--wait', 'soon'],
      ['run', '--sender', 'builtin:strict', '--policy', join(dir, 'policy.json')],
      ['run', '--sender', 'builtin:strict', '--sender', 'builtin:strict'],
    ]) {
      const result = await badmx(args);
      expect(result.exitCode, args.join(' ')).toBe(2);
      expect(result.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
  });
});
