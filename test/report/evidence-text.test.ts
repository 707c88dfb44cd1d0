import { describe, expect, it } from 'vitest';
import { settleLine, settleWords, unsettledGroups, unsettledWait } from '../../src/report/cell-label.js';
import { cellEvidenceLines } from '../../src/report/evidence-text.js';
import { duration } from '../../src/report/format-time.js';
import { retriesText } from '../../src/report/sender-kind.js';
import type { Cell } from '../../src/document/run-document.js';
import { DEMO_RUN, HOSTILE, HOSTILE_RUN, loadFixture, WAITS, withWaits } from '../helpers/report-fixtures.js';

const demo = loadFixture(DEMO_RUN);
const waits = withWaits(demo);

const find = (cells: Cell[], sender: string, profile: string): Cell => {
  const cell = cells.find((c) => c.sender === sender && c.profile === profile);
  if (!cell) throw new Error(`no cell ${sender} × ${profile}`);
  return cell;
};

describe('durations, as reports print them', () => {
  it('milliseconds, seconds, then minutes and hours without zero parts', () => {
    expect(duration(160)).toBe('160 ms');
    expect(duration(1200)).toBe('1.2 s');
    expect(duration(2650)).toBe('2.65 s');
    expect(duration(60_000)).toBe('1 min');
    expect(duration(119_700)).toBe('2 min');
    expect(duration(125_000)).toBe('2 min 5 s');
    expect(duration(300_000)).toBe('5 min');
    expect(duration(5_400_000)).toBe('1 h 30 min');
    expect(duration(3_600_000)).toBe('1 h');
  });

  it('a sender\'s stated retries, in words', () => {
    expect(retriesText(WAITS.retries)).toBe(WAITS.retriesText);
    expect(retriesText({ delaysMs: [], attemptMs: 30_000 })).toBe('none, one attempt (within 30 s), then gives up');
  });
});

describe('the evidence lines: what settled a cell, and how long was waited', () => {
  it('a settled cell: by what, after how long from the submission, and why that was enough', () => {
    const delivered = find(waits.cells, 'builtin:strict', 'tls1.3');
    const lines = cellEvidenceLines(delivered, waits.profiles.find((p) => p.name === 'tls1.3'));
    expect(lines).toContain(`settled: by delivery after 1.2 s: ${WAITS.deliveredNote}`);
    expect(lines.filter((l) => /^(un)?settled: /.test(l))).toHaveLength(1);
    const refused = find(waits.cells, 'builtin:strict', 'tls1.0');
    expect(cellEvidenceLines(refused, undefined)).toContain(`settled: by the sender's final word after 180 ms: ${WAITS.refusedNote}`);
    expect(settleLine({ settled: true, settle: { by: 'retry-model', waitedMs: 960_000, note: 'no attempt is left' }, submission: null })).toBe(
      'settled: by the stated retries running out after 16 min: no attempt is left',
    );
  });

  it('an unsettled cell: how long was waited, and why that was not enough', () => {
    const cell = find(waits.cells, WAITS.sender, WAITS.unsettledProfile);
    const lines = cellEvidenceLines(cell, undefined);
    expect(lines).toContain(`unsettled: waited 1 min: ${WAITS.unsettledNote}`);
    expect(lines.some((l) => l.startsWith('settled: '))).toBe(false);
    expect(settleWords({ settled: false, settle: { by: null, waitedMs: null, note: 'never submitted: the run stopped first' }, submission: null })).toBe('never submitted');
  });

  it('a cell something settled whose record stayed incomplete: unsettled, by what, and the note says why', () => {
    const note = 'delivered after 1.2 s: nothing the sender does later changes what it did; but a connection was still open when the wait ended, so the record may be incomplete';
    const open = { settled: false, settle: { by: 'delivery' as const, waitedMs: 1200, note }, submission: null };
    expect(settleLine(open)).toBe(`unsettled: by delivery after 1.2 s: ${note}`);
    // the short marks do not call the time to delivery a wait
    expect(unsettledWait(open)).toBeNull();
    expect(unsettledWait({ settled: false, settle: { by: null, waitedMs: 60_000, note: '' } })).toBe('waited 1 min');
    expect(unsettledWait({ settled: true, settle: { by: 'delivery', waitedMs: 60_000, note: '' } })).toBeNull();
  });

  it('a run from before it was recorded: what it can say, and that it could say no more', () => {
    const hostile = loadFixture(HOSTILE_RUN);
    const unsettled = hostile.cells.find((c) => !c.settled && c.sender === HOSTILE.sender);
    expect(cellEvidenceLines(unsettled as Cell, undefined)).toContain('unsettled: the deadline came first: recorded by a badmx that did not say what settled a cell');
    expect(cellEvidenceLines(find(demo.cells, 'builtin:strict', 'tls1.3'), undefined)).toContain('settled: yes: recorded by a badmx that did not say what settled a cell');
  });

  it('unsettled cells that say the same are one group', () => {
    const base = find(waits.cells, WAITS.sender, WAITS.unsettledProfile);
    const other = { ...base, profile: 'self-signed' };
    const shorter = { ...base, profile: 'wrong-host', settle: { ...base.settle, waitedMs: 30_000 } };
    expect(unsettledGroups([base, find(waits.cells, 'builtin:strict', 'tls1.3'), other, shorter])).toEqual([
      { sender: WAITS.sender, profiles: ['expired', 'self-signed'], words: 'waited 1 min', note: WAITS.unsettledNote },
      { sender: WAITS.sender, profiles: ['wrong-host'], words: 'waited 30 s', note: WAITS.unsettledNote },
    ]);
  });
});
