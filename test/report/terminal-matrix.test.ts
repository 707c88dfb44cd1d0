import { describe, expect, it } from 'vitest';
import { renderTerminalMatrix } from '../../src/report/terminal-matrix.js';
import type { Cell, RunDocument } from '../../src/run/run-document.js';

function cell(profile: string, overrides: Partial<Cell>): Cell {
  return {
    sender: 'builtin:opportunistic',
    profile,
    probe: { id: `p-${profile}`, recipient: `probe@${profile}.badmx.test`, messageId: `<p-${profile}@probes.badmx.test>` },
    outcome: 'delivered-tls',
    verdict: 'pass',
    reason: 'delivered over TLS 1.3',
    tls: { version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' },
    alert: null,
    connections: 1,
    firstSeen: null,
    lastSeen: null,
    settled: true,
    submission: null,
    received: null,
    message: null,
    hops: null,
    evidenceMismatch: null,
    caveat: null,
    evidence: [],
    misdirected: 0,
    ...overrides,
  };
}

function run(cells: Cell[]): RunDocument {
  return {
    schemaVersion: 1,
    tool: { name: 'badmx', version: '0.1.0' },
    run: { id: 'r1', status: 'complete', error: null, startedAt: '', finishedAt: '', zone: 'badmx.test', waitMs: 1000, caFile: '', events: 'events.jsonl' },
    policy: { name: 'strict', title: 'Strict', rules: [] },
    profiles: cells.map((c) => ({ name: c.profile }) as RunDocument['profiles'][number]),
    senders: [{ label: 'builtin:opportunistic', spec: 'builtin:opportunistic', kind: 'builtin', notes: [], software: null, window: null, trustsHarnessRoot: true }],
    cells,
    summary: { cells: cells.length, pass: cells.length, fail: 0, unsettled: 0 },
    stray: { connections: 0 },
    schedule: { mode: 'parallel', address: null, steps: [], resumes: [] },
  };
}

describe('terminal matrix: evidence mismatches', () => {
  it('marks a cell whose Received stamp disagrees with its session with "!" and explains it below', () => {
    const text = renderTerminalMatrix(
      run([
        cell('tls1.2', {}),
        cell('tls1.3', { evidenceMismatch: 'Received by mx.tls1.3.badmx.test says TLSv1.2 but the session negotiated TLSv1.3' }),
      ]),
    );
    expect(text).toMatch(/^tls1\.2\s+PASS TLS 1\.3$/m);
    expect(text).toMatch(/^tls1\.3\s+PASS TLS 1\.3!$/m);
    expect(text.split('\n').slice(-2)).toEqual([
      '! evidence mismatch in 1 cell(s):',
      '  builtin:opportunistic / tls1.3: Received by mx.tls1.3.badmx.test says TLSv1.2 but the session negotiated TLSv1.3',
    ]);
  });

  it('says nothing when the evidence agrees, and escapes control characters a foreign host name could carry', () => {
    expect(renderTerminalMatrix(run([cell('tls1.3', {})]))).not.toMatch(/!|mismatch/);
    const text = renderTerminalMatrix(run([cell('tls1.3', { evidenceMismatch: 'the newest Received field is by evil\u001b[2Jhost, not by the receiver mx' })]));
    expect(text).toContain('evil\\x1b[2Jhost');
    expect(text).not.toContain('\u001b');
  });
});

describe('terminal matrix: certificate caveats', () => {
  it('marks a cell whose verdict rests on an untrusted test root with "?" and explains it below', () => {
    const caveat = 'the certificate chains to the badmx test root, which this sender cannot be expected to trust: refusing it is correct behaviour';
    const text = renderTerminalMatrix(
      run([cell('tls1.2', { outcome: 'refused-at-handshake', verdict: 'fail', tls: null, alert: 'unknown_ca', caveat }), cell('tls1.3', {})]),
    );
    expect(text).toMatch(/^tls1\.2\s+FAIL refused \(unknown_ca\)\?$/m);
    expect(text).toMatch(/^tls1\.3\s+PASS TLS 1\.3$/m);
    expect(text.split('\n').slice(-2)).toEqual(['? certificate caveat in 1 cell(s):', `  builtin:opportunistic / tls1.2: ${caveat}`]);
  });

  it('says nothing without caveats (local mode)', () => {
    expect(renderTerminalMatrix(run([cell('tls1.3', {})]))).not.toMatch(/\?|caveat/);
  });
});
