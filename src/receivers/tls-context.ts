import type { SecureContextOptions, SecureVersion } from 'node:tls';
import type { ServedCredentials } from '../certs/pki.js';
import type { Profile, ProfileTlsVersion } from '../profiles/profile-schema.js';

const NODE_VERSION: Record<ProfileTlsVersion, SecureVersion> = {
  'TLSv1.0': 'TLSv1',
  'TLSv1.1': 'TLSv1.1',
  'TLSv1.2': 'TLSv1.2',
  'TLSv1.3': 'TLSv1.3',
};

/**
 * The TLS settings a profile's receiver serves with. Node's own defaults (minVersion
 * TLSv1.2, SECLEVEL 1 or more) would silently repair a misconfigured profile, so every
 * value the profile states is passed through, and a profile that needs legacy behaviour
 * says so in its cipher string (e.g. @SECLEVEL=0 for TLS 1.0 and SHA-1).
 */
export function tlsContextOptions(profile: Profile, credentials: ServedCredentials): SecureContextOptions {
  return {
    key: credentials.keyPem,
    cert: credentials.chainPem,
    minVersion: NODE_VERSION[profile.tls.minVersion],
    maxVersion: NODE_VERSION[profile.tls.maxVersion],
    ...(profile.tls.ciphers ? { ciphers: profile.tls.ciphers } : {}),
    ...(profile.tls.ciphersuites ? { ciphersuites: profile.tls.ciphersuites } : {}),
    honorCipherOrder: true,
  };
}
