import { describe, expect, it } from 'vitest';
import { loadCatalogue, selectProfiles } from '../../src/profiles/catalogue.js';
import { loadPolicy } from '../../src/policy/load-policy.js';
import { ruleFor } from '../../src/policy/evaluate.js';
import { judgedProfile, phaseCount, profileInPhase } from '../../src/profiles/profile-phases.js';
import { stsPolicyText } from '../../src/profiles/mta-sts-policy.js';
import { planSteps } from '../../src/run/run-schedule.js';
import { mxMatches, parseStsPolicy, parseStsRecord } from '../../src/senders/sts-policy.js';
import { parseTlsRptRecord } from '../../src/senders/tlsrpt-delivery.js';

describe('the RFC 8461 sending side, pure parts', () => {
  it('§3.1: exactly one record beginning "v=STSv1;" with an id of 1-32 letters and digits', () => {
    expect(parseStsRecord([['v=STSv1; id=20160831085700Z;']])).toEqual({ id: '20160831085700Z' });
    expect(parseStsRecord([['v=STSv1; ', 'id=abc']])).toEqual({ id: 'abc' });
    expect(parseStsRecord([['v=spf1 -all'], ['v=STSv1; id=x1']])).toEqual({ id: 'x1' });
    expect(parseStsRecord([])).toEqual({ error: 'no _mta-sts TXT record' });
    expect(parseStsRecord([['v=STSv1; id=a'], ['v=STSv1; id=b']])).toHaveProperty('error', expect.stringContaining('exactly one'));
    expect(parseStsRecord([['v=STSv1; id=has-dash']])).toHaveProperty('error', expect.stringContaining('id'));
    expect(parseStsRecord([['v=STSv1; id=' + 'a'.repeat(33)]])).toHaveProperty('error', expect.stringContaining('id'));
  });

  it('§3.2: the policy RFC 8461 shows parses; missing or wrong fields are a policy error (so: no policy)', () => {
    // RFC 8461 §3.2's example
    expect(parseStsPolicy('version: STSv1\nmode: enforce\nmx: mail.example.com\nmx: *.example.net\nmx: backupmx.example.com\nmax_age: 604800\n')).toEqual({
      mode: 'enforce',
      mx: ['mail.example.com', '*.example.net', 'backupmx.example.com'],
      maxAge: 604800,
    });
    expect(parseStsPolicy('version: STSv1\r\nmode: none\r\nmax_age: 0\r\n')).toEqual({ mode: 'none', mx: [], maxAge: 0 });
    expect(parseStsPolicy('version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 1\n')).toHaveProperty('error', expect.stringContaining('version'));
    expect(parseStsPolicy('version: STSv1\nmode: strict\nmx: a.example\nmax_age: 1\n')).toHaveProperty('error', expect.stringContaining('mode'));
    expect(parseStsPolicy('version: STSv1\nmode: enforce\nmax_age: 1\n')).toMatchObject({ error: 'the policy lists no mx pattern' });
    expect(parseStsPolicy('version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557601\n')).toHaveProperty('error', expect.stringContaining('max_age'));
    expect(parseStsPolicy('<html>not a policy</html>')).toHaveProperty('error', expect.stringContaining('key: value'));
  });

  it('badmx serves what it parses: every profile policy reads back as its spec', () => {
    for (const profile of selectProfiles(loadCatalogue(), undefined, ['mta-sts'])) {
      const spec = profile.mtaSts!;
      const parsed = parseStsPolicy(stsPolicyText(spec, { hostname: `mx.${profile.name}.badmx.test`, domain: `${profile.name}.badmx.test` }));
      expect(parsed, profile.name).toMatchObject({ mode: spec.mode, maxAge: spec.maxAge });
      expect(mxMatches(`mx.${profile.name}.badmx.test`, 'mx' in parsed ? parsed.mx : []), profile.name).toBe(spec.mx === 'covered');
    }
  });

  it('§4.1: a pattern is the host name, or "*." and its parent (one label only)', () => {
    expect(mxMatches('mail.example.com', ['mail.example.com'])).toBe(true);
    expect(mxMatches('MAIL.example.com.', ['mail.example.com'])).toBe(true);
    expect(mxMatches('mx1.example.net', ['*.example.net'])).toBe(true);
    expect(mxMatches('a.b.example.net', ['*.example.net'])).toBe(false);
    expect(mxMatches('example.net', ['*.example.net'])).toBe(false);
    expect(mxMatches('mail.example.org', ['mail.example.com', '*.example.net'])).toBe(false);
  });

  it('RFC 8460 §3: the rua URIs of the one "v=TLSRPTv1" record', () => {
    expect(parseTlsRptRecord([['v=TLSRPTv1; rua=mailto:reports@example.com,https://reporting.example.com/v1/tlsrpt']])).toEqual({
      rua: ['mailto:reports@example.com', 'https://reporting.example.com/v1/tlsrpt'],
    });
    expect(parseTlsRptRecord([])).toHaveProperty('error', expect.any(String));
    expect(parseTlsRptRecord([['v=TLSRPTv1; rua=ftp://x']])).toHaveProperty('error', expect.stringContaining('rua'));
  });
});

