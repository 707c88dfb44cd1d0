import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Outcome } from '../../src/classify/outcome.js';
import { evaluate, profileFacts, ruleFor } from '../../src/policy/evaluate.js';
import { loadCatalogue } from '../../src/profiles/catalogue.js';
import { loadPolicy } from '../../src/policy/load-policy.js';
import { policySchema } from '../../src/policy/policy-schema.js';
import { studyProfiles } from '../helpers/study.js';

const profiles = new Map(studyProfiles().map((p) => [p.name, p]));
const profile = (name: string) => profiles.get(name)!;
const tls13 = { version: 'TLSv1.3' as const, cipher: 'TLS_AES_256_GCM_SHA384' };

describe('policies', () => {
  it('only the two controls have a valid certificate and TLS 1.2+', () => {
    const good = [...profiles.values()].filter((p) => {
      const f = profileFacts(p);
      return f.tlsOffered && f.certificateValid && ['TLSv1.2', 'TLSv1.3'].includes(f.maxVersion);
    });
    expect(good.map((p) => p.name)).toEqual(['tls1.2', 'tls1.3']);
  });

  it('strict: deliver over TLS 1.2+ to the controls, nowhere else', () => {
    const strict = loadPolicy('strict');
    expect(evaluate(strict, profile('tls1.3'), { outcome: 'delivered-tls', tls: tls13 })).toMatchObject({ verdict: 'pass' });
    expect(evaluate(strict, profile('tls1.3'), { outcome: 'refused-at-handshake', tls: null }).verdict).toBe('fail');
    expect(evaluate(strict, profile('expired'), { outcome: 'delivered-tls', tls: tls13 })).toMatchObject({
      verdict: 'fail',
      reason: 'delivered over TLSv1.3, but must not deliver: the receiver cannot be reached over authenticated TLS 1.2 or later',
    });
    expect(evaluate(strict, profile('tls1.0'), { outcome: 'delivered-tls', tls: { version: 'TLSv1.0', cipher: 'AES128-SHA' } }).verdict).toBe('fail');
    for (const outcome of ['refused-before-tls', 'refused-at-handshake', 'refused-after-handshake', 'not-attempted'] as Outcome[]) {
      expect(evaluate(strict, profile('no-starttls'), { outcome, tls: null }).verdict, outcome).toBe('pass');
    }
    expect(evaluate(strict, profile('no-starttls'), { outcome: 'delivered-plaintext', tls: null }).verdict).toBe('fail');
  });

  it('opportunistic: deliver everywhere, inside TLS wherever STARTTLS works', () => {
    const opportunistic = loadPolicy('opportunistic');
    expect(evaluate(opportunistic, profile('no-starttls'), { outcome: 'delivered-plaintext', tls: null }).verdict).toBe('pass');
    expect(evaluate(opportunistic, profile('handshake-failure'), { outcome: 'plaintext-after-tls-failure', tls: null }).verdict).toBe('pass');
    expect(evaluate(opportunistic, profile('self-signed'), { outcome: 'delivered-tls', tls: tls13 }).verdict).toBe('pass');
    expect(evaluate(opportunistic, profile('self-signed'), { outcome: 'plaintext-after-tls-failure', tls: null }).verdict).toBe('fail');
    expect(evaluate(opportunistic, profile('expired'), { outcome: 'refused-at-handshake', tls: null }).verdict).toBe('fail');
  });

  it('dane: what RFC 7672 implies at each DANE profile; strict (PKIX only) refuses the DANE-EE certificates a DANE sender accepts', () => {
    const catalogue = new Map(loadCatalogue().map((p) => [p.name, p]));
    const dane = loadPolicy('dane');
    const strict = loadPolicy('strict');
    const expected = (policy: typeof dane, name: string) => ruleFor(policy, catalogue.get(name)!).expect;
    const byDane = Object.fromEntries([...catalogue.keys()].filter((n) => n.startsWith('dane-')).map((n) => [n, expected(dane, n)]));
    expect(byDane).toEqual({
      'dane-ee-valid': 'delivered-tls',
      'dane-ee-self-signed': 'delivered-tls',
      'dane-ee-expired': 'delivered-tls',
      'dane-ta-valid': 'delivered-tls',
      'dane-mismatch': 'not-delivered',
      'dane-no-starttls': 'not-delivered',
      'dane-bogus': 'not-delivered',
      'dane-unsigned': 'delivered-tls',
    });
    expect(expected(strict, 'dane-ee-self-signed')).toBe('not-delivered');
    expect(expected(strict, 'dane-ee-expired')).toBe('not-delivered');
    // Without TLSA records the dane policy is opportunistic.
    expect(expected(dane, 'self-signed')).toBe('delivered-tls');
    expect(expected(dane, 'no-starttls')).toBe('delivered');
    expect(evaluate(dane, catalogue.get('dane-bogus')!, { outcome: 'delivered-tls', tls: tls13 }).reason).toMatch(/must not deliver: the MX host's TLSA lookup fails DNSSEC validation: RFC 7672 §2\.1\.2/);
  });

  it('strict refuses the weak-crypto receivers whose key, name, purpose or group is below current floors, and expects TLS at the others', () => {
    const catalogue = new Map(loadCatalogue().map((p) => [p.name, p]));
    const strict = loadPolicy('strict');
    const expected = Object.fromEntries(['rsa-1024', 'dh-1024', 'static-rsa', 'cbc-only', 'no-san', 'wrong-eku', 'sni-required', 'expired-intermediate', 'revoked'].map((n) => [n, ruleFor(strict, catalogue.get(n)!).expect]));
    expect(expected).toEqual({
      'rsa-1024': 'not-delivered',
      'dh-1024': 'not-delivered',
      'static-rsa': 'delivered-tls',
      'cbc-only': 'delivered-tls',
      'no-san': 'not-delivered',
      'wrong-eku': 'not-delivered',
      // Its certificate is valid for a sender that names it: one that does not could have delivered securely.
      'sni-required': 'delivered-tls',
      'expired-intermediate': 'not-delivered',
      // RFC 5280 §6.1.3 (a)(3): revoked is not valid, whether or not the sender looks.
      revoked: 'not-delivered',
    });
    const opportunistic = loadPolicy('opportunistic');
    for (const name of Object.keys(expected)) expect(ruleFor(opportunistic, catalogue.get(name)!).expect, name).toBe('delivered-tls');
  });

  it('certificateRevoked: true only at revoked (where certificateValid is false too), so a policy of its own can single it out', () => {
    const revoked = loadCatalogue().filter((p) => profileFacts(p).certificateRevoked);
    expect(revoked.map((p) => p.name)).toEqual(['revoked']);
    expect(profileFacts(revoked[0]!).certificateValid).toBe(false);
    const lenient = policySchema.parse({
      name: 'pkix-without-revocation',
      title: 'PKIX, revocation not required',
      rules: [
        { when: { certificateRevoked: true }, expect: 'delivered-tls', because: 'revocation is not checked here' },
        { expect: 'not-delivered', because: 'otherwise' },
      ],
    });
    expect(ruleFor(lenient, revoked[0]!).expect).toBe('delivered-tls');
  });

  it('the tampering suite: strict holds the mail (no TLS to be had), opportunistic delivers; injection and a 554 greeting have rules of their own', () => {
    const catalogue = loadCatalogue().filter((p) => p.suite === 'tampering');
    expect(catalogue.length).toBe(12);
    const own = ['starttls-injection', 'greeting-554', 'starttls-second-ehlo'];
    for (const profile of catalogue.filter((p) => !own.includes(p.name))) {
      expect(ruleFor(loadPolicy('strict'), profile).expect, profile.name).toBe('not-delivered');
      expect(ruleFor(loadPolicy('opportunistic'), profile).expect, profile.name).toBe('delivered');
      expect(profileFacts(profile).tlsOffered, profile.name).toBe(false);
    }
    const injection = catalogue.find((p) => p.name === 'starttls-injection')!;
    const greeting = catalogue.find((p) => p.name === 'greeting-554')!;
    expect(profileFacts(injection).tlsOffered).toBe(true);
    for (const name of ['strict', 'opportunistic', 'mta-sts', 'dane']) {
      expect(ruleFor(loadPolicy(name), injection).expect, name).toBe('no-plaintext');
      expect(ruleFor(loadPolicy(name), catalogue.find((p) => p.name === 'starttls-second-ehlo')!).expect, name).toBe('no-plaintext');
      expect(ruleFor(loadPolicy(name), greeting).expect, name).toBe('not-delivered');
    }
    const strict = loadPolicy('strict');
    const tls13 = { version: 'TLSv1.3', cipher: 'x' } as const;
    // no-plaintext: TLS or nothing; plaintext fails, and so does acting on the injected lines, whatever was delivered.
    expect(evaluate(strict, injection, { outcome: 'delivered-tls', tls: tls13 }).verdict).toBe('pass');
    expect(evaluate(strict, injection, { outcome: 'refused-after-handshake', tls: null }).verdict).toBe('pass');
    expect(evaluate(strict, injection, { outcome: 'plaintext-after-tls-failure', tls: null }).verdict).toBe('fail');
    const vulnerable = evaluate(strict, injection, { outcome: 'delivered-tls', tls: tls13, injected: 'inside TLS it sent "MAIL FROM:<a@b>" while its EHLO was still unanswered' });
    expect(vulnerable.verdict).toBe('fail');
    expect(vulnerable.reason).toMatch(/vulnerable to response injection \(STARTTLS buffering, EAST B_1\)/);
    expect(evaluate(loadPolicy('opportunistic'), greeting, { outcome: 'delivered-plaintext', tls: null }).verdict).toBe('fail');
  });

  it('a policy is data: a user policy file works, a malformed one is a one-line error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'badmx-policy-'));
    const file = join(dir, 'tls13-only.json');
    writeFileSync(
      file,
      JSON.stringify({
        name: 'tls13-only',
        title: 'TLS 1.3 only',
        rules: [
          { when: { profiles: ['tls1.3'] }, expect: 'delivered-tls', minVersion: 'TLSv1.3', because: 'TLS 1.3 is there' },
          { expect: 'not-delivered', because: 'anything else is refused' },
        ],
      }),
    );
    const policy = loadPolicy(file);
    expect(evaluate(policy, profile('tls1.2'), { outcome: 'delivered-tls', tls: { version: 'TLSv1.2', cipher: 'x' } }).verdict).toBe('fail');
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ name: 'bad', title: 'x', rules: [{ when: { tlsOffered: true }, expect: 'delivered', because: 'y' }] }));
    expect(() => loadPolicy(bad)).toThrow(/bad\.json: rules: the last rule must have no "when"/);
    writeFileSync(bad, '{');
    expect(() => loadPolicy(bad)).toThrow(/bad\.json: not valid JSON/);
    expect(() => loadPolicy('lenient')).toThrow('unknown policy "lenient": use strict, opportunistic, mta-sts, dane, or the path of a policy JSON file');
  });
});
