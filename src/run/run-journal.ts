import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { BadmxError } from '../errors.js';
import { READ_LIMITS, ReadBoundedError, readBounded } from '../files/read-bounded.js';
import type { Policy } from '../policy/policy-schema.js';
import type { Probe } from '../probes/probe.js';
import type { Addressing } from '../profiles/addressing.js';
import type { FleetMember } from '../receivers/fleet.js';
import type { ReceiverLimits } from '../receivers/limits.js';
import type { Naming } from '../profiles/naming.js';
import type { Profile } from '../profiles/profile-schema.js';
import type { RetryModel, SendResult, SenderKind } from '../senders/sender.js';
import type { SenderSchedule } from './run-schedule.js';

/** The journal's file name in a run directory. */
export const JOURNAL_FILE = 'run-state.jsonl';

/** What a run was asked to do: enough to continue it from its directory alone. */
export interface RunPlan {
  runId: string;
  startedAt: string;
  senders: { spec: string; label: string; kind: SenderKind; notes: string[]; retries?: RetryModel | null }[];
  policy: Policy;
  /** The profiles in full, so a run with a custom catalogue resumes without it. */
  profiles: Profile[];
  zone: string;
  certsDir: string;
  addressing: Addressing;
  dns: { address: string; port: number; serve: boolean } | null;
  naming: Naming;
  /** The user's certificate files (read again on resume), or null. */
  certificate: { cert: string; key: string } | null;
  limits: Partial<ReceiverLimits> | null;
  /** The user the run dropped to after binding, or null. */
  runAs?: string | null;
  waitMs: number;
  probes: Probe[];
  /** How its senders share the receivers (run-schedule.ts); absent in a run planned by a badmx that ran them one at a time. */
  schedule?: SenderSchedule;
}

/** One record of the journal. Steps are keyed by sender and the profiles they cover. */
export type JournalRecord =
  | { type: 'plan'; at: string; plan: RunPlan }
  /**
   * Written before a probe is handed to the sender: a crash between this and `submitted` leaves
   * it unknown whether the sender took it, and a resume sends it again only when nothing shows
   * that it did (run-matrix.ts).
   */
  | { type: 'submitting'; at: string; probe: string }
  | { type: 'submitted'; at: string; probe: string; result: SendResult }
  /** A submission attempt that failed transiently and is retried (the last attempt is `submitted`). */
  | { type: 'attempt'; at: string; probe: string; attempt: number; result: SendResult }
  | { type: 'final'; at: string; probe: string; result: SendResult }
  | { type: 'step-start'; at: string; step: string }
  | { type: 'step-end'; at: string; step: string; settled: boolean; dnsQueries?: number | null }
  | { type: 'resumed'; at: string }
  | { type: 'fleet'; at: string; members: FleetMember[] };

export interface JournalState {
  plan: RunPlan;
  submitted: Map<string, SendResult>;
  /** When each probe's submission ended (its `submitted` record). */
  submittedAt: Map<string, string>;
  /** Probes handed to the sender whose answer the journal never got (a crash in between). */
  submitting: Set<string>;
  final: Map<string, SendResult>;
  stepStart: Map<string, string>;
  stepEnd: Map<string, { at: string; settled: boolean; dnsQueries: number | null }>;
  resumes: string[];
  /** The fleet as it last started (where each profile listens, what certificate it serves). */
  members: FleetMember[] | null;
}

/**
 * The run's own append-only journal (JSON Lines, one write(2) per record on an O_APPEND
 * file, like the receivers' event log): the plan, each submission and final word from a
 * sender, and each schedule step's start and end. With events.jsonl it is everything a
 * run needs to continue after a crash, a reboot or kill -9 (`badmx run --resume <dir>`):
 * submitted probes are never sent again, finished steps are not repeated, and a step in
 * progress keeps its original deadline. A torn last line (the crash) is ignored.
 */
export class RunJournal {
  readonly file: string;
  #fd: number | null;

  constructor(file: string, options: { fresh: boolean }) {
    this.file = file;
    // A crash may have torn the last line: end it, so the next record starts a line of its own.
    const torn = !options.fresh && existsSync(file) && !/(^|\n)$/.test(readFileSync(file, 'utf8').slice(-1));
    this.#fd = openSync(file, options.fresh ? 'w' : 'a', 0o644);
    if (torn) writeSync(this.#fd, '\n');
  }

  append(record: JournalRecord): void {
    if (this.#fd === null) return;
    writeSync(this.#fd, `${JSON.stringify(record)}\n`);
  }

  close(): void {
    if (this.#fd !== null) closeSync(this.#fd);
    this.#fd = null;
  }
}

export function readJournal(file: string): JournalState {
  if (!existsSync(file)) {
    throw new BadmxError(`${file} does not exist: --resume needs the directory of a run started by this badmx (it holds ${JOURNAL_FILE})`, 'EUSAGE');
  }
  // badmx wrote it, but it is read back from a directory a user names: at most READ_LIMITS.journal (256 MiB), only a regular file.
  let text: string;
  try {
    text = readBounded(file, READ_LIMITS.journal);
  } catch (error) {
    if (!(error instanceof ReadBoundedError)) throw error;
    throw new BadmxError(`${file}: cannot read the run journal (${error.reason})`, 'EINPUT');
  }
  const lines = text.split('\n');
  const state: Partial<JournalState> & Omit<JournalState, 'plan'> = {
    submitted: new Map(),
    submittedAt: new Map(),
    submitting: new Set(),
    final: new Map(),
    stepStart: new Map(),
    stepEnd: new Map(),
    resumes: [],
    members: null,
  };
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let record: JournalRecord;
    try {
      record = JSON.parse(line) as JournalRecord;
    } catch {
      // Only a crash tears a line: the last one, or one that a resume then ended and followed
      // with its `resumed` record. Anything else is a damaged journal.
      if (i >= lines.length - 2 || /^\{"type":"resumed"/.test(lines[i + 1] ?? '')) return;
      throw new BadmxError(`${file}: line ${i + 1} is not JSON; the run journal is damaged`, 'EINPUT');
    }
    switch (record.type) {
      case 'plan':
        state.plan = record.plan;
        break;
      case 'submitting':
        state.submitting.add(record.probe);
        break;
      case 'submitted':
        state.submitting.delete(record.probe);
        state.submitted.set(record.probe, record.result);
        state.submittedAt.set(record.probe, record.at);
        break;
      case 'final':
        state.final.set(record.probe, record.result);
        break;
      case 'step-start':
        if (!state.stepStart.has(record.step)) state.stepStart.set(record.step, record.at);
        break;
      case 'step-end':
        state.stepEnd.set(record.step, { at: record.at, settled: record.settled, dnsQueries: record.dnsQueries ?? null });
        break;
      case 'resumed':
        state.resumes.push(record.at);
        break;
      case 'fleet':
        state.members = record.members;
        break;
    }
  });
  if (!state.plan) throw new BadmxError(`${file}: no plan record; the run journal is damaged or not a badmx run`, 'EINPUT');
  return state as JournalState;
}
