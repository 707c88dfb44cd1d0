import { stsPublication } from '../profiles/mta-sts-policy.js';
import type { FleetMember } from '../receivers/fleet.js';
import { listenAddress } from '../profiles/addressing.js';
import { profileNames } from '../profiles/naming.js';
import { revocationPublication } from '../profiles/revocation.js';
import type { SendResult } from '../senders/sender.js';
import type { JournalState } from './run-journal.js';
import type { Step, StepWindow } from './run-schedule.js';

/**
 * What a run's journal says was done, in the terms the run works in: each probe's
 * submission (with the sender's final word over it), the probes never to be sent again, and
 * each step that ended or only began. One reading for the three that need it: a run that
 * resumes (what not to repeat), `badmx status` (the matrix so far) and the run itself.
 */
export interface Replay {
  /** Each probe's submission; a final word from the sender (its log: delivered, bounced) replaces it. */
  results: Map<string, SendResult>;
  /** Probes the sender took or refused: never submitted again. */
  submitted: Set<string>;
  /** When each probe's submission ended: where its wait starts. */
  submittedAt: Map<string, string>;
  /** Steps that ended, as they ran: one window per sender of the step. */
  ended: Map<string, StepWindow[]>;
  /** Steps that began and did not end (the crash, Ctrl-C, or the step running now): when. */
  begun: Map<string, string>;
  resumes: string[];
}

export function replayJournal(state: JournalState | null, steps: readonly Step<{ label: string }>[]): Replay {
  const results = new Map<string, SendResult>(state?.submitted);
  for (const [id, result] of state?.final ?? []) results.set(id, result);
  const ended = new Map<string, StepWindow[]>();
  const begun = new Map<string, string>();
  for (const step of steps) {
    const start = state?.stepStart.get(step.key);
    const end = state?.stepEnd.get(step.key);
    if (end) ended.set(step.key, step.senders.map((sender) => ({ sender: sender.label, profiles: step.covers ?? step.profiles, start: start ?? end.at, end: end.at, settled: end.settled, dnsQueries: end.dnsQueries, ...phaseOf(step) })));
    else if (start) begun.set(step.key, start);
  }
  return { results, submitted: new Set(state?.submitted.keys()), submittedAt: new Map(state?.submittedAt), ended, begun, resumes: [...(state?.resumes ?? [])] };
}

/**
 * The windows of a run so far, at `now`: every step that ended, and a step that only began
 * as open until now (unsettled). What `badmx status` judges by.
 */
export function windowsSoFar(replay: Replay, steps: readonly Step<{ label: string }>[], now: string): StepWindow[] {
  const windows: StepWindow[] = [];
  for (const step of steps) {
    const ended = replay.ended.get(step.key);
    const start = replay.begun.get(step.key);
    if (ended) windows.push(...ended);
    else if (start) windows.push(...step.senders.map((sender) => ({ sender: sender.label, profiles: step.covers ?? step.profiles, start, end: now, settled: false, ...phaseOf(step) })));
  }
  return windows;
}

/** The fleet as the journal last saw it start; before it started, where it would listen (nothing served yet). */
export function journalMembers(state: JournalState): FleetMember[] {
  const { plan } = state;
  return (
    state.members ??
    plan.profiles.map((profile) => {
      const names = profileNames(profile, plan.zone, plan.naming);
      const where = listenAddress(plan.addressing, profile.slot);
      return {
        name: profile.name,
        title: profile.title,
        tests: profile.tests,
        ...names,
        ...where,
        served: { source: 'none' as const, coversMx: null, coversDomain: null },
        sts: stsPublication(profile.mtaSts, names, where.address),
        // Computed from the certificates the fleet serves: unknown until it has started.
        tlsa: null,
        revocation: revocationPublication(profile.certificate, names, where.address),
      };
    })
  );
}

/** A window's phase, only for the steps of a later phase (so that other windows read as before). */
function phaseOf(step: { phase?: number }): { phase?: number } {
  return step.phase === undefined ? {} : { phase: step.phase };
}
