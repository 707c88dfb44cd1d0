import { offersTls } from '../profiles/profile-role.js';
import type { Profile } from '../profiles/profile-schema.js';
import { DEFAULT_NAMING, ELSEWHERE_NAMES, policyHostname, profileNames, type Naming } from '../profiles/naming.js';
import { crlUrl } from '../profiles/revocation.js';

/**
 * What certificates the fleet needs, as data: two CA hierarchies (the trusted one whose
 * root is the bundle a sender trusts, and an untrusted twin of the same shape) and one
 * leaf per profile. Each spec differs from a correct one in exactly the way its profile
 * says, so that a profile isolates one misconfiguration.
 */

export type CaId = 'root' | 'intermediate' | 'untrusted-root' | 'untrusted-intermediate' | 'expired-intermediate';
export type CertId = CaId | `leaf-${string}`;

/** Validity relative to the time of issue, in days (negative: in the past). */
export interface ValidityWindow {
  notBeforeDays: number;
  notAfterDays: number;
}

export interface CertSpec {
  id: CertId;
  ca: boolean;
  commonName: string;
  /** DNS subjectAltNames (leaves only). */
  dnsNames: string[];
  /** The CA that signs it, or 'self'. */
  issuer: CaId | 'self';
  signature: 'sha256' | 'sha1';
  validity: ValidityWindow;
  /** How the cert's validity should relate to "now" for it to still serve its purpose. */
  expect: 'valid' | 'expired' | 'not-yet-valid';
  /** Set only where they differ from a correct leaf (2048-bit RSA, SANs, serverAuth), so the specs of the others are unchanged. */
  keyBits?: 1024;
  /** `cn-only`: the name in the subject CN and no subjectAltName extension. */
  san?: 'none';
  eku?: 'client-auth-only';
  /** The leaf's CRL distribution point (RFC 5280 §4.2.1.13); set only for a revoked leaf, whose issuer's CRL lists it. */
  crlUrl?: string;
  /** Revoked by its issuer: the PKI makes the CRL and the OCSP response that say so (certs/revocation.ts). */
  revoked?: true;
}

export interface LeafPlan {
  profile: string;
  leaf: CertId;
  /** The CA certificates served after the leaf, in order. */
  chain: CaId[];
}

export interface CertPlan {
  zone: string;
  certs: CertSpec[];
  leaves: LeafPlan[];
}

const CA_VALIDITY: ValidityWindow = { notBeforeDays: -365, notAfterDays: 365 * 20 };
const LEAF_VALIDITY: ValidityWindow = { notBeforeDays: -1, notAfterDays: 397 };
const EXPIRED_VALIDITY: ValidityWindow = { notBeforeDays: -90, notAfterDays: -30 };
const FUTURE_VALIDITY: ValidityWindow = { notBeforeDays: 365 * 5, notAfterDays: 365 * 6 };
/** The expired intermediate: valid for a year, which ended 30 days ago (its leaf is current: only the CA is out of date). */
const EXPIRED_CA_VALIDITY: ValidityWindow = { notBeforeDays: -395, notAfterDays: -30 };

