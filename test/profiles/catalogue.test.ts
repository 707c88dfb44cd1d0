import { isControlProfile } from '../../src/profiles/profile-role.js';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILTIN_CATALOGUE, loadCatalogue, selectProfiles } from '../../src/profiles/catalogue.js';

const CORE = [
  'no-starttls',
  'starttls-454',
  'handshake-failure',
  'tls1.0',
  'tls1.1',
  'tls1.2',
  'tls1.3',
  'self-signed',
  'expired',
  'not-yet-valid',
  'wrong-host',
  'untrusted-root',
  'incomplete-chain',
  'sha1-signature',
];

function catalogueWith(files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'badmx-catalogue-'));
  for (const [name, content] of Object.entries(files)) {
    writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return dir;
}

const valid = { name: 'extra', slot: 40, title: 'Extra', tests: 'Does it?', starttls: 'offer' };

describe('profile catalogue', () => {
  it('ships the 14 core profiles, in slot order, with defaults filled in: the study suite, what a run probes by default', () => {
    const profiles = loadCatalogue().filter((p) => p.suite === 'study');
    expect(profiles.map((p) => p.name)).toEqual(CORE);
    expect(profiles.map((p) => p.slot)).toEqual(CORE.map((_, i) => i + 1));
    expect(selectProfiles(loadCatalogue(), undefined).map((p) => p.name)).toEqual(CORE);
    const expired = profiles.find((p) => p.name === 'expired');
    expect(expired?.certificate).toEqual({
      issuer: 'intermediate',
      names: 'profile',
      validity: 'expired',
      signature: 'sha256',
      chain: 'with-intermediate',
      keyBits: 2048,
      eku: 'server-auth',
    });
  });

  it('ships the MTA-STS suite after them (slots 15-24): each declares a policy, and a suite is chosen by name', () => {
    const sts = selectProfiles(loadCatalogue(), undefined, ['mta-sts']);
    expect(sts.map((p) => p.name)).toEqual([
      'sts-enforce-valid',
      'sts-enforce-no-starttls',
      'sts-enforce-self-signed',
      'sts-enforce-expired',
      'sts-enforce-wrong-host',
      'sts-enforce-mx-mismatch',
      'sts-testing-self-signed',
      'sts-policy-unreachable',
      'sts-policy-bad-certificate',
      'sts-cached-downgrade',
    ]);
    expect(sts.map((p) => p.slot)).toEqual([15, 16, 17, 18, 19, 20, 21, 22, 23, 24]);
    expect(sts.every((p) => p.mtaSts !== undefined)).toBe(true);
    expect(selectProfiles(loadCatalogue(), undefined, ['study,mta-sts'])).toHaveLength(CORE.length + sts.length);
    expect(() => selectProfiles(loadCatalogue(), undefined, ['smime'])).toThrow('--suite "smime" is not a suite: use study, mta-sts, dane, weak-crypto, tampering, all (core is study)');
    expect(selectProfiles(loadCatalogue(), undefined, ['core']).map((p) => p.name)).toEqual(selectProfiles(loadCatalogue(), undefined, ['study']).map((p) => p.name));
    // a profile named explicitly is taken from any suite
    expect(selectProfiles(loadCatalogue(), ['sts-enforce-valid', 'tls1.2']).map((p) => p.name)).toEqual(['tls1.2', 'sts-enforce-valid']);
  });

  it('ships the DANE suite after them (slots 25-32): each publishes TLSA records, and only the validated matching ones are controls', () => {
    const dane = selectProfiles(loadCatalogue(), undefined, ['dane']);
    expect(dane.map((p) => p.name)).toEqual([
      'dane-ee-valid',
      'dane-ee-self-signed',
      'dane-ee-expired',
      'dane-ta-valid',
      'dane-mismatch',
      'dane-no-starttls',
      'dane-bogus',
      'dane-unsigned',
    ]);
    expect(dane.map((p) => p.slot)).toEqual([25, 26, 27, 28, 29, 30, 31, 32]);
    expect(dane.filter(isControlProfile).map((p) => p.name)).toEqual(['dane-ee-valid', 'dane-ta-valid']);
    const sts = selectProfiles(loadCatalogue(), undefined, ['mta-sts']);
    const weak = selectProfiles(loadCatalogue(), undefined, ['weak-crypto']);
    const tampered = selectProfiles(loadCatalogue(), undefined, ['tampering']);
    expect(selectProfiles(loadCatalogue(), undefined, ['all'])).toHaveLength(CORE.length + sts.length + dane.length + weak.length + tampered.length);
  });

  it('ships the weak-crypto suite after them (slots 33-40, 49): each valid but for one weakness, and none a control', () => {
    const weak = selectProfiles(loadCatalogue(), undefined, ['weak-crypto']);
    expect(weak.map((p) => [p.name, p.slot])).toEqual([
      ['rsa-1024', 33],
      ['dh-1024', 34],
      ['static-rsa', 35],
      ['cbc-only', 36],
      ['no-san', 37],
      ['wrong-eku', 38],
      ['sni-required', 39],
      ['expired-intermediate', 40],
      ['revoked', 49],
    ]);
    expect(weak.filter(isControlProfile)).toEqual([]);
  });

  it('ships the tampering suite after them (slots 41-48, 50-53): STARTTLS advertised and tampered with, none a control', () => {
    const tampered = selectProfiles(loadCatalogue(), undefined, ['tampering']);
    expect(tampered.map((p) => [p.name, p.slot])).toEqual([
      ['starttls-221', 41],
      ['starttls-354', 42],
      ['starttls-421', 43],
      ['starttls-500', 44],
      ['starttls-501', 45],
      ['starttls-530', 46],
      ['starttls-220-plaintext', 47],
      ['ehlo-refused', 48],
      ['starttls-injection', 50],
      ['greeting-554', 51],
      ['starttls-220-no-transition', 52],
      ['starttls-second-ehlo', 53],
    ]);
    expect(tampered.every((p) => p.starttls === 'offer' && p.tampering !== undefined)).toBe(true);
    expect(tampered.filter(isControlProfile)).toEqual([]);
    expect(() => loadCatalogue(catalogueWith({ 'extra.json': { ...valid, suite: 'tampering', tampering: { starttlsReply: 500, ehlo: 'refused' } } }))).toThrow(/tampering: say exactly one/);
  });

  it('a profile of the dane suite must say what it publishes, and DANE-TA needs the intermediate in the chain', () => {
    expect(() => loadCatalogue(catalogueWith({ 'extra.json': { ...valid, suite: 'dane' } }))).toThrow(/extra\.json: dane: is required in the "dane" suite/);
    const leafOnly = { ...valid, suite: 'dane', dane: { tlsa: 'ta' }, certificate: { chain: 'leaf-only' } };
    expect(() => loadCatalogue(catalogueWith({ 'extra.json': leafOnly }))).toThrow(/extra\.json: dane\.tlsa: "ta" names the issuing intermediate/);
  });

  it('a profile of the mta-sts suite must say what it declares', () => {
    const dir = catalogueWith({ 'extra.json': { ...valid, suite: 'mta-sts' } });
    expect(() => loadCatalogue(dir)).toThrow(/extra\.json: mtaSts: is required in the "mta-sts" suite/);
  });

  it('a user adds a profile by dropping in a file: no code', () => {
    const dir = catalogueWith({
      'extra.json': valid,
      'tls1.2.json': JSON.parse(readFileSync(join(BUILTIN_CATALOGUE, 'tls1.2.json'), 'utf8')) as unknown,
    });
    expect(loadCatalogue(dir).map((p) => p.name)).toEqual(['tls1.2', 'extra']);
  });

  it.each([
    ['not JSON', { 'extra.json': '{ nope' }, /extra\.json: not valid JSON/],
    ['unknown field', { 'extra.json': { ...valid, colour: 'red' } }, /extra\.json: .*colour/],
    ['bad STARTTLS behaviour', { 'extra.json': { ...valid, starttls: 'maybe' } }, /extra\.json: starttls: /],
    ['bad name', { 'Extra_1.json': { ...valid, name: 'Extra_1' } }, /Extra_1\.json: name: must be lower-case DNS labels/],
    ['name differs from file', { 'other.json': valid }, /other\.json: name "extra" must match the file name \("other"\)/],
    ['versions reversed', { 'extra.json': { ...valid, tls: { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.2' } } }, /tls\.minVersion: is above tls\.maxVersion/],
    [
      'TLS 1.0 without security level 0',
      { 'extra.json': { ...valid, tls: { minVersion: 'TLSv1.0', maxVersion: 'TLSv1.0', ciphers: 'AES128-SHA' } } },
      /tls\.ciphers: TLS 1\.0\/1\.1 need "@SECLEVEL=0"/,
    ],
    ['duplicate slot', { 'extra.json': valid, 'twin.json': { ...valid, name: 'twin' } }, /twin\.json: slot 40 is already used by "extra" \(first free slot: 1\)/],
    ['empty directory', {}, /holds no \*\.json profile/],
  ])('rejects %s with a one-line message naming file and field', (_, files, message) => {
    const dir = catalogueWith(files);
    let error: Error | undefined;
    try {
      loadCatalogue(dir);
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).toMatch(message);
    expect(error?.message).not.toContain('\n');
    expect((error as { code?: string }).code).toBe('EPROFILE');
  });

  it('selects profiles by name and names the unknown ones', () => {
    const profiles = loadCatalogue();
    expect(selectProfiles(profiles, ['tls1.3', 'expired']).map((p) => p.name)).toEqual(['tls1.3', 'expired']);
    expect(() => selectProfiles(profiles, ['tls9'])).toThrow(/unknown profile "tls9"; known: no-starttls/);
  });
});
