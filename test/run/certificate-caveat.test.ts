import { describe, expect, it } from 'vitest';
import { certificateCaveat, trustsHarnessRoot } from '../../src/run/certificate-caveat.js';

const base = { role: 'valid', source: 'generated', trustsHarnessRoot: false, outcome: 'refused-at-handshake', issuer: 'intermediate', title: 'TLS 1.2' } as const;

describe('certificate caveats', () => {
  it('who trusts the harness root: built-in and managed senders always, relays and commands only in local mode', () => {
    expect(trustsHarnessRoot('builtin', true)).toBe(true);
    expect(trustsHarnessRoot('mta', true)).toBe(true);
    expect(trustsHarnessRoot('smtp', true)).toBe(false);
    expect(trustsHarnessRoot('command', true)).toBe(false);
    expect(trustsHarnessRoot('smtp', false)).toBe(true);
    expect(trustsHarnessRoot('command', false)).toBe(true);
  });

  it('a vendor refusing a control served with the test root: correct behaviour, not a policy failure', () => {
    expect(certificateCaveat(base)).toMatch(/^the certificate chains to the badmx test root, which this sender cannot be expected to trust: refusing it is correct behaviour, not a failure of the policy/);
    expect(certificateCaveat({ ...base, outcome: 'refused-after-handshake' })).not.toBeNull();
    expect(certificateCaveat({ ...base, role: 'wrong-name' })).toMatch(/does not show that the sender checks the name$/);
    expect(certificateCaveat({ ...base, role: 'fault', title: 'Expired certificate' })).toMatch(/detects this fault \(Expired certificate\) itself$/);
  });

  it.each([
    ['a sender that trusts the root (local mode)', { trustsHarnessRoot: true }],
    ['the user certificate served', { source: 'user' }],
    ['a run.json without the served field', { source: null }],
    ['a delivery', { outcome: 'delivered-tls' }],
    ['a downgrade', { outcome: 'plaintext-after-tls-failure' }],
    ['no attempt', { outcome: 'not-attempted' }],
    ['a self-signed profile (the refusal is the point)', { role: 'fault', issuer: 'self' }],
    ['an untrusted-root profile', { role: 'fault', issuer: 'untrusted-root' }],
    ['a profile without TLS', { role: 'none', source: 'none' }],
  ] as const)('no caveat for %s', (_what, overrides) => {
    expect(certificateCaveat({ ...base, ...overrides })).toBeNull();
  });
});
