import { TLS_VERSIONS, type CertificateSpec, type DaneSpec, type MtaStsSpec, type Profile } from './profile-schema.js';

/** A certificate as profiles and runs state it: keyBits and eku are absent in runs from before the weak-crypto suite. */
export type CertificateFacts = Omit<CertificateSpec, 'keyBits' | 'eku'> & Partial<Pick<CertificateSpec, 'keyBits' | 'eku'>>;

/** Trusted issuer, names that match, within validity, a SHA-256 signature and the whole chain: nothing wrong with it. */
export function hasValidCertificate(profile: { certificate: CertificateFacts }): boolean {
  const c = profile.certificate;
  return (
    c.issuer === 'intermediate' &&
    c.names === 'profile' &&
    c.validity === 'current' &&
    c.signature === 'sha256' &&
    c.chain === 'with-intermediate' &&
    // Absent in profiles read back from runs written before these were recorded: the defaults.
    (c.keyBits ?? 2048) >= 2048 &&
    (c.eku ?? 'server-auth') === 'server-auth' &&
    // RFC 5280 §6.1.3 (a)(3): a certificate its issuer has revoked does not validate, whether or not a client looks.
    c.revoked !== true
  );
}

/**
 * The leaf's issuer has revoked it, and says so by CRL and by a stapled OCSP response
 * (profiles/revocation.ts). A policy condition of its own (`certificateRevoked`), besides
 * `certificateValid` (which is false for it too), for a policy that wants to single it out.
 */
export function hasRevokedCertificate(profile: { certificate: Pick<CertificateFacts, 'revoked'> }): boolean {
  return profile.certificate.revoked === true;
}

/**
 * A key exchange below current floors: DHE over a group of fewer than 2048 bits (Logjam; RFC 9325
 * §4.5 requires at least 2048, as does NIST SP 800-52r2). What a strict sender must refuse.
 */
export function hasWeakKeyExchange(profile: Pick<Profile, 'tls'>): boolean {
  return profile.tls.dhGroup !== undefined && profile.tls.dhGroup < 2048;
}

/**
 * A control profile: STARTTLS offered and working, TLS 1.2 or later, a valid certificate:
 * a receiver configured as it should be. Controls are the run's canaries. A sender that
 * delivers to none of them has not shown that its path to the receivers works at all (DNS,
 * routing, trust of the test root), so its refusals elsewhere prove nothing about its TLS
 * policy (policy/diagnose-sender.ts). Derived from the profile's data, so a profile added to
 * the catalogue is a control exactly when it is configured like one.
 */
