import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { loadPolicy } from '../../src/policy/load-policy.js';
import { selectProfiles } from '../../src/profiles/catalogue.js';
import { mailboxDomain } from '../../src/profiles/mailbox.js';
import { DEFAULT_ZONE } from '../../src/profiles/naming.js';
import type { RunDocument } from '../../src/document/run-document.js';
import { judgeRun, type JudgeRunInput } from '../../src/run/judge-run.js';
import { readRecordedFacts } from '../../src/run/recorded-facts.js';
import { journalMembers, replayJournal, windowsSoFar } from '../../src/run/replay-journal.js';
import { JOURNAL_FILE, readJournal } from '../../src/run/run-journal.js';
import { runMatrix } from '../../src/run/run-matrix.js';
import { planSteps } from '../../src/run/run-schedule.js';
import { parseSenderSpec } from '../../src/sender-spec/parse-sender-spec.js';
import { studyProfiles } from '../helpers/study.js';
import { testNet } from '../helpers/net-plan.js';

/**
 * Judging is a pure function of recorded facts: the document a run writes is judgeRun of
 * what its receivers recorded and its journal says, and judging the same facts again, with
 * the run directory gone, gives the same document.
 */
let written: RunDocument;
let input: JudgeRunInput;

beforeAll(async () => {
  const out = mkdtempSync(join(tmpdir(), 'badmx-judge-'));
  written = await runMatrix({
    senders: [parseSenderSpec('builtin:opportunistic'), parseSenderSpec('builtin:strict')],
    policy: loadPolicy('strict'),
    profiles: selectProfiles(studyProfiles(), ['tls1.2', 'no-starttls', 'expired']),
    zone: DEFAULT_ZONE,
    certsDir: inject('certsDir'),
    addressing: { kind: 'per-profile', base: testNet('run/judge-run').base, port: 10025 },
    outDir: out,
    waitMs: 15_000,
  });
  // Everything judging needs, read from the run directory alone, as `badmx status` reads it.
  const state = readJournal(join(out, JOURNAL_FILE));
  const steps = planSteps(state.plan.senders, state.plan.profiles, state.plan.addressing);
  const replay = replayJournal(state, steps);
  const mailbox = mailboxDomain(state.plan.zone);
  input = {
    plan: { ...state.plan, senders: written.senders.map((s) => ({ label: s.label, spec: s.spec, kind: s.kind, notes: s.notes, software: s.software })) },
    members: journalMembers(state),
    caFile: written.run.caFile,
    mailboxDomain: mailbox,
    dns: null,
    facts: readRecordedFacts({ eventsFile: join(out, 'events.jsonl'), startedAt: state.plan.startedAt, probes: state.plan.probes, mailboxDomain: mailbox }),
    results: replay.results,
    submittedAt: replay.submittedAt,
    windows: windowsSoFar(replay, steps, written.run.finishedAt),
    resumes: replay.resumes,
    error: null,
    finishedAt: written.run.finishedAt,
  };
  rmSync(out, { recursive: true, force: true });
}, 60_000);

describe('judgeRun', () => {
  it('the run wrote exactly what judging its recorded facts gives, and judging them again with the run directory gone gives it again', () => {
    expect(written.summary).toMatchObject({ cells: 6, fail: 2, inconclusive: 0 });
    // Through JSON, as run.json holds it (undefined fields dropped).
    const again = JSON.parse(JSON.stringify(judgeRun(input))) as RunDocument;
    expect(again).toEqual(JSON.parse(JSON.stringify(written)));
    expect(judgeRun(input)).toEqual(judgeRun(input));
  });

  it('a verdict follows the facts: without the plaintext delivery it recorded, the cell is no longer a failure', () => {
    const probe = input.plan.probes.find((p) => p.sender === 'builtin:opportunistic' && p.profile === 'no-starttls');
    if (!probe) throw new Error('no probe');
    const cell = (document: RunDocument) => document.cells.find((c) => c.probe.id === probe.id);
    expect(cell(judgeRun(input))).toMatchObject({ outcome: 'delivered-plaintext', verdict: 'fail' });
    // The receiver's record of that connection removed: nothing shows the probe was ever attempted.
    const conns = new Set(input.facts.events.filter((e) => e.type === 'rcpt-to' && e.address === probe.recipient).map((e) => e.conn));
    expect(conns.size).toBeGreaterThan(0);
    const facts = { ...input.facts, events: input.facts.events.filter((e) => !conns.has(e.conn)) };
    expect(cell(judgeRun({ ...input, facts }))).toMatchObject({ outcome: 'not-attempted', verdict: 'inconclusive' });
  });

  it('the clock is an input: finishedAt is the value given, nothing else moves', () => {
    const later = judgeRun({ ...input, finishedAt: '2030-01-01T00:00:00.000Z' });
    expect(later.run.finishedAt).toBe('2030-01-01T00:00:00.000Z');
    expect({ ...later, run: { ...later.run, finishedAt: written.run.finishedAt } }).toEqual(judgeRun(input));
  });
});
