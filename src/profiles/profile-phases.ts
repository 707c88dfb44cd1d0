import type { Profile } from './profile-schema.js';

/**
 * Multi-phase profiles (profile-schema.ts `phases`): the profile as it is in each phase, and
 * as a policy judges it. Phase 1 is the profile as written; phase N applies `phases[N - 2]`.
 */

/** How many phases a profile has: 1 for an ordinary profile. */
export function phaseCount(profile: Pick<Profile, 'phases'>): number {
  return 1 + (profile.phases?.length ?? 0);
}

/** The profile as its receiver and policy host behave in `phase` (1-based). */
export function profileInPhase(profile: Profile, phase: number): Profile {
  if (phase <= 1) return profile;
  const change = profile.phases?.[phase - 2];
  if (!change) throw new Error(`profile ${profile.name} has no phase ${phase}`);
  return {
    ...profile,
    starttls: change.starttls ?? profile.starttls,
    ...(profile.mtaSts ? { mtaSts: { ...profile.mtaSts, policy: change.mtaSts?.policy ?? profile.mtaSts.policy } } : {}),
  };
}

/**
 * The profile a policy judges: the last phase's receiver, and the MTA-STS policy of the first.
 * A sender that fetched a valid policy in phase 1 holds it until max_age runs out (RFC 8461
 * §3.3: "if no 'live' policy can be discovered via DNS or fetched via HTTPS, but a valid
 * (non-expired) policy exists in the sender's cache, the sender MUST apply that cached
 * policy"), so a policy host that stops answering later takes nothing away (§10.2).
 */
export function judgedProfile(profile: Profile): Profile {
  const phases = phaseCount(profile);
  if (phases === 1) return profile;
  const last = profileInPhase(profile, phases);
  return { ...last, ...(profile.mtaSts ? { mtaSts: profile.mtaSts } : {}) };
}
