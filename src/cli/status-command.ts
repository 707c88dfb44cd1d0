import { printable } from '../text/printable.js';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { BadmxError } from '../errors.js';
import { mailboxDomain } from '../profiles/mailbox.js';
import { renderTerminalMatrix } from '../report/terminal-matrix.js';
import { JOURNAL_FILE, readJournal } from '../run/run-journal.js';
import { judgeRun } from '../run/judge-run.js';
import { readRecordedFacts } from '../run/recorded-facts.js';
import { journalMembers, replayJournal, windowsSoFar } from '../run/replay-journal.js';
import type { RunDocument } from '../document/run-document.js';
import { isAlive, runOwner } from '../run/run-owner.js';
import { clockOf, useColour, type CliContext } from './cli-io.js';
import { planSteps } from '../run/run-schedule.js';
import { addExamples } from './help-text.js';
import { DATA_DEFAULT_TEXT, newestRunOrExplain } from './user-dirs.js';
import { clockTime, shortDuration } from './run-progress.js';

/**
 * `badmx status <dir>`: the matrix so far of a run that is going on (a vendor run lasts
 * hours), was interrupted, or is done, from its directory alone: the journal says what was
 * planned and done, the event log what the receivers saw. Reads only; safe while it runs.
 */
export function registerStatusCommand(program: Command, { io }: CliContext): void {
  const status = program
    .command('status')
    .description('show the matrix so far of a run (running, interrupted or done) from its directory: elapsed time, each live sender\'s deadline and settled/total')
    .argument('[dir]', `the run directory (default: the newest run in <data>, where <data> is ${DATA_DEFAULT_TEXT})`)
    .option('--json', 'print the run document so far instead of the matrix');
  addExamples(status, ['watch -n 60 badmx status', 'badmx status /var/lib/badmx/run-2026-05-01T09-00-00Z --json']).action((dir: string | undefined, flags: { json?: boolean }) => {
    const { document, line, progress } = runStatus(resolve(dir ?? newestRunOrExplain(io.env, 'the directory of a badmx run')), new Date(clockOf(io).now()));
    if (flags.json) io.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
    else io.stdout.write(`${line}\n${progress}\n\n${renderTerminalMatrix(document, { colour: useColour(io) })}\n${tlsReportLines(document)}`);
  });
}

/**
 * `line`: the run, its steps and whether it still runs. `progress`: the facts the run's own
 * progress line shows: the time elapsed, each sender's settled/total, and, for the step in
 * progress, its deadline (the step's start plus --wait; a resumed step keeps it).
 */
export function runStatus(dir: string, now: Date = new Date()): { document: RunDocument; line: string; progress: string } {
  if (!existsSync(dir)) throw new BadmxError(`${dir} does not exist: give the directory of a badmx run`, 'EUSAGE');
  const state = readJournal(join(dir, JOURNAL_FILE));
  const { plan } = state;
  const steps = planSteps(plan.senders, plan.profiles, plan.addressing, plan.schedule ?? 'one-at-a-time');
  const replay = replayJournal(state, steps);
  const at = now.toISOString();
  const windows = windowsSoFar(replay, steps, at);
  const liveStep = steps.find((step) => replay.begun.has(step.key));
  const live = liveStep ? `${liveStep.senders.map((sender) => sender.label).join(', ')} → ${liveStep.profiles.length === 1 ? liveStep.profiles[0] : 'all profiles'} since ${replay.begun.get(liveStep.key)}` : null;
  const done = replay.ended.size;
  const complete = done === steps.length;
  const mailbox = mailboxDomain(plan.zone);
  const document = judgeRun({
    plan: { ...plan, senders: plan.senders.map((s) => ({ ...s, software: null })) },
    members: journalMembers(state),
    caFile: join(plan.certsDir, 'ca-bundle.pem'),
    mailboxDomain: mailbox,
    dns: plan.dns ? plan.dns.address : null,
    facts: readRecordedFacts({ eventsFile: join(dir, 'events.jsonl'), startedAt: plan.startedAt, probes: plan.probes, mailboxDomain: mailbox }),
    results: replay.results,
    submittedAt: replay.submittedAt,
    windows,
    resumes: replay.resumes,
    error: null,
    ...(complete ? {} : { status: 'running' as const }),
    finishedAt: at,
  });
  const owner = runOwner(dir);
  const alive = owner !== null && isAlive(owner);
  const line =
    `run ${plan.runId}, started ${plan.startedAt}: ${done}/${steps.length} step(s) done` +
    (complete
      ? ', complete'
      : alive
        ? `; running (pid ${owner})${live ? `: ${live}` : ''}`
        : `; not running: interrupted${live ? ` in ${live}` : ''}; badmx run --resume ${dir} continues it`) +
    (state.resumes.length ? `; resumed ${state.resumes.length} time(s)` : '');
  return { document, line, progress: progressLine(document, plan, { now: now.getTime(), complete, lastEnd: lastStepEnd(replay.ended), liveSince: liveStep ? (replay.begun.get(liveStep.key) ?? null) : null, liveSenders: liveStep?.senders.map((s) => s.label) ?? [] }) };
}

function progressLine(
  document: RunDocument,
  plan: { startedAt: string; waitMs: number; senders: { label: string }[] },
  at: { now: number; complete: boolean; lastEnd: number | null; liveSince: string | null; liveSenders: string[] },
): string {
  const started = Date.parse(plan.startedAt);
  const parts = [at.complete && at.lastEnd !== null ? `took ${shortDuration(Math.max(0, at.lastEnd - started))}` : `${shortDuration(Math.max(0, at.now - started))} elapsed`];
  const deadline = at.liveSince === null ? null : Date.parse(at.liveSince) + plan.waitMs;
  for (const { label } of plan.senders) {
    const cells = document.cells.filter((cell) => cell.sender === label);
    const settled = cells.filter((cell) => cell.settled).length;
    const live = deadline !== null && at.liveSenders.includes(label);
    const when = live ? `, deadline ${clockTime(deadline)} (${deadline > at.now ? `in ${shortDuration(deadline - at.now)}` : 'passed'})` : '';
    parts.push(`${label} ${settled}/${cells.length} settled${when}`);
  }
  return parts.join('; ');
}

/**
 * The TLS reports (RFC 8460) that arrived so far, one line each: real providers send theirs
 * once a day, so a long public-mode run shows them here as they come.
 */
export function tlsReportLines(document: RunDocument): string {
  const reports = document.tlsReports ?? [];
  if (reports.length === 0) return '';
  const lines = reports.map((report) => {
    const who = report.sender ?? report.policies[0]?.organization ?? report.from ?? 'unknown';
    if (report.error) return `  ${report.received.slice(0, 19)}Z by ${report.via}: not a valid report: ${report.error}`;
    const what = report.policies
      .map((p) => `${p.profile ?? p.policyDomain}: ${p.successful} ok, ${p.failed} failed${p.failures.length ? ` (${p.failures.map((f) => f.resultType).join(', ')})` : ''}`)
      .join('; ');
    return `  ${report.received.slice(0, 19)}Z ${who} by ${report.via}: ${what}`;
  });
  // Report fields are whatever the reporter wrote: made printable, as every other report does.
  return `\nTLS reports (RFC 8460) received: ${reports.length}\n${lines.map((line) => printable(line, 400)).join('\n')}\n`;
}

/** When the last step that ended ended, or null. */
function lastStepEnd(ended: ReadonlyMap<string, readonly { end: string }[]>): number | null {
  const ends = [...ended.values()].flat().map((window) => Date.parse(window.end));
  return ends.length === 0 ? null : Math.max(...ends);
}
