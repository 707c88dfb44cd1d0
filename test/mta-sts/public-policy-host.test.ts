import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadUserCertificate } from '../../src/certs/user-certificate.js';
import { startTestFleet, type TestFleet } from '../helpers/fleet.js';
import { UserPki } from '../helpers/user-pki.js';
import { testNet } from '../helpers/net-plan.js';

/**
 * Public mode: the policy hosts serve the user's certificate where it names them
 * (mta-sts.<domain>, RFC 8461 §3.3), and the fleet says which ones it does not name.
 * The user's CA stands in for a public root; curl trusts only it.
 */

const ZONE = 'badmx.example.com';
const POLICY_PORT = 20644;
const pki = new UserPki();
let fleet: TestFleet;
let root = '';

beforeAll(async () => {
  const publicRoot = await pki.root();
  root = pki.file('root.pem', publicRoot.pem);
  // names one policy host, not the other
  const leaf = await pki.issue(publicRoot, { names: [`mta-sts.sts-enforce-valid.${ZONE}`, `mx.sts-enforce-valid.${ZONE}`] });
  const user = loadUserCertificate({ cert: pki.file('chain.pem', leaf.pem), key: leaf.key }, { roots: [publicRoot.pem] });
  fleet = await startTestFleet({
    addressBase: testNet('mta-sts/public-policy-host').base,
    zone: ZONE,
    userCertificate: user,
    certsDir: mkdtempSync(join(tmpdir(), 'badmx-public-sts-pki-')),
    profiles: ['sts-enforce-valid', 'sts-enforce-expired'],
    policyPort: POLICY_PORT,
  });
}, 60_000);

afterAll(async () => {
  await fleet?.stop();
});

describe('policy hosts in public mode', () => {
  it("serve the user's certificate where it names the policy host: a client trusting only the public root fetches the policy", async () => {
    const host = `mta-sts.sts-enforce-valid.${ZONE}`;
    const { stdout } = await promisify(execFile)('curl', ['-sS', '--cacert', root, '--resolve', `${host}:${POLICY_PORT}:${fleet.member('sts-enforce-valid').address}`, `https://${host}:${POLICY_PORT}/.well-known/mta-sts.txt`]);
    expect(stdout).toContain('mode: enforce');
  });

  it('say which policy hosts the certificate does not name (they serve the test root)', () => {
    expect(fleet.warnings).toContain(
      `the certificate (--cert) does not name the MTA-STS policy host mta-sts.sts-enforce-expired.${ZONE}: it serves the test root's certificate, so senders that do not trust it cannot fetch the policy (as at sts-policy-bad-certificate)`,
    );
  });
});
