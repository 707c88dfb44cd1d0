import { describe, expect, it } from 'vitest';
import { parsePublicConfig } from '../../src/config/public-config.js';
import { profileDescription, publicZone } from '../../src/config/public-zone.js';
import { studyProfiles } from '../helpers/study.js';

const profiles = studyProfiles();
const base = { zone: 'badmx.example.com', dns: { mode: 'delegated', listen: '203.0.113.53' } };

describe('publicZone', () => {
  it('shared: every profile has its MX, every MX host the one address, every domain its TXT', () => {
    const zone = publicZone(parsePublicConfig({ ...base, listen: { addresses: ['203.0.113.25'] } }, 'test', '/'), profiles);
    expect(zone.origin).toBe('badmx.example.com');
    for (const profile of profiles) {
      const domain = `${profile.name}.badmx.example.com`;
      expect(zone.records.filter((r) => r.name === domain)).toEqual([
        { name: domain, type: 'MX', ttl: 60, data: { preference: 10, exchange: `mx.${domain}` } },
        { name: domain, type: 'TXT', ttl: 60, data: profileDescription(profile) },
      ]);
      expect(zone.records.filter((r) => r.name === `mx.${domain}`)).toEqual([{ name: `mx.${domain}`, type: 'A', ttl: 60, data: '203.0.113.25' }]);
    }
  });

  it('per profile: the i-th address for the i-th profile in slot order, IPv6 as AAAA', () => {
    const addresses = profiles.map((_, i) => (i % 2 === 0 ? `203.0.113.${i + 1}` : `2001:db8::${i + 1}`));
    const zone = publicZone(parsePublicConfig({ ...base, listen: { addresses: [...addresses, '203.0.113.200'] } }, 'test', '/'), profiles);
    profiles.forEach((profile, i) => {
      const host = zone.records.filter((r) => r.name === `mx.${profile.name}.badmx.example.com`);
      expect(host).toEqual([{ name: `mx.${profile.name}.badmx.example.com`, type: i % 2 === 0 ? 'A' : 'AAAA', ttl: 60, data: addresses[i] }]);
    });
    expect(zone.records.some((r) => r.type === 'A' && r.data === '203.0.113.200')).toBe(false);
  });

  it('glue for the name server only when badmx answers (delegated) and the name is inside the zone', () => {
    const delegated = publicZone(parsePublicConfig({ ...base, listen: { addresses: ['203.0.113.25'] } }, 'test', '/'), profiles);
    expect(delegated.records.filter((r) => r.name === 'ns.badmx.example.com')).toEqual([{ name: 'ns.badmx.example.com', type: 'A', ttl: 60, data: '203.0.113.53' }]);
    const external = publicZone(
      parsePublicConfig({ ...base, listen: { addresses: ['203.0.113.25'] }, dns: { mode: 'external', nameServer: 'ns-1.provider.net' } }, 'test', '/'),
      profiles,
    );
    expect(external.nameServer).toEqual({ hostname: 'ns-1.provider.net', address: null });
    expect(external.records.filter((r) => r.type === 'NS' || r.name.startsWith('ns'))).toEqual([{ name: 'badmx.example.com', type: 'NS', ttl: 60, data: 'ns-1.provider.net' }]);
  });
});
