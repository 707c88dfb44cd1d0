import type { ProfileNames } from '../profiles/naming.js';
import type { Profile } from '../profiles/profile-schema.js';
import type { Pki } from './pki.js';
import { chooseServedCertificate } from './served-certificate.js';
import { danePublication, type TlsaPublication } from './tlsa.js';
import type { UserCertificate } from './user-certificate.js';

/**
 * The TLSA records a DANE profile publishes, from the chain its receiver serves: the user's
 * (--cert) where the fleet serves it (served-certificate.ts), else the test PKI's. One function
 * for the fleet (what the harness DNS answers) and for `badmx zone` (what a zone file says), so
 * the records always name the keys the receivers hold.
 */
export function servedTlsa(profile: Profile, names: ProfileNames, pki: Pick<Pki, 'credentials'>, user: UserCertificate | null): TlsaPublication | null {
  if (!profile.dane) return null;
  const choice = chooseServedCertificate(profile, names, user);
  const chainPem = choice.source === 'user' && user ? user.chainPem : (pki.credentials.get(profile.name)?.chainPem ?? null);
  return danePublication(profile.dane, names.hostname, chainPem);
}

