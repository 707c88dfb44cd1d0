import type { Addressing } from '../profiles/addressing.js';
import { isControlProfile } from '../profiles/profile-role.js';
import { phaseCount } from '../profiles/profile-phases.js';
import type { Profile } from '../profiles/profile-schema.js';
import type { Sender } from '../senders/sender.js';

/**
 * One step of a run's schedule: some senders' probes for some profiles, sent and awaited
 * together. `key` names the step in the run journal.
 */
export interface Step<S extends Pick<Sender, 'label'> = Sender> {
  key: string;
  senders: S[];
  profiles: string[];
  /** A later phase of a multi-phase profile (profiles/profile-phases.ts): its one profile moves to this phase first. Absent: phase 1. */
  phase?: number;
  /**
   * The profiles its window covers, when more than `profiles`: a later phase's step probes one
   * profile, but where every profile listens its senders still run and still retry what the
   * steps before left deferred; those attempts are theirs, not strays (classify/attribute.ts).
   */
  covers?: string[];
}

/** A step as it ran, for one of its senders: the window that connections with nothing to name their probe are attributed by. */
export interface StepWindow {
  sender: string;
  profiles: string[];
  start: string;
  end: string;
  settled: boolean;
  /** In-zone questions the harness DNS answered during the step (all its senders'); null when the run served no DNS. */
  dnsQueries?: number | null;
  /** A step of a later phase of a multi-phase profile (Step.phase). */
  phase?: number;
}

/**
 * How a run's senders share the receivers. `concurrent` (every run planned by this badmx):
 * all senders at once, each step awaited by all of them. `one-at-a-time`: a run planned by an
 * earlier badmx, resumed as it was planned (its journal names the steps it finished).
 */
export type SenderSchedule = 'concurrent' | 'one-at-a-time';

/**
 * The schedule. Every sender's probes are in flight together: a probe names its sender in
 * its recipient, envelope sender and Message-ID, and a connection that names no probe (one a
 * sender gave up before MAIL FROM) is told apart by who made it: its address and EHLO name,
 * which the sender showed on its connections that did name a probe (classify/attribute.ts).
 *
 * - Every profile on its own address (or port): one step, every sender, every profile live.
 * - One shared address: one step per profile, every sender's probe for it, only that profile
 *   live. A vendor reaching the shared address can then only be talking to the live profile;
 *   the harness DNS answers SERVFAIL for the others, so a late retry waits rather than arriving
 *   at the wrong receiver, and one that arrives anyway (a cached answer) names its own probe in
 *   RCPT and is kept out of the live profile's cell (misdirected).
 */
export function planSteps<S extends Pick<Sender, 'label'>>(
  senders: S[],
  profiles: Pick<Profile, 'name' | 'starttls' | 'tls' | 'certificate' | 'phases'>[],
  addressing: Addressing,
  schedule: SenderSchedule = 'concurrent',
): Step<S>[] {
  const first = firstPhaseSteps(senders, profiles, addressing, schedule);
  // Each later phase of a multi-phase profile is a step of its own, right after the step that
  // probed its phase before (which has then settled): `* <profile>@<phase>`, every sender.
  return first.flatMap((step) => [
    step,
    ...profiles
      .filter((p) => step.profiles.includes(p.name) && phaseCount(p) > 1 && step.senders.length > 0)
      .flatMap((p) =>
        Array.from({ length: phaseCount(p) - 1 }, (_, i) => ({
          key: `${schedule === 'one-at-a-time' ? (step.senders[0]?.label ?? '*') : '*'} ${p.name}@${i + 2}`,
          senders: [...step.senders],
          profiles: [p.name],
          phase: i + 2,
          ...(addressing.kind === 'shared' ? {} : { covers: profiles.map((q) => q.name) }),
        })),
      ),
  ]);
}

function firstPhaseSteps<S extends Pick<Sender, 'label'>>(
  senders: S[],
  profiles: Pick<Profile, 'name' | 'starttls' | 'tls' | 'certificate' | 'phases'>[],
  addressing: Addressing,
  schedule: SenderSchedule,
): Step<S>[] {
  // The controls first: a sender that cannot deliver to them shows it in the first steps (policy/diagnose-sender.ts).
  const ordered = [...profiles.filter(isControlProfile), ...profiles.filter((p) => !isControlProfile(p))];
  if (schedule === 'one-at-a-time') {
    if (addressing.kind !== 'shared') return senders.map((sender) => ({ key: `${sender.label} *`, senders: [sender], profiles: profiles.map((p) => p.name) }));
    return senders.flatMap((sender) => ordered.map((profile) => ({ key: `${sender.label} ${profile.name}`, senders: [sender], profiles: [profile.name] })));
  }
  if (senders.length === 0) return [];
  if (addressing.kind !== 'shared') return [{ key: '* *', senders: [...senders], profiles: profiles.map((p) => p.name) }];
  return ordered.map((profile) => ({ key: `* ${profile.name}`, senders: [...senders], profiles: [profile.name] }));
}
