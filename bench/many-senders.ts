/**
 * `npm run bench` (also alone: `npm run bench:many`): one fleet under many senders at once.
 * 50 built-in senders (25 opportunistic, 25 strict, each under its own label) × the 14
 * profiles, every probe in flight together, in one local run:
 *
 *   wall time               start to run.json                                target < 60 s
 *   CPU per probe           this process's user + system CPU over the run, per probe: the
 *                           receivers, the built-in senders (both ends of every TLS
 *                           handshake run here) and the harness                    info
 *   judging per probe       reading the recorded facts and judging them (judgeRun)   info
 *   attribution             every cell judged as its sender's mode says it must be
 *                           (exact: no refusal of one sender counted as another's)   must hold
 *
 * The floor per connection is smtp-server's early-talker pause: the greeting waits 100 ms to
 * catch a client that talks first, so a probe's connection lasts at least that long.
 * Loopback only; bounded: one run, 700 probes, a 60 s wait.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePki } from '../src/certs/pki.js';
import { loadPolicy } from '../src/policy/load-policy.js';
import { loadCatalogue, selectProfiles } from '../src/profiles/catalogue.js';
import { mailboxDomain, mailboxProfile } from '../src/profiles/mailbox.js';
import { DEFAULT_ZONE } from '../src/profiles/naming.js';
import { judgeRun } from '../src/run/judge-run.js';
import { readRecordedFacts } from '../src/run/recorded-facts.js';
import { replayJournal, windowsSoFar, journalMembers } from '../src/run/replay-journal.js';
import { JOURNAL_FILE, readJournal } from '../src/run/run-journal.js';
import { runMatrix } from '../src/run/run-matrix.js';
import { planSteps } from '../src/run/run-schedule.js';
import { parseSenderSpec } from '../src/sender-spec/parse-sender-spec.js';

const SENDERS = 50;
const work = mkdtempSync(join(tmpdir(), 'badmx-bench-many-'));
try {
  const certsDir = join(work, 'certs');
  // The study's fourteen (the suite a plain run probes): the expectations below are theirs.
  const profiles = selectProfiles(loadCatalogue(), undefined, ['study']);
  await ensurePki({ dir: certsDir, zone: DEFAULT_ZONE, profiles: [...profiles, mailboxProfile()] });
  const senders = Array.from({ length: SENDERS }, (_, i) => parseSenderSpec(`builtin:${i % 2 === 0 ? 'opportunistic' : 'strict'}?label=s${String(i + 1).padStart(2, '0')}`));
  const outDir = join(work, 'run');
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const run = await runMatrix({
    senders,
    policy: loadPolicy('strict'),
    profiles,
    zone: DEFAULT_ZONE,
    certsDir,
    addressing: { kind: 'per-profile', base: '127.0.40.0', port: 2525 },
    outDir,
    waitMs: 60_000,
  });
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const probes = run.cells.length;

  // Judging alone, again, from the run directory: its share of the CPU.
  const state = readJournal(join(outDir, JOURNAL_FILE));
  const steps = planSteps(state.plan.senders, state.plan.profiles, state.plan.addressing, state.plan.schedule);
  const j0 = process.cpuUsage();
  const mailbox = mailboxDomain(state.plan.zone);
  const replay = replayJournal(state, steps);
  judgeRun({
    plan: { ...state.plan, senders: state.plan.senders.map((s) => ({ ...s, software: null })) },
    members: journalMembers(state),
    caFile: run.run.caFile,
    mailboxDomain: mailbox,
    dns: null,
    facts: readRecordedFacts({ eventsFile: join(outDir, 'events.jsonl'), startedAt: state.plan.startedAt, probes: state.plan.probes, mailboxDomain: mailbox }),
    results: replay.results,
    submittedAt: replay.submittedAt,
    windows: windowsSoFar(replay, steps, run.run.finishedAt),
    resumes: replay.resumes,
    error: null,
    finishedAt: run.run.finishedAt,
  });
  const judging = process.cpuUsage(j0);

  // Exact attribution: each mode's cells are what that mode does, whoever ran beside it.
  const opportunisticFails = new Set(['no-starttls', 'starttls-454', 'handshake-failure', 'tls1.0', 'tls1.1', 'self-signed', 'expired', 'not-yet-valid', 'wrong-host', 'untrusted-root', 'incomplete-chain', 'sha1-signature']);
  const wrong = run.cells.filter((cell) => {
    const strict = senders.find((s) => s.label === cell.sender)?.spec.startsWith('builtin:strict') === true;
    const expected = strict ? 'pass' : opportunisticFails.has(cell.profile) ? 'fail' : 'pass';
    return cell.verdict !== expected;
  });
  const ms = (micros: number): string => `${(micros / 1000).toFixed(1)} ms`;
  console.log(`\nmany senders: ${SENDERS} built-in senders x ${profiles.length} profiles, ${probes} cells, ${run.summary.unsettled} unsettled`);
  console.log(`${'wall time (start to run.json)'.padEnd(62)} ${(wall / 1000).toFixed(1).padStart(6)} s   ${wall < 60_000 ? 'ok' : 'OVER TARGET'} (target < 60 s)`);
  console.log(`${'CPU per probe (receivers, built-in senders, harness)'.padEnd(62)} ${ms((cpu.user + cpu.system) / probes).padStart(8)}  info (${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU over ${(wall / 1000).toFixed(1)} s)`);
  console.log(`${'  of which judging (facts read, attributed, judged)'.padEnd(62)} ${ms((judging.user + judging.system) / probes).padStart(8)}  info`);
  console.log(`${'  floor per connection: the early-talker pause'.padEnd(62)} ${'100 ms'.padStart(8)}  wall, not CPU`);
  console.log(`${'cells judged as their sender\'s mode says'.padEnd(62)} ${`${probes - wrong.length}/${probes}`.padStart(8)}  ${wrong.length === 0 ? 'ok' : `WRONG: ${wrong.slice(0, 3).map((c) => `${c.sender} x ${c.profile} ${c.verdict} (${c.reason})`).join('; ')}`}`);
  if (wrong.length > 0 || wall >= 60_000) process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
