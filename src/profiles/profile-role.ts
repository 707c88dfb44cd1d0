import { TLS_VERSIONS, type Profile } from './profile-schema.js';

/** Trusted issuer, names that match, within validity, a SHA-256 signature and the whole chain: nothing wrong with it. */
export function hasValidCertificate(profile: Pick<Profile, 'certificate'>): boolean {
  const c = profile.certificate;
  return c.issuer === 'intermediate' && c.names === 'profile' && c.validity === 'current' && c.signature === 'sha256' && c.chain === 'with-intermediate';
}

/**
 * A control profile: STARTTLS offered and working, TLS 1.2 or later, a valid certificate:
 * a receiver configured as it should be. Controls are the run's canaries. A sender that
 * delivers to none of them has not shown that its path to the receivers works at all (DNS,
 * routing, trust of the test root), so its refusals elsewhere prove nothing about its TLS
 * policy (policy/diagnose-sender.ts). Derived from the profile's data, so a profile added to
 * the catalogue is a control exactly when it is configured like one.
 */
export function isControlProfile(profile: Pick<Profile, 'starttls' | 'tls' | 'certificate'>): boolean {
  return (
    profile.starttls === 'offer' &&
    TLS_VERSIONS.indexOf(profile.tls.maxVersion) >= TLS_VERSIONS.indexOf('TLSv1.2') &&
    TLS_VERSIONS.indexOf(profile.tls.minVersion) >= TLS_VERSIONS.indexOf('TLSv1.2') &&
    hasValidCertificate(profile)
  );
}

/**
 * The profiles a run probes: the selection, plus the first control of the catalogue when the
 * selection has none (a run of misconfigured profiles alone could not tell "refused" from
 * "never got there"). Returns the control that was added, if one was.
 */
export function withControl(selected: Profile[], catalogue: Profile[]): { profiles: Profile[]; added: Profile | null } {
  if (selected.some(isControlProfile)) return { profiles: selected, added: null };
  const control = catalogue.find(isControlProfile);
  if (!control) return { profiles: selected, added: null };
  return { profiles: [...selected, control].sort((a, b) => a.slot - b.slot), added: control };
}