export function planCertificates(profiles: Profile[], zone: string, naming: Naming = DEFAULT_NAMING): CertPlan {
  const ca = (id: CaId, commonName: string, issuer: CaId | 'self'): CertSpec => ({
    id,
    ca: true,
    commonName,
    dnsNames: [],
    issuer,
    signature: 'sha256',
    validity: CA_VALIDITY,
    expect: 'valid',
  });
  const certs: CertSpec[] = [
    ca('root', `badmx Test Root CA (${zone})`, 'self'),
    ca('intermediate', `badmx Test Intermediate CA (${zone})`, 'root'),
    ca('untrusted-root', `badmx Untrusted Root CA (${zone}, never in the bundle)`, 'self'),
    ca('untrusted-intermediate', `badmx Untrusted Intermediate CA (${zone})`, 'untrusted-root'),
  ];
  // An intermediate of the trusted root whose validity ended: made only when a profile needs it
  // (the expired-intermediate profile), so that other catalogues' PKIs do not change.
  if (profiles.some((p) => p.certificate.issuer === 'expired-intermediate')) {
    certs.push({ ...ca('expired-intermediate', `badmx Expired Intermediate CA (${zone})`, 'root'), validity: EXPIRED_CA_VALIDITY, expect: 'expired' });
  }
  const leaves: LeafPlan[] = [];

  // Profiles that never complete a handshake (no STARTTLS, 454, aborted handshake) present no certificate.
  // A DANE profile without STARTTLS still holds a key: its TLSA record names it (dane-no-starttls).
  for (const profile of profiles.filter((p) => offersTls(p) || p.dane)) {
    const spec = profile.certificate;
    const own = profileNames(profile, zone, naming);
    const names = spec.names === 'elsewhere' ? [...ELSEWHERE_NAMES] : spec.names === 'cn-only' ? [own.hostname] : [own.hostname, own.domain];
    const issuer: CaId | 'self' =
      spec.issuer === 'self'
        ? 'self'
        : spec.issuer === 'untrusted-root'
          ? 'untrusted-intermediate'
          : spec.issuer === 'expired-intermediate'
            ? 'expired-intermediate'
            : 'intermediate';
    const id: CertId = `leaf-${profile.name}`;
    certs.push({
      id,
      ca: false,
      commonName: names[0] ?? profile.name,
      dnsNames: names,
      issuer,
      signature: spec.signature,
      validity:
        spec.validity === 'expired' ? EXPIRED_VALIDITY : spec.validity === 'not-yet-valid' ? FUTURE_VALIDITY : LEAF_VALIDITY,
      expect: spec.validity === 'current' ? 'valid' : spec.validity,
      ...(spec.keyBits === 1024 ? { keyBits: 1024 as const } : {}),
      ...(spec.names === 'cn-only' ? { san: 'none' as const } : {}),
      ...(spec.eku === 'client-auth-only' ? { eku: 'client-auth-only' as const } : {}),
      ...(spec.revoked ? { crlUrl: crlUrl(own.domain), revoked: true as const } : {}),
    });
    leaves.push({
      profile: profile.name,
      leaf: id,
      chain: issuer === 'self' || spec.chain === 'leaf-only' ? [] : [issuer],
    });
  }
  // A receiver that requires SNI: what it presents to a client that names neither of its names,
  // a trusted certificate for other names (as a host serving several domains presents its default).
  for (const profile of profiles.filter((p) => p.starttls === 'offer' && p.tls.sni === 'required')) {
    const id: CertId = `leaf-sni-default-${profile.name}`;
    certs.push({ id, ca: false, commonName: ELSEWHERE_NAMES[0], dnsNames: [...ELSEWHERE_NAMES], issuer: 'intermediate', signature: 'sha256', validity: LEAF_VALIDITY, expect: 'valid' });
    leaves.push({ profile: sniDefaultCredentialsKey(profile.name), leaf: id, chain: ['intermediate'] });
  }
  // MTA-STS policy hosts (RFC 8461 §3.3): a certificate for mta-sts.<domain>, from the trusted
  // intermediate (a valid policy) or self-signed (`policy: bad-certificate`: a fetch that a
  // sender must not accept). An unreachable policy host serves nothing, so needs none.
  for (const profile of profiles.filter((p) => p.mtaSts && p.mtaSts.policy !== 'unreachable')) {
    const host = policyHostname(profileNames(profile, zone, naming).domain);
    const selfSigned = profile.mtaSts?.policy === 'bad-certificate';
    const id: CertId = `leaf-policy-${profile.name}`;
    certs.push({ id, ca: false, commonName: host, dnsNames: [host], issuer: selfSigned ? 'self' : 'intermediate', signature: 'sha256', validity: LEAF_VALIDITY, expect: 'valid' });
    leaves.push({ profile: policyCredentialsKey(profile.name), leaf: id, chain: selfSigned ? [] : ['intermediate'] });
  }
  return { zone, certs, leaves };
}

/** Where the certificate a SNI-requiring profile presents without SNI sits in Pki.credentials. */
export function sniDefaultCredentialsKey(profile: string): string {
  return `sni-default@${profile}`;
}

/** Where a profile's MTA-STS policy host certificate sits in Pki.credentials. */
export function policyCredentialsKey(profile: string): string {
  return `mta-sts@${profile}`;
}
