import { describe, expect, it } from 'vitest';
import {
  checkProfileNames,
  isPublicZone,
  mxHostname,
  parseNaming,
  profileNames,
  recipientDomain,
} from '../../src/profiles/naming.js';
import type { Profile } from '../../src/profiles/profile-schema.js';
import { namesCover } from '../../src/certs/name-coverage.js';
import { studyProfiles } from '../helpers/study.js';

const catalogue = studyProfiles();
const byName = (name: string): Profile => catalogue.find((p) => p.name === name) as Profile;
const ZONE = 'badmx.example.com';

describe('naming', () => {
  it('nested (the default) keeps the dotted profile name', () => {
    expect(recipientDomain('tls1.2', ZONE)).toBe('tls1.2.badmx.example.com');
    expect(mxHostname('tls1.2', ZONE)).toBe('mx.tls1.2.badmx.example.com');
    expect(profileNames(byName('wrong-host'), ZONE)).toEqual({ hostname: 'mx.wrong-host.badmx.example.com', domain: 'wrong-host.badmx.example.com' });
  });

  it('flat puts every profile one label under the zone, so one *.<zone> wildcard covers both its names', () => {
    expect(profileNames(byName('tls1.2'), ZONE, 'flat')).toEqual({ hostname: 'mx-tls1-2.badmx.example.com', domain: 'tls1-2.badmx.example.com' });
    for (const profile of catalogue.filter((p) => p.certificate.names === 'profile')) {
      const names = profileNames(profile, ZONE, 'flat');
      expect(namesCover([`*.${ZONE}`], names.hostname), profile.name).toBe(true);
      expect(namesCover([`*.${ZONE}`], names.domain), profile.name).toBe(true);
      // and under nested naming a dotted name is two labels deep: honestly not covered
      if (profile.name.includes('.')) expect(namesCover([`*.${ZONE}`], profileNames(profile, ZONE).domain), profile.name).toBe(false);
    }
  });

  it('flat puts wrong-host beyond the wildcard: neither of its names is covered', () => {
    const names = profileNames(byName('wrong-host'), ZONE, 'flat');
    expect(names).toEqual({ hostname: 'mx.wrong-host.x.badmx.example.com', domain: 'wrong-host.x.badmx.example.com' });
    expect(namesCover([`*.${ZONE}`], names.hostname)).toBe(false);
    expect(namesCover([`*.${ZONE}`], names.domain)).toBe(false);
  });

  it('refuses names that collide or grow too long under flat naming', () => {
    const twin = { ...byName('tls1.2'), name: 'tls1-2' };
    expect(() => checkProfileNames([byName('tls1.2'), twin], ZONE, 'flat')).toThrow(/profiles tls1\.2 and tls1-2 both get the name "mx-tls1-2\.badmx\.example\.com"/);
    expect(() => checkProfileNames([byName('tls1.2'), twin], ZONE, 'nested')).not.toThrow();
    const long = { ...byName('tls1.3'), name: 'a'.repeat(62) };
    expect(() => checkProfileNames([long], ZONE, 'nested')).not.toThrow();
    expect(() => checkProfileNames([long], ZONE, 'flat')).toThrow(/is not a valid DNS name under flat naming/);
    expect(() => checkProfileNames(catalogue, ZONE, 'flat')).not.toThrow();
  });

  it('parses --naming and tells local zones from public ones', () => {
    expect(parseNaming('FLAT')).toBe('flat');
    expect(() => parseNaming('wide')).toThrow(/^--naming "wide" is not a naming scheme: use nested or flat$/);
    expect(isPublicZone('badmx.test')).toBe(false);
    expect(isPublicZone('mx.example')).toBe(false);
    expect(isPublicZone('badmx.example.com')).toBe(true);
  });
});
