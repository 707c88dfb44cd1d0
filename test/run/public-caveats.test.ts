import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadUserCertificate } from '../../src/certs/user-certificate.js';
import { loadPolicy } from '../../src/policy/load-policy.js';
import { selectProfiles } from '../../src/profiles/catalogue.js';
import { loadRunDocument } from '../../src/document/load-run-document.js';
import { runMatrix, type RunOptions } from '../../src/run/run-matrix.js';
import type { RunDocument } from '../../src/document/run-document.js';
import { parseSenderSpec } from '../../src/sender-spec/parse-sender-spec.js';
import type { Sender } from '../../src/senders/sender.js';
import { TEST_PORT } from '../helpers/fleet.js';
import { nodemailerSender } from '../helpers/nodemailer-sender.js';
import { UserPki } from '../helpers/user-pki.js';
import { studyProfiles } from '../helpers/study.js';
import { testNet } from '../helpers/net-plan.js';

/**
 * Public mode end to end: a "vendor" that verifies certificates against its own roots only
 * (kind command: badmx cannot give it the test root), next to builtin:strict (which trusts it).
 */

const ZONE = 'badmx.example.com';
const PROFILES = ['no-starttls', 'tls1.2', 'self-signed', 'expired'];

function vendor(ca?: string[]): Sender {
  return nodemailerSender({ label: 'vendor', tls: { requireTLS: true, tls: { rejectUnauthorized: true, minVersion: 'TLSv1.2', ...(ca ? { ca } : {}) } } });
}

function options(addressBase: string, senders: Sender[], extra: Partial<RunOptions> = {}): RunOptions {
  return {
    senders,
    policy: loadPolicy('strict'),
    profiles: selectProfiles(studyProfiles(), PROFILES),
    zone: ZONE,
    certsDir: mkdtempSync(join(tmpdir(), 'badmx-public-run-pki-')),
    addressing: { kind: 'per-profile', base: addressBase, port: TEST_PORT },
    outDir: mkdtempSync(join(tmpdir(), 'badmx-public-run-')),
    waitMs: 10_000,
    ...extra,
  };
}

const cell = (run: RunDocument, sender: string, profile: string) => run.cells.find((c) => c.sender === sender && c.profile === profile)!;

let withoutCert: RunDocument;
let withCert: RunDocument;
let withoutCertDir: string;
beforeAll(async () => {
  const pki = new UserPki();
  const root = await pki.root();
  const leaf = await pki.issue(root, { names: [`*.${ZONE}`] });
  const userCertificate = loadUserCertificate({ cert: leaf.cert, key: leaf.key }, { roots: [root.pem] });
  const first = options(testNet('run/public-caveats').base, [parseSenderSpec('builtin:strict'), vendor()]);
  withoutCertDir = first.outDir;
  [withoutCert, withCert] = await Promise.all([
    runMatrix(first),
    runMatrix(options(testNet('run/public-caveats', 1).base, [vendor([root.pem])], { naming: 'flat', userCertificate })),
  ]);
}, 60_000);

describe('public mode: caveats in run.json', () => {
  it('without a public certificate, the vendor\'s refusals that rest on the test root carry a caveat and are inconclusive; builtin:strict\'s never do', () => {
    expect(withoutCert.senders.map((s) => [s.label, s.trustsHarnessRoot])).toEqual([['builtin:strict', true], ['vendor', false]]);
    expect(withoutCert.profiles.find((p) => p.name === 'tls1.2')?.served).toEqual({ source: 'generated', coversMx: null, coversDomain: null });
    const control = cell(withoutCert, 'vendor', 'tls1.2');
    expect(control.outcome).toMatch(/^refused-(at|after)-handshake$/);
    // Its refusals rest on the test root: nothing shows its path works, so none of them is a verdict.
    expect(control.verdict).toBe('inconclusive');
    expect(withoutCert.senders[1]?.diagnosis).toMatch(/served with the badmx test root, which this sender cannot be expected to trust: serve a publicly trusted certificate/);
    expect(cell(withoutCert, 'vendor', 'expired').verdict).toBe('inconclusive');
    expect(control.caveat).toMatch(/badmx test root, which this sender cannot be expected to trust: refusing it is correct behaviour, not a failure of the policy/);
    expect(cell(withoutCert, 'vendor', 'expired').caveat).toMatch(/does not show that the sender detects this fault \(Expired certificate\) itself/);
    expect(cell(withoutCert, 'vendor', 'self-signed').caveat).toBeNull();
    expect(cell(withoutCert, 'vendor', 'no-starttls').caveat).toBeNull();
    for (const profile of PROFILES) expect(cell(withoutCert, 'builtin:strict', profile).caveat, profile).toBeNull();
    expect(cell(withoutCert, 'builtin:strict', 'tls1.2').outcome).toBe('delivered-tls');
  });

  it('with a covering public certificate, the vendor delivers to the control with no caveat; the bad-certificate profiles keep theirs', () => {
    expect(withCert.profiles.find((p) => p.name === 'tls1.2')?.served).toEqual({ source: 'user', coversMx: true, coversDomain: true });
    expect(withCert.profiles.find((p) => p.name === 'tls1.2')?.hostname).toBe(`mx-tls1-2.${ZONE}`);
    const control = cell(withCert, 'vendor', 'tls1.2');
    expect(control.probe.recipient).toMatch(new RegExp(`@tls1-2\\.${ZONE.replaceAll('.', '\\.')}$`));
    expect(control.outcome).toBe('delivered-tls');
    expect(control.verdict).toBe('pass');
    expect(control.caveat).toBeNull();
    expect(cell(withCert, 'vendor', 'expired').caveat).toMatch(/Expired certificate/);
  });

  it('run.json reads back with every new field, unchanged', () => {
    const { document } = loadRunDocument(withoutCertDir);
    expect(document.cells.map((c) => c.caveat)).toEqual(withoutCert.cells.map((c) => c.caveat));
    expect(document.profiles.map((p) => p.served)).toEqual(withoutCert.profiles.map((p) => p.served));
    expect(document.senders.map((s) => s.trustsHarnessRoot)).toEqual([true, false]);
  });
});
