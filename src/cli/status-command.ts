import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { BadmxError } from '../errors.js';
import { listenAddress } from '../receivers/addressing.js';
import type { FleetMember } from '../receivers/fleet.js';
import { profileNames } from '../receivers/naming.js';
import { renderTerminalMatrix } from '../report/terminal-matrix.js';
import { JOURNAL_FILE, readJournal } from '../run/run-journal.js';
import { buildDocument } from '../run/run-matrix.js';
import type { RunDocument } from '../run/run-document.js';
import { isAlive, runOwner } from '../run/run-owner.js';
import { useColour, type CliContext } from './cli-io.js';
import { planSteps, type StepWindow } from '../run/run-schedule.js';

/**
 * `badmx status <dir>`: the matrix so far of a run that is going on (a vendor run lasts
 * hours), was interrupted, or is done, from its directory alone: the journal says what was
 * planned and done, the event log what the receivers saw. Reads only; safe while it runs.
 */
export function registerStatusCommand(program: Command, { io }: CliContext): void {
  program
    .command('status')
    .description('show the matrix so far of a run (running, interrupted or done) from its directory')
    .argument('<dir>', 'the run directory')
    .option('--json', 'print the run document so far instead of the matrix')
    .action((dir: string, flags: { json?: boolean }) => {
      const { document, line } = runStatus(resolve(dir));
      if (flags.json) io.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
      else io.stdout.write(`${line}\n\n${renderTerminalMatrix(document, { colour: useColour(io) })}\n`);
    });
}

export function runStatus(dir: string): { document: RunDocument; line: string } {
  if (!existsSync(dir)) throw new BadmxError(`${dir} does not exist: give the directory of a badmx run`, 'EUSAGE');
  const state = readJournal(join(dir, JOURNAL_FILE));
  const { plan } = state;
  // The fleet as the run started it; before that, where it would listen (nothing served yet).
  const members: FleetMember[] =
    state.members ??
    plan.profiles.map((profile) => ({
      name: profile.name,
      title: profile.title,
      tests: profile.tests,
      ...profileNames(profile, plan.zone, plan.naming),
      ...listenAddress(plan.addressing, profile.slot),
      served: { source: 'none', coversMx: null, coversDomain: null },
    }));
  const steps = planSteps(plan.senders, plan.profiles, plan.addressing);
  const now = new Date().toISOString();
  const windows: StepWindow[] = [];
  let live: string | null = null;
  for (const step of steps) {
    const start = state.stepStart.get(step.key);
    const end = state.stepEnd.get(step.key);
    if (end) windows.push({ sender: step.sender.label, profiles: step.profiles, start: start ?? end.at, end: end.at, settled: end.settled, dnsQueries: end.dnsQueries });
    else if (start) {
      windows.push({ sender: step.sender.label, profiles: step.profiles, start, end: now, settled: false });
      live = `${step.sender.label} → ${step.profiles.length === 1 ? step.profiles[0] : 'all profiles'} since ${start}`;
    }
  }
  const results = new Map(state.submitted);
  for (const [id, result] of state.final) results.set(id, result);
  const done = steps.filter((s) => state.stepEnd.has(s.key)).length;
  const complete = done === steps.length;
  const document = buildDocument({
    options: {
      senders: plan.senders.map((s) => ({ ...s, software: null })),
      policy: plan.policy,
      profiles: plan.profiles,
      zone: plan.zone,
      waitMs: plan.waitMs,
      addressing: plan.addressing,
    },
    members,
    caFile: join(plan.certsDir, 'ca-bundle.pem'),
    eventsFile: join(dir, 'events.jsonl'),
    runId: plan.runId,
    startedAt: plan.startedAt,
    probes: plan.probes,
    results,
    windows,
    resumes: state.resumes,
    error: null,
    dns: plan.dns ? plan.dns.address : null,
    ...(complete ? {} : { status: 'running' as const }),
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
  return { document, line };
}
