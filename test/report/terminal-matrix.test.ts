import { describe, expect, it } from 'vitest';
import { INCONCLUSIVE_GLYPH } from '../../src/report/cell-label.js';
import { renderTerminalMatrix } from '../../src/report/terminal-matrix.js';
import type { Cell, RunDocument } from '../../src/document/run-document.js';
import { HOSTILE, HOSTILE_RUN, loadFixture, MIXED_SUITES_RUN, MTA_STS_RUN } from '../helpers/report-fixtures.js';
import { summarizeCells } from '../../src/document/summarize-cells.js';

function cell(profile: string, overrides: Partial<Cell>): Cell {
  return {
    sender: 'builtin:opportunistic',
    profile,
    probe: { id: `p-${profile}`, recipient: `probe@${profile}.badmx.test`, messageId: `<p-${profile}@probes.badmx.test>` },
    outcome: 'delivered-tls',
    verdict: 'pass',
    reason: 'delivered over TLS 1.3',
    inconclusive: null,
    tls: { version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' },
    alert: null,
    connections: 1,
    firstSeen: null,
    lastSeen: null,
    settled: true,
    settle: { by: 'delivery', waitedMs: 1200, note: 'delivered: nothing left to wait for' },
    submission: null,
    bounces: [],
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

function run(cells: Cell[], diagnosis: string | null = null): RunDocument {
  return {
    schemaVersion: 2,
    tool: { name: 'badmx', version: '0.1.0' },
    run: { id: 'r1', status: 'complete', error: null, startedAt: '', finishedAt: '', zone: 'badmx.test', waitMs: 1000, caFile: '', events: 'events.jsonl', limitsHit: [] },
    policy: { name: 'strict', title: 'Strict', rules: [] },
    profiles: cells.map((c) => ({ name: c.profile }) as RunDocument['profiles'][number]),
    senders: [{ label: 'builtin:opportunistic', spec: 'builtin:opportunistic', kind: 'builtin', notes: [], software: null, window: null, trustsHarnessRoot: true, retries: null, diagnosis }],
    cells,
    summary: summarizeCells(cells),
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

describe('terminal matrix: inconclusive cells', () => {
  const diagnosis = 'delivered to no control profile, so its refusals prove nothing: it connected to the controls but refused their certificate (alert unknown_ca): does it trust /etc/badmx/ca.pem?';
  const untested = (profile: string, overrides: Partial<Cell> = {}): Cell =>
    cell(profile, {
      outcome: 'refused-at-handshake',
      verdict: 'inconclusive',
      tls: null,
      alert: 'unknown_ca',
      reason: `not tested: ${diagnosis}`,
      inconclusive: { cause: 'no-control', detail: diagnosis },
      ...overrides,
    });

  it('reads INCONCLUSIVE in words, counts it in the summary, and prints the sender\'s diagnosis under the matrix', () => {
    const text = renderTerminalMatrix(run([untested('tls1.2'), untested('tls1.3'), cell('no-starttls', { outcome: 'delivered-plaintext', verdict: 'fail', tls: null })], diagnosis));
    expect(text).toMatch(/^tls1\.2\s+INCONCLUSIVE refused \(unknown_ca\)$/m);
    expect(text).toMatch(/^no-starttls\s+FAIL PLAINTEXT$/m);
    expect(text).toContain('\n0 pass, 1 fail, 2 inconclusive\n');
    expect(text).toContain(`INCONCLUSIVE builtin:opportunistic: ${diagnosis}`);
    // the diagnosis is each no-control cell's detail: said once, not once per cell
    expect(text.split(diagnosis)).toHaveLength(2);
    // a word, not a mark: no row carries the caveat marker "?" (nor the Markdown glyph), and no caveat is explained
    for (const row of text.split('\n').filter((l) => /^(tls1\.[23]|no-starttls) /.test(l))) expect(row).not.toMatch(/[?*!]|⊘/);
    expect(text).not.toContain('certificate caveat');
    expect(INCONCLUSIVE_GLYPH).not.toBe('?');
  });

  it('lists each other untested cell with its detail, escaped', () => {
    const detail = 'the sender gave up without contacting the receiver, not for TLS: 5.4.4 evil\u001b[2J';
    const text = renderTerminalMatrix(
      run([untested('tls1.2', { outcome: 'not-attempted', alert: null, inconclusive: { cause: 'bounced-untested', detail }, reason: `not tested: ${detail}` })]),
    );
    expect(text.split('\n').slice(-2)).toEqual([
      'INCONCLUSIVE: not tested in 1 cell(s):',
      '  builtin:opportunistic / tls1.2: the sender gave up without contacting the receiver, not for TLS: 5.4.4 evil\\x1b[2J',
    ]);
    expect(text).not.toContain('\u001b');
  });

  it('has its own colour, neither green nor red', () => {
    const text = renderTerminalMatrix(run([untested('tls1.2'), cell('tls1.3', {})], diagnosis), { colour: true });
    const row = text.split('\n').find((l) => l.startsWith('tls1.2')) ?? '';
    expect(row).toContain('\u001b[33mINCONCLUSIVE refused (unknown_ca)');
    expect(row).not.toContain('\u001b[31m');
    expect(row).not.toContain('\u001b[32m');
    expect(text.split('\n').find((l) => l.startsWith('tls1.3'))).toContain('\u001b[32mPASS');
  });

  it('says nothing of inconclusive when nothing is (the summary stays "N pass, N fail")', () => {
    const text = renderTerminalMatrix(run([cell('tls1.3', {})]));
    expect(text).not.toMatch(/INCONCLUSIVE|inconclusive/);
    expect(text).toContain('\n1 pass, 0 fail');
  });

  it('renders the hostile fixture: every inconclusive cell in words, the diagnosed sender explained', () => {
    const hostile = loadFixture(HOSTILE_RUN);
    const text = renderTerminalMatrix(hostile);
    expect(text.match(/INCONCLUSIVE (?!builtin|vendor)/g)).toHaveLength(hostile.summary.inconclusive);
    expect(text).toContain(`${hostile.summary.pass} pass, ${hostile.summary.fail} fail, ${hostile.summary.inconclusive} inconclusive`);
    expect(text).toContain(`INCONCLUSIVE ${HOSTILE.diagnosedSender}: delivered to no control profile`);
    expect(text).toContain('INCONCLUSIVE: not tested in 3 cell(s):');
    // the bounce's control bytes are shown, not sent to the terminal
    expect(text).toContain('type=A \\x01\\x1b[31mred');
    // eslint-disable-next-line no-control-regex
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/);
  });
});

describe('terminal matrix: capacity limits', () => {
  it('says when a receiver limit was reached during the run, escaped', () => {
    const doc = run([cell('tls1.2', {})]);
    doc.run.limitsHit = ['the event log reached its cap (1024 octets) at 2026-11-30T10:00:00.000Z: after it only evidence was written\u001b[2J'];
    const text = renderTerminalMatrix(doc);
    expect(text).toMatch(/^LIMIT: the event log reached its cap \(1024 octets\)/m);
    expect(text).not.toContain('\u001b[2J');
  });
});

describe('terminal matrix: unsettled cells', () => {
  const note = 'no retry seen within the 1 min --wait; a relay that queues may still deliver later (state its retries with ?retries=)';
  const unsettled = (profile: string, overrides: Partial<Cell> = {}): Cell =>
    cell(profile, {
      outcome: 'refused-at-handshake',
      tls: null,
      alert: 'handshake_failure',
      settled: false,
      settle: { by: null, waitedMs: 60_000, note },
      ...overrides,
    });

  it('marks each with "*" and says below how long was waited and why, cells that say the same on one line', () => {
    const other = 'the run was interrupted\u001b[2J';
    const text = renderTerminalMatrix(
      run([unsettled('handshake-failure'), unsettled('expired'), unsettled('self-signed', { settle: { by: null, waitedMs: 12_500, note: other } }), cell('tls1.3', {})]),
    );
    expect(text).toMatch(/^handshake-failure\s+PASS refused \(handshake_failure\)\*$/m);
    expect(text).toContain('3 unsettled (*: the deadline came first)');
    expect(text.split('\n').slice(-3)).toEqual([
      '* unsettled in 3 cell(s):',
      `  builtin:opportunistic / handshake-failure, expired: waited 1 min: ${note}`,
      '  builtin:opportunistic / self-signed: waited 12.5 s: the run was interrupted\\x1b[2J',
    ]);
    expect(text).not.toContain('\u001b');
  });

  it('says nothing of waits when every cell settled', () => {
    expect(renderTerminalMatrix(run([cell('tls1.3', {})]))).not.toMatch(/unsettled|waited/);
  });

  it('a run from before the wait was recorded: the deadline came first, and that the run did not say more', () => {
    const text = renderTerminalMatrix(loadFixture(HOSTILE_RUN));
    expect(text).toMatch(/^\* unsettled in 5 cell\(s\):$/m);
    expect(text).toMatch(/^ {2}vendor .*: the deadline came first: recorded by a badmx that did not say what settled a cell$/m);
  });
});

describe('terminal matrix: profiles grouped by suite', () => {
  it('a run of both suites: a heading per suite, the study\'s first, and what each receiver is', () => {
    const text = renderTerminalMatrix(loadFixture(MIXED_SUITES_RUN));
    const lines = text.split('\n');
    expect(lines[2]).toMatch(/^receiver\s+builtin:mta-sts\s+builtin:opportunistic\s+what it is$/);
    const start = lines.indexOf("The study's receivers:");
    expect(start).toBe(4);
    expect(lines.slice(start + 1, start + 4).map((l) => l.split(/\s{2,}/)[0])).toEqual(['no-starttls', 'tls1.3', 'self-signed']);
    expect(lines[start + 4]).toBe('');
    expect(lines[start + 5]).toBe('Receivers that declare a policy: MTA-STS (RFC 8461):');
    expect(lines[start + 6]).toMatch(/^sts-enforce-valid\s+PASS TLS 1\.3\s+PASS TLS 1\.3\s+MTA-STS enforce, MX meets it$/);
    expect(lines[start + 7]).toMatch(/^sts-enforce-self-signed\s+PASS refused \(handshake\)\s+FAIL TLS 1\.3\s+MTA-STS enforce, self-signed certificate$/);
    expect(text).toContain('\n11 pass, 1 fail\n');
  });

  it('a run of the MTA-STS suite alone: its heading, and who sent TLS reports and who never did', () => {
    const text = renderTerminalMatrix(loadFixture(MTA_STS_RUN));
    expect(text).not.toContain("The study's receivers");
    expect(text).toContain('\nReceivers that declare a policy: MTA-STS (RFC 8461):\nsts-enforce-valid ');
    expect(text.split('\n').at(-1)).toBe(
      'TLS reports (RFC 8460): builtin:mta-sts sent 16 TLS reports (7 by HTTPS POST, 9 by mail) about 9 of the 9 domains that ask for them; builtin:opportunistic sent no TLS report',
    );
  });

  it('colours the verdicts, not the titles; a title from run.json cannot reach the terminal raw', () => {
    const doc = loadFixture(MTA_STS_RUN);
    doc.profiles = doc.profiles.map((p) => (p.name === 'sts-enforce-valid' ? { ...p, title: 'valid\u001b[2J' } : p));
    const text = renderTerminalMatrix(doc, { colour: true });
    const row = text.split('\n').find((l) => l.startsWith('sts-enforce-valid')) ?? '';
    expect(row).toContain('\u001b[32mPASS TLS 1.3');
    expect(row).toMatch(/ valid\\x1b\[2J$/);
    expect(row).not.toContain('\u001b[2J');
  });

  it('a run of the study\'s profiles alone has neither headings nor the title column', () => {
    const text = renderTerminalMatrix(loadFixture(HOSTILE_RUN));
    expect(text).not.toMatch(/what it is|receivers:|TLS reports/);
  });
});
