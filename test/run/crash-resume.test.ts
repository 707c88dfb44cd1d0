import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, inject, it } from 'vitest';
import type { RunDocument } from '../../src/document/run-document.js';
import { BIN, ensureBuilt } from '../helpers/cli.js';
import { testNet } from '../helpers/net-plan.js';

// The built bin, a real process: what is tested here needs one (namespaces, signals, dropping root, kill -9).

const MAIN = BIN;

ensureBuilt();
const DELIVER = join(import.meta.dirname, 'fixtures/deliver-and-hang.ts');
const FIRST_PORT = 20461; // tls1.2 (slot 6) listens on FIRST_PORT + 5

async function until(check: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('kill -9 at the worst moment', () => {
  it('right after the receiver accepted the probe, before the journal heard back: --resume never sends it again', async () => {
    const out = mkdtempSync(join(tmpdir(), 'badmx-crash-'));
    const calls = join(out, 'calls.log');
    const args = [MAIN];
    const spec = `command:node --import tsx ${DELIVER} ${testNet('run/crash-resume').host(1)} ${FIRST_PORT + 5} ${calls}`;
    const child = execa('node', [...args, 'run', '--sender', spec, '--profile', 'tls1.2', '--port-range', String(FIRST_PORT), '--address', testNet('run/crash-resume').host(1), '--wait', '30s', '--out', out, '--certs', inject('certsDir'), '--format', 'json'], { reject: false });
    const events = join(out, 'events.jsonl');
    await until(() => existsSync(events) && readFileSync(events, 'utf8').includes('"type":"data"'), 20_000);
    child.kill('SIGKILL');
    await child;
    const journal = readFileSync(join(out, 'run-state.jsonl'), 'utf8');
    // The worst moment indeed: handed over and delivered, no answer journaled.
    expect(journal).toContain('"type":"submitting"');
    expect(journal).not.toContain('"type":"submitted"');

    const resumed = await execa('node', [...args, 'run', '--resume', out, '--format', 'json'], { reject: false });
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    expect(readFileSync(calls, 'utf8').trim().split('\n')).toHaveLength(1);
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as RunDocument;
    const cell = run.cells[0]!;
    expect(cell).toMatchObject({ outcome: 'delivered-tls', verdict: 'pass', settled: true });
    expect(cell.submission?.detail).toMatch(/taken before the run was interrupted: the receivers hold its delivery; not sent again/);
    expect(cell.evidence.filter((c) => c.data?.accepted)).toHaveLength(1);
  }, 60_000);
});
