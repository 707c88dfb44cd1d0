import type { ProfileNames } from '../profiles/naming.js';
import { TLS_VERSIONS, type Profile } from '../profiles/profile-schema.js';
import { offersTls } from '../profiles/profile-role.js';
import { namesCover } from './name-coverage.js';
import type { UserCertificate } from './user-certificate.js';

/**
 * Which certificate each profile serves: the generated test PKI's, or the operator's
 * own publicly trusted one (--cert/--key). A sender on the internet trusts only public
 * roots, so a profile whose certificate must be right (the controls, the TLS-version
 * profiles) is only a fair test with a public certificate. The bad-certificate profiles
 * keep their generated certificates: no public CA issues an expired, SHA-1 or self-signed
 * certificate on request, and each must differ from a correct one in exactly one way.
 */

/**
 * What a profile's certificate is for, derived from its spec in receivers/*.json:
 * - `valid`: valid chain, matching names (tls1.0 ... tls1.3): the user's certificate when it covers both names.
 * - `wrong-name`: valid chain, names elsewhere (wrong-host): the user's certificate when it covers neither name.
 * - `fault`: any other certificate fault: always generated.
 * - `none`: the profile never completes a handshake (no STARTTLS, 454, aborted), so presents no certificate.
 */
export type CertificateRole = 'valid' | 'wrong-name' | 'fault' | 'none';

export type CertificateSource = 'user' | 'generated' | 'none';

export interface ServedCertificate {
  source: CertificateSource;
  /** Whether the user's certificate covers the MX hostname; null without one, or when no certificate is presented. */
  coversMx: boolean | null;
  /** Whether the user's certificate covers the recipient domain; null likewise. */
  coversDomain: boolean | null;
}

export interface ServedChoice extends ServedCertificate {
  role: CertificateRole;
  /** Why a profile that should serve the user's certificate does not (one clause), else null. */
  shortfall: string | null;
}

export function certificateRole(profile: Pick<Profile, 'starttls' | 'certificate'> & { tampering?: Profile['tampering'] | null }): CertificateRole {
  // A tampered transition completes no handshake, except response injection's (offersTls).
  if (!offersTls(profile)) return 'none';
  const c = profile.certificate;
  const chainValid =
    c.issuer === 'intermediate' && c.validity === 'current' && c.signature === 'sha256' && c.chain === 'with-intermediate' && c.keyBits === 2048 && c.eku === 'server-auth' && c.names !== 'cn-only' && c.revoked !== true;
  if (!chainValid) return 'fault';
  return c.names === 'profile' ? 'valid' : 'wrong-name';
}

export function chooseServedCertificate(profile: Profile, names: ProfileNames, user: UserCertificate | null): ServedChoice {
  const role = certificateRole(profile);
  if (role === 'none') return { role, source: 'none', coversMx: null, coversDomain: null, shortfall: null };
  if (!user) return { role, source: 'generated', coversMx: null, coversDomain: null, shortfall: null };
  const coversMx = namesCover(user.dnsNames, names.hostname);
  const coversDomain = namesCover(user.dnsNames, names.domain);
  const generated = (shortfall: string | null): ServedChoice => ({ role, source: 'generated', coversMx, coversDomain, shortfall });
  switch (role) {
    case 'fault':
      return generated(null);
    case 'valid': {
      // Both names: senders check the MX hostname (RFC 7672 DANE, RFC 8461 MTA-STS, Postfix "verify")
      // or the recipient domain (Postfix "secure" by default): a control must satisfy either kind.
      if (!coversMx || !coversDomain) {
        const missing = [...(coversMx ? [] : [names.hostname]), ...(coversDomain ? [] : [names.domain])];
        return generated(`it does not cover ${missing.join(' or ')}`);
      }
      // DANE-TA (RFC 7672 §3.1.2): the record names the issuer, which must be sent in the chain.
      if (profile.dane?.tlsa === 'ta' && user.chainLength < 2) return generated('it is sent without its issuer, which the DANE-TA record must name');
      const incompatible = keyIncompatibility(profile, user.keyType);
      return incompatible ? generated(incompatible) : { role, source: 'user', coversMx, coversDomain, shortfall: null };
    }
    case 'wrong-name': {
      // The misconfiguration is exactly "trusted chain, wrong name": the user's certificate when it names neither.
      if (coversMx || coversDomain) return generated(`it covers ${coversMx ? names.hostname : names.domain}, so it would not be the wrong host there`);
      const incompatible = keyIncompatibility(profile, user.keyType);
      return incompatible ? generated(incompatible) : { role, source: 'user', coversMx, coversDomain, shortfall: null };
    }
  }
}

/**
 * Below TLS 1.3 the cipher suite fixes the certificate's key type (RFC 5246 §7.4.2): the
 * static-RSA and ECDHE-RSA suites the TLS 1.0/1.1 profiles offer cannot complete with an
 * ECDSA or EdDSA key, so OpenSSL would fail every handshake ("no shared cipher") and the
 * profile would silently become a handshake failure. TLS 1.3 suites are independent of
 * the key (RFC 8446 §4.2.3). Returns why the key cannot serve the profile, or null.
 */
export function keyIncompatibility(profile: Pick<Profile, 'tls'>, keyType: string): string | null {
  if (keyType === 'rsa') return null;
  const first = TLS_VERSIONS.indexOf(profile.tls.minVersion);
  const last = TLS_VERSIONS.indexOf(profile.tls.maxVersion);
  const versions = TLS_VERSIONS.slice(first, last + 1);
  // Node's default list has ECDSA suites; an explicit list needs one.
  const hasSuiteForKey = profile.tls.ciphers === undefined || /(^|[:+])ECDHE-ECDSA-|(^|[:+])aECDSA/.test(profile.tls.ciphers);
  const stuck = versions.filter((v) => v !== 'TLSv1.3' && !hasSuiteForKey);
  if (stuck.length === 0) return null;
  return `its ${keyType.toUpperCase()} key cannot complete the ${stuck.join('/')} cipher suites this profile offers (they need an RSA key)`;
}

/**
 * The one line said before anything runs when, in public mode, a profile whose verdict
 * depends on a trusted certificate serves the generated one: a vendor that trusts only
 * public roots will refuse it, which is then correct behaviour and not a policy failure.
 * Null when every such profile serves the user's certificate, or in local mode.
 */
export function servedCertificateWarning(input: {
  choices: { profile: string; choice: ServedChoice }[];
  user: UserCertificate | null;
  publicZone: boolean;
  zone: string;
  naming: string;
}): string | null {
  if (!input.publicZone) return null;
  const affected = input.choices.filter(({ choice }) => (choice.role === 'valid' || choice.role === 'wrong-name') && choice.source !== 'user');
  if (affected.length === 0) return null;
  const names = affected.map((a) => a.profile).join(', ');
  const consequence = `verdicts for ${names} depend on the sender trusting the badmx test root`;
  if (!input.user) return `no publicly trusted certificate (--cert/--key): ${consequence}`;
  const reasons = affected.map((a) => `${a.profile}: ${a.choice.shortfall ?? 'not served'}`).join('; ');
  const wildcard = `*.${input.zone}`;
  const hint =
    input.naming === 'nested' && input.user.dnsNames.some((n) => n.toLowerCase() === wildcard)
      ? ` (a ${wildcard} wildcard covers one label only: use --naming flat)`
      : '';
  return `certificate ${input.user.certFile} is not served everywhere it should be (${reasons}): ${consequence}${hint}`;
}