export function isControlProfile(
  profile: Pick<Profile, 'starttls' | 'tls'> & {
    certificate: CertificateFacts;
    suite?: Profile['suite'];
    mtaSts?: MtaStsSpec | null;
    dane?: DaneSpec | null;
    tampering?: Profile['tampering'] | null;
    phases?: Profile['phases'];
  },
): boolean {
  return (
    // A weak-crypto receiver is a test of that weakness (no forward secrecy, no AEAD: static-rsa, cbc-only), never a canary.
    profile.suite !== 'weak-crypto' &&
    // A profile whose later phase is an attack is a test, whatever its first phase.
    !profile.phases?.length &&
    // DANE: only where validated TLSA records match what is served (dane-ee-valid, dane-ta-valid);
    // a bogus or unsigned TLSA RRset, or one that matches nothing, is what a profile tests.
    (!profile.dane || (declaredDaneState(profile) === 'secure' && daneMet({ starttls: profile.starttls, certificate: profile.certificate, dane: profile.dane }))) &&
    // A receiver whose declared policy its MX cannot meet is a test, not a canary (sts-enforce-mx-mismatch).
    (declaredStsMode(profile) !== 'enforce' || stsPolicyMet({ starttls: profile.starttls, certificate: profile.certificate, mtaSts: profile.mtaSts })) &&
    profile.starttls === 'offer' &&
    !profile.tampering &&
    TLS_VERSIONS.indexOf(profile.tls.maxVersion) >= TLS_VERSIONS.indexOf('TLSv1.2') &&
    TLS_VERSIONS.indexOf(profile.tls.minVersion) >= TLS_VERSIONS.indexOf('TLSv1.2') &&
    hasValidCertificate(profile) &&
    !hasWeakKeyExchange(profile)
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

/**
 * The MTA-STS mode a sender learns from the profile (RFC 8461 §3): its `mode` when the policy
 * can be fetched, `none` when there is no policy or it cannot be fetched. §3.3: a policy host
 * that refuses the connection or presents an invalid certificate yields no policy, and with
 * no policy cached the sender "MUST continue with delivery as though the domain has not
 * implemented MTA-STS" (§5).
 */
export function declaredStsMode(profile: { mtaSts?: MtaStsSpec | null }): 'enforce' | 'testing' | 'none' {
  const sts = profile.mtaSts;
  if (!sts || sts.policy !== 'served') return 'none';
  return sts.mode;
}

/**
 * Whether the MX meets the profile's MTA-STS policy (RFC 8461 §5, "Policy Application"): a
 * policy `mx` pattern matches the MX host (§4.1), it offers STARTTLS, and its certificate is
 * valid for that host under PKIX (§4.2). True where no policy applies.
 */
export function stsPolicyMet(profile: Pick<Profile, 'starttls'> & { certificate: CertificateFacts; mtaSts?: MtaStsSpec | null }): boolean {
  if (declaredStsMode(profile) === 'none') return true;
  return profile.mtaSts?.mx === 'covered' && profile.starttls === 'offer' && hasValidCertificate(profile);
}

/**
 * What a validating sender learns about the MX host's TLSA RRset (RFC 7672 §2.1, §2.2):
 * `secure` (usable TLSA records: DANE applies), `bogus` (the lookup fails validation: §2.1.1,
 * the host is not used), `insecure` (an unsigned part of the tree: TLSA records there are
 * not used), or `none` where the profile publishes no TLSA records.
 */
export function declaredDaneState(profile: { dane?: DaneSpec | null }): 'secure' | 'bogus' | 'insecure' | 'none' {
  return profile.dane ? profile.dane.dnssec : 'none';
}

/**
 * Whether the MX can be authenticated by its TLSA records (RFC 7672 §3): STARTTLS offered, and
 * the records match what it presents. DANE-EE (`3 1 1` of the served key) matches whatever the
 * certificate's names, issuer and dates (§3.1.1); DANE-TA (`2 1 1` of the issuing intermediate)
 * needs the chain up to that intermediate, a name that matches the MX host and dates that hold
 * (§3.1.2, §3.2.3); `no-match` matches nothing. True where no secure TLSA records apply.
 */
export function daneMet(profile: Pick<Profile, 'starttls'> & { certificate: CertificateFacts; dane?: DaneSpec | null }): boolean {
  if (declaredDaneState(profile) !== 'secure') return true;
  if (profile.starttls !== 'offer') return false;
  const c = profile.certificate;
  switch (profile.dane?.tlsa) {
    case 'ee':
      return true;
    case 'ta':
      return c.issuer === 'intermediate' && c.chain === 'with-intermediate' && c.names === 'profile' && c.validity === 'current';
    default:
      return false;
  }
}

/**
 * The DANE profiles a DNS provider cannot publish as the profile says: a provider signs every
 * record it serves (no broken signature on purpose) and a zone file cannot hold a child zone's
 * data below its delegation. Only badmx's own DNS (local runs, delegated public mode) can.
 */
export function needsOwnDns(profile: { dane?: DaneSpec | null }): boolean {
  return profile.dane !== undefined && profile.dane !== null && profile.dane.dnssec !== 'secure';
}

/**
 * Whether a sender can have TLS here at all: STARTTLS advertised and completed. A tampered
 * transition (the tampering suite) leaves it none, whatever is advertised, except past the
 * tampering of tlsPastTampering, whose handshake is real.
 */
export function offersTls(profile: Pick<Profile, 'starttls'> & { tampering?: Profile['tampering'] | null }): boolean {
  return profile.starttls === 'offer' && (!profile.tampering || tlsPastTampering(profile));
}

/**
 * Whether a sender can still have TLS past what the man in the middle did: response injection
 * (the handshake after the forged lines is real) and STARTTLS advertised only from the second
 * EHLO (the transition is real when asked for).
 */
export function tlsPastTampering(profile: { tampering?: Profile['tampering'] | null }): boolean {
  return profile.tampering?.injection !== undefined || profile.tampering?.starttlsAdvertised !== undefined;
}
