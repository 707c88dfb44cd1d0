import type { Addressing } from '../profiles/addressing.js';
import { isControlProfile } from '../profiles/profile-role.js';
import type { Profile } from '../profiles/profile-schema.js';
import type { Sender } from '../senders/sender.js';

/**
 * One step of a run's schedule: a sender's probes for some profiles, sent and awaited
 * together. `key` names the step in the run journal.
 */
export interface Step<S extends Pick<Sender, 'label'> = Sender> {
  key: string;
  sender: S;
  profiles: string[];
}

/** A step as it ran: the window that connections with nothing to name their probe are attributed by. */
export interface StepWindow {
  sender: string;
  profiles: string[];
  start: string;
  end: string;
  settled: boolean;
  /** In-zone questions the harness DNS answered during the step; null when the run served no DNS. */
  dnsQueries?: number | null;
}

/**
 * The schedule. Senders always run one after another, so that a connection that never
 * names its probe (refused before MAIL FROM) belongs to the sender whose window it fell in.
 *
 * - Every profile on its own address (or port): one step per sender, all profiles live.
 * - One shared address: one step per (sender, profile), only that profile live. A vendor
 *   reaching the shared address can then only be talking to the live profile; the harness
 *   DNS answers SERVFAIL for the others, so a late retry waits rather than arriving at the
 *   wrong receiver, and one that arrives anyway (a cached answer) names its own probe in
 *   RCPT and is kept out of the live profile's cell.
 */
export function planSteps<S extends Pick<Sender, 'label'>>(
  senders: S[],
  profiles: Pick<Profile, 'name' | 'starttls' | 'tls' | 'certificate'>[],
  addressing: Addressing,
): Step<S>[] {
  if (addressing.kind !== 'shared') {
    return senders.map((sender) => ({ key: `${sender.label} *`, sender, profiles: profiles.map((p) => p.name) }));
  }
  // The controls first: a sender that cannot deliver to them shows it in the first steps (policy/diagnose-sender.ts).
  const ordered = [...profiles.filter(isControlProfile), ...profiles.filter((p) => !isControlProfile(p))];
  return senders.flatMap((sender) => ordered.map((profile) => ({ key: `${sender.label} ${profile.name}`, sender, profiles: [profile.name] })));
}