describe('the mta-sts policy and multi-phase profiles', () => {
  const sts = selectProfiles(loadCatalogue(), undefined, ['mta-sts']);
  const byName = (name: string) => sts.find((p) => p.name === name)!;

  it('expects what RFC 8461 implies at every profile of the suite', () => {
    const policy = loadPolicy('mta-sts');
    const expected = Object.fromEntries(sts.map((p) => [p.name, ruleFor(policy, judgedProfile(p)).expect]));
    expect(expected).toEqual({
      'sts-enforce-valid': 'delivered-tls',
      'sts-enforce-no-starttls': 'not-delivered',
      'sts-enforce-self-signed': 'not-delivered',
      'sts-enforce-expired': 'not-delivered',
      'sts-enforce-wrong-host': 'not-delivered',
      'sts-enforce-mx-mismatch': 'not-delivered',
      'sts-testing-self-signed': 'delivered-tls',
      'sts-policy-unreachable': 'delivered-tls',
      'sts-policy-bad-certificate': 'delivered-tls',
      'sts-cached-downgrade': 'not-delivered',
    });
    // and for the study's profiles, where nothing is declared, it is the opportunistic policy
    const opportunistic = loadPolicy('opportunistic');
    for (const p of selectProfiles(loadCatalogue(), undefined)) expect(ruleFor(policy, p).expect, p.name).toBe(ruleFor(opportunistic, p).expect);
  });

  it('sts-cached-downgrade: phase 2 strips STARTTLS and blocks the policy host; it is judged as phase 2 holding phase 1\'s policy', () => {
    const profile = byName('sts-cached-downgrade');
    expect(phaseCount(profile)).toBe(2);
    expect(profileInPhase(profile, 1)).toBe(profile);
    expect(profileInPhase(profile, 2)).toMatchObject({ starttls: 'absent', mtaSts: { mode: 'enforce', policy: 'unreachable' } });
    expect(judgedProfile(profile)).toMatchObject({ starttls: 'absent', mtaSts: { mode: 'enforce', policy: 'served' } });
  });

  it('a later phase is a step of its own, right after the step of the phase before, every sender in it', () => {
    const senders = [{ label: 'a' }, { label: 'b' }];
    const profiles = [byName('sts-enforce-valid'), byName('sts-cached-downgrade')];
    expect(planSteps(senders, profiles, { kind: 'per-profile', base: '127.0.2.0', port: 25 }).map((s) => [s.key, s.profiles, s.phase, s.covers])).toEqual([
      ['* *', ['sts-enforce-valid', 'sts-cached-downgrade'], undefined, undefined],
      ['* sts-cached-downgrade@2', ['sts-cached-downgrade'], 2, ['sts-enforce-valid', 'sts-cached-downgrade']],
    ]);
    expect(planSteps(senders, profiles, { kind: 'shared', address: '192.0.2.1', port: 25 }).map((s) => [s.key, s.phase, s.covers])).toEqual([
      ['* sts-enforce-valid', undefined, undefined],
      ['* sts-cached-downgrade', undefined, undefined],
      ['* sts-cached-downgrade@2', 2, undefined],
    ]);
  });
});
