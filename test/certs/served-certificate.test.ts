import { describe, expect, it } from 'vitest';
import { certificateRole, chooseServedCertificate, keyIncompatibility, servedCertificateWarning } from '../../src/certs/served-certificate.js';
import type { UserCertificate } from '../../src/certs/user-certificate.js';
import { profileNames, type Naming } from '../../src/profiles/naming.js';
import type { Profile } from '../../src/profiles/profile-schema.js';
import { studyProfiles } from '../helpers/study.js';

const ZONE = 'badmx.example.com';
const catalogue = studyProfiles();

function user(dnsNames: string[], keyType = 'rsa'): UserCertificate {
  return { certFile: '/etc/cert.pem', keyFile: '/etc/key.pem', chainPem: '', keyPem: '', chainLength: 2, keyType, dnsNames, namesFromCommonName: false,
    notBefore: new Date(), notAfter: new Date(), subject: '', issuer: '', publiclyTrusted: true, warnings: [] };
}

function choose(naming: Naming, cert: UserCertificate | null) {
  return Object.fromEntries(catalogue.map((p: Profile) => [p.name, chooseServedCertificate(p, profileNames(p, ZONE, naming), cert)]));
}

describe('which certificate each profile serves', () => {
  it('roles come from the certificate spec in receivers/*.json', () => {
    const roles = Object.fromEntries(catalogue.map((p) => [p.name, certificateRole(p)]));
    expect(roles).toEqual({
      'no-starttls': 'none', 'starttls-454': 'none', 'handshake-failure': 'none',
      'tls1.0': 'valid', 'tls1.1': 'valid', 'tls1.2': 'valid', 'tls1.3': 'valid',
      'self-signed': 'fault', expired: 'fault', 'not-yet-valid': 'fault', 'wrong-host': 'wrong-name',
      'untrusted-root': 'fault', 'incomplete-chain': 'fault', 'sha1-signature': 'fault',
    });
  });

  it('flat naming with *.<zone>: the user certificate on the controls and wrong-host, generated on the faults', () => {
    const chosen = choose('flat', user([`*.${ZONE}`]));
    const sources = Object.fromEntries(Object.entries(chosen).map(([name, c]) => [name, c.source]));
    expect(sources).toEqual({
      'no-starttls': 'none', 'starttls-454': 'none', 'handshake-failure': 'none',
      'tls1.0': 'user', 'tls1.1': 'user', 'tls1.2': 'user', 'tls1.3': 'user',
      'self-signed': 'generated', expired: 'generated', 'not-yet-valid': 'generated', 'wrong-host': 'user',
      'untrusted-root': 'generated', 'incomplete-chain': 'generated', 'sha1-signature': 'generated',
    });
    expect(chosen['tls1.2']).toMatchObject({ coversMx: true, coversDomain: true, shortfall: null });
    expect(chosen['wrong-host']).toMatchObject({ coversMx: false, coversDomain: false });
    expect(chosen['no-starttls']).toMatchObject({ coversMx: null, coversDomain: null });
  });

  it('nested naming with *.<zone>: the dotted profiles are not covered and keep the generated certificate, and the warning says why', () => {
    const cert = user([`*.${ZONE}`]);
    const chosen = choose('nested', cert);
    expect(chosen['tls1.2']).toMatchObject({ source: 'generated', coversMx: false, coversDomain: false });
    expect(chosen['tls1.2']?.shortfall).toBe(`it does not cover mx.tls1.2.${ZONE} or tls1.2.${ZONE}`);
    // wrong-host.<zone> is one label under the wildcard: covered, so it would not be the wrong host
    expect(chosen['wrong-host']).toMatchObject({ source: 'generated', coversMx: false, coversDomain: true });
    const warning = servedCertificateWarning({ choices: Object.entries(chosen).map(([profile, choice]) => ({ profile, choice })), user: cert, publicZone: true, zone: ZONE, naming: 'nested' });
    expect(warning).toMatch(/^certificate \/etc\/cert\.pem is not served everywhere it should be \(tls1\.0: it does not cover .*\): verdicts for tls1\.0, tls1\.1, tls1\.2, tls1\.3, wrong-host depend on the sender trusting the badmx test root \(a \*\.badmx\.example\.com wildcard covers one label only: use --naming flat\)$/);
    expect(warning?.split('\n')).toHaveLength(1);
  });

  it('a control needs both names: a certificate for the MX hostnames alone is not enough', () => {
    const chosen = choose('flat', user([`mx-tls1-2.${ZONE}`]));
    expect(chosen['tls1.2']).toMatchObject({ source: 'generated', coversMx: true, coversDomain: false });
  });

  it('no user certificate: the one warning line names the profiles, only in public mode', () => {
    const chosen = choose('nested', null);
    const choices = Object.entries(chosen).map(([profile, choice]) => ({ profile, choice }));
    expect(servedCertificateWarning({ choices, user: null, publicZone: true, zone: ZONE, naming: 'nested' })).toBe(
      'no publicly trusted certificate (--cert/--key): verdicts for tls1.0, tls1.1, tls1.2, tls1.3, wrong-host depend on the sender trusting the badmx test root',
    );
    expect(servedCertificateWarning({ choices, user: null, publicZone: false, zone: 'badmx.test', naming: 'nested' })).toBeNull();
    const covered = choose('flat', user([`*.${ZONE}`]));
    expect(servedCertificateWarning({ choices: Object.entries(covered).map(([profile, choice]) => ({ profile, choice })), user: user([`*.${ZONE}`]), publicZone: true, zone: ZONE, naming: 'flat' })).toBeNull();
  });

  it('an ECDSA key cannot serve the static-RSA TLS 1.0/1.1 profiles: they keep the generated RSA certificate, and it says so', () => {
    const chosen = choose('flat', user([`*.${ZONE}`], 'ec'));
    expect(chosen['tls1.0']).toMatchObject({ source: 'generated', shortfall: 'its EC key cannot complete the TLSv1.0 cipher suites this profile offers (they need an RSA key)' });
    expect(chosen['tls1.1']?.source).toBe('generated');
    // tls1.2 offers ECDHE-ECDSA suites too; TLS 1.3 suites do not depend on the key
    expect(chosen['tls1.2']?.source).toBe('user');
    expect(chosen['tls1.3']?.source).toBe('user');
    // wrong-host offers TLS 1.2 with RSA suites only
    expect(chosen['wrong-host']?.source).toBe('generated');
    expect(keyIncompatibility({ tls: { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' } }, 'ec')).toBeNull();
  });
});
