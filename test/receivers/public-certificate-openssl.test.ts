import { X509Certificate } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadUserCertificate } from '../../src/certs/user-certificate.js';
import { sClient } from '../helpers/openssl.js';
import { startTestFleet, type TestFleet } from '../helpers/fleet.js';
import { UserPki, type Issued } from '../helpers/user-pki.js';
import { testNet } from '../helpers/net-plan.js';

/**
 * Public mode, proven with OpenSSL's own client: a "user" wildcard certificate *.<zone>
 * from a separate CA (standing in for a public root, passed as -CAfile) is served on the
 * controls and on wrong-host under flat naming, and the bad-certificate profiles keep
 * their generated certificates.
 */

const ZONE = 'badmx.example.com';
const PROFILES = ['tls1.0', 'tls1.2', 'tls1.3', 'wrong-host', 'expired', 'self-signed'];
const LEGACY = ['-cipher', 'DEFAULT:@SECLEVEL=0'];
const pki = new UserPki();
let publicRoot: Issued;
let intermediate: Issued;
let fleet: TestFleet;
let ecFleet: TestFleet;

beforeAll(async () => {
  publicRoot = await pki.root('Stand-in Public Root');
  intermediate = await pki.issue(publicRoot, { ca: true, cn: 'Stand-in Public Intermediate' });
  const rsa = await pki.issue(intermediate, { names: [`*.${ZONE}`] });
  const ec = await pki.issue(intermediate, { names: [`*.${ZONE}`], key: 'ec' });
  const load = (leaf: Issued, name: string) =>
    loadUserCertificate({ cert: pki.file(name, leaf.pem, intermediate.pem), key: leaf.key }, { roots: [publicRoot.pem] });
  const certsDir = mkdtempSync(join(tmpdir(), 'badmx-public-pki-'));
  fleet = await startTestFleet({ addressBase: testNet('receivers/public-certificate-openssl').base, zone: ZONE, naming: 'flat', userCertificate: load(rsa, 'rsa-chain.pem'), certsDir, profiles: PROFILES });
  ecFleet = await startTestFleet({ addressBase: testNet('receivers/public-certificate-openssl', 1).base, zone: ZONE, naming: 'flat', userCertificate: load(ec, 'ec-chain.pem'), certsDir, profiles: ['tls1.0', 'tls1.2'] });
});
afterAll(async () => {
  await fleet?.stop();
  await ecFleet?.stop();
});

/** s_client trusting only the stand-in public root, SNI the MX hostname, optionally checking a name. */
function probe(on: TestFleet, profile: string, extra: string[], verifyName?: string, caFile = publicRoot.cert) {
  const member = on.member(profile);
  return sClient(member.address, member.port, ['-CAfile', caFile, '-servername', member.hostname, ...(verifyName ? ['-verify_hostname', verifyName] : []), ...extra]);
}

function servedLeaf(output: string): X509Certificate {
  const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(output)?.[0];
  if (!pem) throw new Error('no certificate in the s_client output');
  return new X509Certificate(pem);
}

describe('the user certificate in public mode (flat naming, *.<zone>)', () => {
  it('the fleet says which certificate each profile serves, and has nothing to warn about', () => {
    const served = Object.fromEntries(fleet.members.map((m) => [m.name, m.served]));
    expect(served['tls1.2']).toEqual({ source: 'user', coversMx: true, coversDomain: true });
    expect(served['wrong-host']).toEqual({ source: 'user', coversMx: false, coversDomain: false });
    expect(served.expired).toEqual({ source: 'generated', coversMx: true, coversDomain: true });
    expect(fleet.member('tls1.2')).toMatchObject({ hostname: `mx-tls1-2.${ZONE}`, domain: `tls1-2.${ZONE}` });
    expect(fleet.member('wrong-host')).toMatchObject({ hostname: `mx.wrong-host.x.${ZONE}`, domain: `wrong-host.x.${ZONE}` });
    expect(fleet.publicZone).toBe(true);
    expect(fleet.warnings).toEqual([]);
  });

  it.each(['tls1.2', 'tls1.3'])('%s serves it: the chain verifies against the public root, by MX hostname and by recipient domain', async (profile) => {
    const member = fleet.member(profile);
    const byMx = await probe(fleet, profile, ['-verify_return_error', '-showcerts'], member.hostname);
    expect(byMx.verifyCode).toBe(0);
    expect(byMx.certificatesSent).toBe(2);
    expect(servedLeaf(byMx.output).subjectAltName).toBe(`DNS:*.${ZONE}`);
    const byDomain = await probe(fleet, profile, ['-verify_return_error'], member.domain);
    expect(byDomain.verifyCode).toBe(0);
  });

  it('tls1.0 serves it too, over TLS 1.0', async () => {
    const result = await probe(fleet, 'tls1.0', ['-tls1', ...LEGACY, '-verify_return_error'], `mx-tls1-0.${ZONE}`);
    expect(result.protocol).toBe('TLSv1');
    expect(result.verifyCode).toBe(0);
  });

  it('wrong-host serves it: the chain is trusted, and neither of its names matches (62)', async () => {
    const member = fleet.member('wrong-host');
    const chain = await probe(fleet, 'wrong-host', ['-showcerts']);
    expect(chain.verifyCode).toBe(0);
    expect(servedLeaf(chain.output).subjectAltName).toBe(`DNS:*.${ZONE}`);
    expect((await probe(fleet, 'wrong-host', [], member.hostname)).verifyCode).toBe(62);
    expect((await probe(fleet, 'wrong-host', [], member.domain)).verifyCode).toBe(62);
  });

  it('the bad-certificate profiles keep their generated certificates', async () => {
    // Not the user's: issued by the badmx test intermediate, for the profile's own (flat) names ...
    const expired = await probe(fleet, 'expired', ['-showcerts']);
    expect(expired.verifyCode).not.toBe(0);
    expect(servedLeaf(expired.output).issuer).toMatch(/badmx Test Intermediate CA/);
    expect(servedLeaf(expired.output).subjectAltName).toBe(`DNS:mx-expired.${ZONE}, DNS:expired.${ZONE}`);
    // ... and with the harness's own bundle, its one fault shows
    expect((await probe(fleet, 'expired', [], undefined, fleet.caFile)).verifyCode).toBe(10);
    const selfSigned = await probe(fleet, 'self-signed', ['-showcerts']);
    expect(selfSigned.verifyCode).toBe(18);
    expect(selfSigned.certificatesSent).toBe(1);
    expect(servedLeaf(selfSigned.output).subjectAltName).toBe(`DNS:mx-self-signed.${ZONE}, DNS:self-signed.${ZONE}`);
  });

  it('an ECDSA key serves TLS 1.2 (ECDHE-ECDSA) and leaves the static-RSA TLS 1.0 profile its generated RSA certificate', async () => {
    expect(ecFleet.member('tls1.2').served.source).toBe('user');
    expect(ecFleet.member('tls1.0').served.source).toBe('generated');
    const tls12 = await probe(ecFleet, 'tls1.2', ['-verify_return_error'], `mx-tls1-2.${ZONE}`);
    expect(tls12.verifyCode).toBe(0);
    expect(tls12.cipher).toMatch(/^ECDHE-ECDSA-/);
    // TLS 1.0 still completes (with the generated RSA certificate) rather than failing every handshake
    const tls10 = await probe(ecFleet, 'tls1.0', ['-tls1', ...LEGACY], undefined, ecFleet.caFile);
    expect(tls10.protocol).toBe('TLSv1');
    expect(tls10.verifyCode).toBe(0);
  });
});
