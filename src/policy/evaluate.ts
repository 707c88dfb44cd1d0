import type { Classification } from '../classify/outcome.js';
import { isDelivered } from '../classify/outcome.js';
import { daneMet, offersTls, tlsPastTampering, declaredDaneState, declaredStsMode, hasRevokedCertificate, hasValidCertificate, hasWeakKeyExchange, stsPolicyMet } from '../profiles/profile-role.js';
import { TLS_VERSIONS, type Profile, type ProfileTlsVersion } from '../profiles/profile-schema.js';
import type { Policy, PolicyRule } from './policy-schema.js';

/** `inconclusive`: the probe was not actually tested (judge-cell.ts); never decided by a policy rule. */
export type Verdict = 'pass' | 'fail' | 'inconclusive';

export interface VerdictResult {
  verdict: Exclude<Verdict, 'inconclusive'>;
  /** One line saying why. */
  reason: string;
  expected: PolicyRule['expect'];
}

/** Facts about a profile that policies can test. */
export function profileFacts(profile: Profile) {
  return {
    tlsOffered: offersTls(profile),
    maxVersion: profile.tls.maxVersion,
    certificateValid: hasValidCertificate(profile),
    stsMode: declaredStsMode(profile),
    stsPolicyMet: stsPolicyMet(profile),
    daneState: declaredDaneState(profile),
    daneMet: daneMet(profile),
    weakKeyExchange: hasWeakKeyExchange(profile),
    certificateRevoked: hasRevokedCertificate(profile),
    serviceRefused: profile.tampering?.greeting !== undefined,
    tlsPastTampering: tlsPastTampering(profile),
  };
}

export function ruleFor(policy: Policy, profile: Profile): PolicyRule {
  const facts = profileFacts(profile);
  const rule = policy.rules.find(({ when }) => {
    if (!when) return true;
    if (when.tlsOffered !== undefined && when.tlsOffered !== facts.tlsOffered) return false;
    if (when.certificateValid !== undefined && when.certificateValid !== facts.certificateValid) return false;
    if (when.maxVersionAtLeast && versionRank(facts.maxVersion) < versionRank(when.maxVersionAtLeast)) return false;
    if (when.stsMode !== undefined && when.stsMode !== facts.stsMode) return false;
    if (when.stsPolicyMet !== undefined && when.stsPolicyMet !== facts.stsPolicyMet) return false;
    if (when.daneState !== undefined && when.daneState !== facts.daneState) return false;
    if (when.daneMet !== undefined && when.daneMet !== facts.daneMet) return false;
    if (when.weakKeyExchange !== undefined && when.weakKeyExchange !== facts.weakKeyExchange) return false;
    if (when.certificateRevoked !== undefined && when.certificateRevoked !== facts.certificateRevoked) return false;
    if (when.serviceRefused !== undefined && when.serviceRefused !== facts.serviceRefused) return false;
    if (when.tlsPastTampering !== undefined && when.tlsPastTampering !== facts.tlsPastTampering) return false;
    if (when.profiles && !when.profiles.includes(profile.name)) return false;
    return true;
  });
  // the schema makes the last rule unconditional
  return rule ?? (policy.rules[policy.rules.length - 1] as PolicyRule);
}

/**
 * @param cell.injected what shows the sender acted on plaintext injected before TLS
 * (classify/attack.ts injectionSignal): a failure under every policy, whatever it then
 * delivered, since a man in the middle chose what it read as its TLS session's reply.
 */
export function evaluate(policy: Policy, profile: Profile, cell: Pick<Classification, 'outcome' | 'tls'> & { injected?: string | null }): VerdictResult {
  const rule = ruleFor(policy, profile);
  const how = describe(cell);
  if (cell.injected) {
    return { verdict: 'fail', expected: rule.expect, reason: `${how}, but vulnerable to response injection (STARTTLS buffering, EAST B_1): ${cell.injected}` };
  }
  const delivered = isDelivered(cell.outcome);
  switch (rule.expect) {
    case 'not-delivered':
      return delivered
        ? { verdict: 'fail', expected: rule.expect, reason: `${how}, but must not deliver: ${rule.because}` }
        : { verdict: 'pass', expected: rule.expect, reason: `${how}: correct, ${rule.because}` };
    case 'delivered':
      return delivered
        ? { verdict: 'pass', expected: rule.expect, reason: `${how}: ${rule.because}` }
        : { verdict: 'fail', expected: rule.expect, reason: `${how}, but should have delivered: ${rule.because}` };
    case 'no-plaintext':
    case 'delivered-tls': {
      // no-plaintext: no delivery is sound; a delivery must be as delivered-tls asks.
      if (rule.expect === 'no-plaintext' && !delivered) return { verdict: 'pass', expected: rule.expect, reason: `${how}: ${rule.because}` };
      if (cell.outcome !== 'delivered-tls' || !cell.tls) {
        return { verdict: 'fail', expected: rule.expect, reason: `${how}, but should have delivered over TLS: ${rule.because}` };
      }
      if (rule.minVersion && (cell.tls.version === 'unknown' || versionRank(cell.tls.version) < versionRank(rule.minVersion))) {
        return { verdict: 'fail', expected: rule.expect, reason: `${how}, below the required ${rule.minVersion}` };
      }
      return { verdict: 'pass', expected: rule.expect, reason: `${how}: ${rule.because}` };
    }
  }
}

function describe(cell: Pick<Classification, 'outcome' | 'tls'>): string {
  switch (cell.outcome) {
    case 'delivered-tls':
      return `delivered over ${cell.tls?.version ?? 'TLS'}`;
    case 'delivered-plaintext':
      return 'delivered in plaintext';
    case 'plaintext-after-tls-failure':
      return 'delivered in plaintext after TLS failed (downgrade)';
    case 'refused-before-tls':
      return 'did not deliver (no usable STARTTLS)';
    case 'refused-at-handshake':
      return 'did not deliver (refused at the TLS handshake)';
    case 'refused-after-handshake':
      return 'did not deliver (left after the TLS handshake)';
    case 'not-attempted':
      return 'never connected';
  }
}

function versionRank(version: string): number {
  return TLS_VERSIONS.indexOf(version as ProfileTlsVersion);
}
