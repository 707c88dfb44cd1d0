import { describe, expect, it } from 'vitest';
import { settleLine, settleWords, unsettledGroups, unsettledWait } from '../../src/report/cell-label.js';
import type { PolicyFetch } from '../../src/classify/policy-fetches.js';
import { cellEvidenceLines, policyFetchText, policyHostMark, policyHostSummary } from '../../src/report/evidence-text.js';
import { renderJunitXml } from '../../src/report/junit-xml.js';
import { duration } from '../../src/report/format-time.js';
import { retriesText } from '../../src/report/sender-kind.js';
import type { Cell, RunProfile } from '../../src/document/run-document.js';
import { DEMO_RUN, HOSTILE, HOSTILE_RUN, loadFixture, MIXED_SUITES_RUN, MTA_STS_RUN, WAITS, withWaits } from '../helpers/report-fixtures.js';

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

describe('the evidence lines: what an MTA-STS policy host saw of the sender', () => {
  const sts = loadFixture(MTA_STS_RUN);
  const profile = (name: string): RunProfile | undefined => sts.profiles.find((p) => p.name === name);
  const lines = (sender: string, name: string): string[] => cellEvidenceLines(find(sts.cells, sender, name), profile(name)).filter((l) => l.startsWith('mta-sts: '));
  const at = (time: string): PolicyFetch => ({ time, kind: 'fetch', peer: '127.0.0.1', sni: 'mta-sts.x.badmx.test', status: 200, tlsVersion: 'TLSv1.3', alert: null, userAgent: null, by: 'sender' });

  it('each record in one line: a fetch, a broken-off handshake, a report posted, and whether it is known to be this sender\'s', () => {
    expect(policyFetchText(at('2026-11-30T15:25:25.912Z'))).toBe('policy fetched over TLSv1.3 (HTTP 200) at 15:25:25 UTC');
    expect(policyFetchText({ ...at('2026-11-30T15:25:25.912Z'), status: 404 })).toBe('policy host request over TLSv1.3 (HTTP 404: no policy handed over) at 15:25:25 UTC');
    expect(policyFetchText({ ...at('2026-11-30T15:25:26Z'), kind: 'tls-failed', status: null, tlsVersion: null, alert: 'unknown_ca' })).toBe(
      'policy host: handshake broken off by the client (alert unknown_ca) at 15:25:26 UTC',
    );
    expect(policyFetchText({ ...at('2026-11-30T15:25:27Z'), kind: 'report', status: 201, tlsVersion: null, by: 'unattributed' })).toBe(
      'TLS-RPT report posted (HTTP 201) at 15:25:27 UTC (not attributable to one sender: several ran side by side)',
    );
  });

  it('a sender that fetched the policy: its fetch, and the records that may be anyone\'s, marked so (the real run)', () => {
    expect(lines('builtin:mta-sts', 'sts-enforce-valid')).toEqual([
      'mta-sts: policy fetched over TLSv1.3 (HTTP 200) at 15:45:41 UTC',
      'mta-sts: policy host request over TLSv1.3 (HTTP 201: no policy handed over) at 15:45:41 UTC (not attributable to one sender: several ran side by side)',
      'mta-sts: TLS-RPT report posted (HTTP 201) at 15:45:41 UTC (not attributable to one sender: several ran side by side)',
    ]);
    expect(policyHostMark(find(sts.cells, 'builtin:mta-sts', 'sts-enforce-valid'), profile('sts-enforce-valid'))).toBe('policy fetched');
  });

  it('a sender that never fetched it says so, first; an unreachable policy host says why nothing can be seen', () => {
    const opportunistic = lines('builtin:opportunistic', 'sts-enforce-self-signed');
    expect(opportunistic[0]).toBe('mta-sts: never fetched the policy');
    expect(opportunistic.slice(1).every((l) => l.endsWith('(not attributable to one sender: several ran side by side)'))).toBe(true);
    expect(policyHostMark(find(sts.cells, 'builtin:opportunistic', 'sts-enforce-self-signed'), profile('sts-enforce-self-signed'))).toBe('policy never fetched');
    expect(lines('builtin:mta-sts', 'sts-policy-unreachable')).toEqual(['mta-sts: never fetched the policy: its policy host is unreachable by design, so no attempt can be seen']);
    expect(lines('builtin:opportunistic', 'sts-policy-bad-certificate')).toEqual([
      'mta-sts: never fetched the policy',
      'mta-sts: policy host: handshake broken off by the client (no alert) at 15:45:42 UTC (not attributable to one sender: several ran side by side)',
    ]);
  });

  it('a fetch that may be another sender\'s is not taken for this one\'s; a handshake it broke off is its refusal of the policy host', () => {
    const cell = { policyFetches: [{ ...at('2026-11-30T15:25:25Z'), by: 'unattributed' as const }, { ...at('2026-11-30T15:25:26Z'), by: 'unattributed' as const }] };
    const served = profile('sts-enforce-valid');
    expect(policyHostSummary(cell, served)).toBe('never fetched the policy, as far as can be told: the 2 fetches below may be its own or another sender\'s');
    expect(policyHostMark(cell, served)).toBe('policy fetch unattributed');
    const refused = { policyFetches: [{ ...at('2026-11-30T15:25:25Z'), kind: 'tls-failed' as const, status: null, alert: 'unknown_ca' }] };
    expect(policyHostSummary(refused, served)).toBe('never fetched the policy');
    expect(policyHostMark(refused, served)).toBe('refused the policy host');
    // a run that did not watch the policy host says so, not "never fetched"
    expect(policyHostSummary({}, served)).toBe('not recorded: this run did not watch the policy host');
  });

  it('a profile that declares no policy has no such lines', () => {
    for (const cell of demo.cells) expect(cellEvidenceLines(cell, demo.profiles.find((p) => p.name === cell.profile)).some((l) => l.startsWith('mta-sts'))).toBe(false);
    const mixed = loadFixture(MIXED_SUITES_RUN);
    const study = find(mixed.cells, 'builtin:mta-sts', 'tls1.3');
    expect(study.policyFetches).toBeUndefined();
    expect(policyHostSummary(study, mixed.profiles.find((p) => p.name === 'tls1.3'))).toBeNull();
    expect(policyHostMark(study, mixed.profiles.find((p) => p.name === 'tls1.3'))).toBeNull();
  });

  it('JUnit bodies carry them, as every text output of the evidence lines does', () => {
    const xml = renderJunitXml(sts);
    expect(xml).toContain('mta-sts: policy fetched over TLSv1.3 (HTTP 200) at 15:45:41 UTC');
    expect(xml).toContain('mta-sts: never fetched the policy');
  });
});
