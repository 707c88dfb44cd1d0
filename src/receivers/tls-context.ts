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
    ...(profile.tls.dhGroup === 1024 ? { dhparam: OAKLEY_GROUP_2_PEM } : {}),
    honorCipherOrder: true,
  };
}

/**
 * RFC 2409 §6.2, the Second Oakley Group: the 1024-bit MODP prime 2^1024 - 2^960 - 1 +
 * 2^64 * { [2^894 pi] + 129093 }, generator 2; the group the Logjam paper found most shared among
 * servers. As PKCS #3 DHParameter (SEQUENCE { prime INTEGER, base INTEGER }) in PEM, what
 * OpenSSL's SSL_CTX_set0_tmp_dh_pkey takes through Node's `dhparam`.
 */
const OAKLEY_GROUP_2_PRIME =
  'FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF';

function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes = Buffer.from(length.toString(16).padStart(length > 0xff ? 4 : 2, '0'), 'hex');
  return Buffer.concat([Buffer.from([0x80 | bytes.length]), bytes]);
}

function derInteger(hex: string): Buffer {
  let value = Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
  // A positive INTEGER whose top bit is set gets a leading zero octet (X.690 §8.3.2).
  if ((value[0] ?? 0) & 0x80) value = Buffer.concat([Buffer.from([0]), value]);
  return Buffer.concat([Buffer.from([0x02]), derLength(value.length), value]);
}

const OAKLEY_GROUP_2_DER = (() => {
  const body = Buffer.concat([derInteger(OAKLEY_GROUP_2_PRIME), derInteger('02')]);
  return Buffer.concat([Buffer.from([0x30]), derLength(body.length), body]);
})();

export const OAKLEY_GROUP_2_PEM = `-----BEGIN DH PARAMETERS-----\n${OAKLEY_GROUP_2_DER.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END DH PARAMETERS-----\n`;
