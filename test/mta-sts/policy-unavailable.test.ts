import { describe, expect, it } from 'vitest';
import type { Cell } from '../../src/document/run-document.js';
import type { PolicyFetch } from '../../src/classify/policy-fetches.js';
import { loadCatalogue, selectProfiles } from '../../src/profiles/catalogue.js';
import { withoutPolicy } from '../../src/run/judge-run.js';

/**
 * A verdict against an enforced MTA-STS policy needs a sender that could have had the policy:
 * one whose own attempts at the policy host all failed is inconclusive (RFC 8461 §3.3 then says
 * to deliver as without a policy), one that never tried is judged (it does not implement MTA-STS).
 */

const profiles = new Map(selectProfiles(loadCatalogue(), undefined, ['mta-sts']).map((p) => [p.name, p]));

function cell(profile: string, verdict: Cell['verdict'], fetches: Partial<PolicyFetch>[]): Cell {
  const policyFetches = fetches.map((f) => ({ time: 't', kind: 'fetch' as const, peer: '127.0.0.1', sni: null, status: 200, tlsVersion: 'TLSv1.3', alert: null, userAgent: null, by: 'sender' as const, ...f }));
  return { sender: 's', profile, verdict, reason: 'r', inconclusive: null, policyFetches } as unknown as Cell;
}

describe('an enforced policy the sender never got', () => {
  it('a sender whose own fetches all failed is not judged (inconclusive, policy-unavailable)', () => {
    const [out] = withoutPolicy([cell('sts-enforce-expired', 'fail', [{ kind: 'tls-failed', status: null, alert: 'unknown_ca' }])], profiles);
    expect(out).toMatchObject({ verdict: 'inconclusive', inconclusive: { cause: 'policy-unavailable' } });
    expect(out?.reason).toContain('handshake broken off (unknown_ca)');
  });

  it('one that fetched it, one that never tried, and one whose failed fetches are not its own are judged as they were', () => {
    const cells = [
      cell('sts-enforce-expired', 'pass', [{ kind: 'tls-failed', status: null }, { status: 200 }]),
      cell('sts-enforce-expired', 'fail', []),
      cell('sts-enforce-expired', 'fail', [{ kind: 'tls-failed', status: null, by: 'unattributed' }]),
    ];
    expect(withoutPolicy(cells, profiles).map((c) => c.verdict)).toEqual(['pass', 'fail', 'fail']);
  });

  it('only where an enforced policy applies: testing mode and an unfetchable policy are judged as they were', () => {
    for (const profile of ['sts-testing-self-signed', 'sts-policy-bad-certificate', 'sts-policy-unreachable']) {
      expect(withoutPolicy([cell(profile, 'pass', [{ kind: 'tls-failed', status: null }])], profiles)[0]?.verdict, profile).toBe('pass');
    }
  });
});
