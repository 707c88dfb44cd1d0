import { describe, expect, it } from 'vitest';
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPolicy } from '../../src/policy/load-policy.js';
import { selectProfiles } from '../../src/profiles/catalogue.js';
import { readJournal, RunJournal, type RunPlan } from '../../src/run/run-journal.js';
import { planSteps } from '../../src/run/run-schedule.js';
import { studyProfiles } from '../helpers/study.js';

const profiles = studyProfiles().slice(0, 3);
const plan: RunPlan = {
  runId: 'r1',
  startedAt: '2026-11-24T10:00:00.000Z',
  senders: [{ spec: 'builtin:strict', label: 'builtin:strict', kind: 'builtin', notes: [] }],
  policy: loadPolicy('strict'),
  profiles,
  zone: 'badmx.test',
  certsDir: '/tmp/certs',
  addressing: { kind: 'shared', address: '192.0.2.25', port: 25 },
  dns: null,
  naming: 'nested',
  certificate: null,
  limits: null,
  waitMs: 1000,
  probes: [],
};

describe('run journal', () => {
  it('reads back what was appended; the first step-start of a step wins, the last word on a probe wins', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'badmx-journal-')), 'run-state.jsonl');
    const journal = new RunJournal(file, { fresh: true });
    journal.append({ type: 'plan', at: plan.startedAt, plan });
    journal.append({ type: 'step-start', at: '2026-11-24T10:00:01.000Z', step: 's a' });
    journal.append({ type: 'submitted', at: '2026-11-24T10:00:01.100Z', probe: 'r1-1', result: { accepted: true, final: false, detail: 'queued' } });
    journal.append({ type: 'resumed', at: '2026-11-24T10:05:00.000Z' });
    journal.append({ type: 'step-start', at: '2026-11-24T10:05:00.100Z', step: 's a' });
    journal.append({ type: 'final', at: '2026-11-24T10:05:01.000Z', probe: 'r1-1', result: { accepted: true, final: true, detail: 'sent' } });
    journal.append({ type: 'step-end', at: '2026-11-24T10:05:02.000Z', step: 's a', settled: true });
    journal.close();
    const state = readJournal(file);
    expect(state.plan.runId).toBe('r1');
    expect(state.stepStart.get('s a')).toBe('2026-11-24T10:00:01.000Z');
    expect(state.stepEnd.get('s a')).toEqual({ at: '2026-11-24T10:05:02.000Z', settled: true, dnsQueries: null });
    expect(state.submitted.get('r1-1')?.detail).toBe('queued');
    expect(state.final.get('r1-1')?.detail).toBe('sent');
    expect(state.resumes).toEqual(['2026-11-24T10:05:00.000Z']);
  });

  it('a torn last line (the crash) is ignored; a damaged line elsewhere or no plan is a one-line error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'badmx-journal-'));
    const file = join(dir, 'run-state.jsonl');
    writeFileSync(file, `${JSON.stringify({ type: 'plan', at: plan.startedAt, plan })}\n`);
    appendFileSync(file, '{"type":"submitted","at":"2026-11-24T10:0');
    expect(readJournal(file).submitted.size).toBe(0);
    writeFileSync(file, `garbage\n${JSON.stringify({ type: 'plan', at: plan.startedAt, plan })}\n{}\n`);
    expect(() => readJournal(file)).toThrow(/line 1 is not JSON; the run journal is damaged/);
    writeFileSync(file, '{"type":"resumed","at":"x"}\n');
    expect(() => readJournal(file)).toThrow(/no plan record/);
    expect(() => readJournal(join(dir, 'nope.jsonl'))).toThrow(/does not exist: --resume needs the directory of a run/);
  });
});

describe('schedule', () => {
  const senders = [{ label: 'a' }, { label: 'b' }];
  it('one step, every sender at once, when every profile has its own address', () => {
    expect(planSteps(senders, profiles, { kind: 'per-profile', base: '127.0.2.0', port: 25 }).map((s) => [s.key, s.senders.map((x) => x.label), s.profiles.length])).toEqual([
      ['* *', ['a', 'b'], 3],
    ]);
  });
  it('one step per profile on a shared address, every sender in each', () => {
    const steps = planSteps(senders, profiles, plan.addressing);
    expect(steps.map((s) => s.key)).toEqual(profiles.map((p) => `* ${p.name}`));
    expect(steps.every((s) => s.senders.length === 2 && s.profiles.length === 1)).toBe(true);
  });
  it('on a shared address, the controls come first (a sender that cannot reach them is diagnosed early)', () => {
    const withControls = selectProfiles(studyProfiles(), ['no-starttls', 'tls1.2', 'expired', 'tls1.3']);
    expect(planSteps([{ label: 'a' }], withControls, plan.addressing).map((s) => s.key)).toEqual(['* tls1.2', '* tls1.3', '* no-starttls', '* expired']);
  });
  it('a run planned by an earlier badmx resumes as it was planned: one sender at a time', () => {
    expect(planSteps(senders, profiles, { kind: 'per-profile', base: '127.0.2.0', port: 25 }, 'one-at-a-time').map((s) => s.key)).toEqual(['a *', 'b *']);
    expect(planSteps(senders, profiles, plan.addressing, 'one-at-a-time').map((s) => s.key)).toEqual(['a', 'b'].flatMap((s) => profiles.map((p) => `${s} ${p.name}`)));
  });
});

describe('resuming after a torn line', () => {
  it('the next record starts on a line of its own, and the torn line is skipped on every later read', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'badmx-journal-')), 'run-state.jsonl');
    writeFileSync(file, `${JSON.stringify({ type: 'plan', at: plan.startedAt, plan })}\n{"type":"submitted","at":"2026-11-24T10:0`);
    const journal = new RunJournal(file, { fresh: false });
    journal.append({ type: 'resumed', at: '2026-11-24T10:05:00.000Z' });
    journal.append({ type: 'step-start', at: '2026-11-24T10:05:00.100Z', step: 's a' });
    journal.close();
    const state = readJournal(file);
    expect(state.resumes).toEqual(['2026-11-24T10:05:00.000Z']);
    expect(state.stepStart.get('s a')).toBe('2026-11-24T10:05:00.100Z');
  });
});
