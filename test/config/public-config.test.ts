import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPublicConfig, parsePublicConfig, profileAddressing, type PublicConfig } from '../../src/config/public-config.js';
import { BadmxError } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'badmx-config-'));
const EXAMPLE = join(import.meta.dirname, '../../harness/public/badmx.example.json');

function writeConfig(name: string, content: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return file;
}

function errorOf(run: () => unknown): BadmxError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(BadmxError);
    return error as BadmxError;
  }
  throw new Error('expected an error');
}

const MINIMAL = { zone: 'badmx.example.com', listen: { addresses: ['203.0.113.25'] }, dns: { mode: 'delegated', listen: '203.0.113.53' } };

describe('loadPublicConfig', () => {
  it('fills in every default from a minimal file', () => {
    const config = loadPublicConfig(writeConfig('minimal.json', MINIMAL));
    expect(config).toEqual<PublicConfig>({
      zone: 'badmx.example.com',
      listen: { addresses: ['203.0.113.25'], port: 25 },
      dns: { mode: 'delegated', listen: '203.0.113.53', nameServer: 'ns.badmx.example.com' },
      certificate: null,
      dataDir: '/var/lib/badmx',
      schedule: { stepLimit: '30m' },
      runAs: 'nobody',
      limits: { connectionsPerPeer: 5, connectionsPerPeerPerMinute: 30 },
      naming: 'nested',
    });
  });

  it('normalizes names and addresses, and reads relative paths from the file\'s directory', () => {
    mkdirSync(join(dir, 'etc'), { recursive: true });
    const file = writeConfig(
      'etc/full.json',
      // a byte-order mark, as some editors write
      `\uFEFF${JSON.stringify({
        zone: 'BadMX.Example.COM.',
        listen: { addresses: ['2001:DB8:0:0::25', '203.0.113.25'], port: 2525 },
        dns: { mode: 'external', nameServer: 'NS-1.awsdns-01.org.' },
        certificate: { cert: 'tls/fullchain.pem', key: '/etc/ssl/private/badmx.key' },
        dataDir: 'runs',
        schedule: { stepLimit: '2h' },
        runAs: null,
        limits: { connectionsPerPeer: 2, connectionsPerPeerPerMinute: 10 },
      })}`,
    );
    expect(loadPublicConfig(file)).toEqual<PublicConfig>({
      zone: 'badmx.example.com',
      listen: { addresses: ['2001:db8::25', '203.0.113.25'], port: 2525 },
      dns: { mode: 'external', listen: null, nameServer: 'ns-1.awsdns-01.org' },
      certificate: { cert: join(dir, 'etc/tls/fullchain.pem'), key: '/etc/ssl/private/badmx.key' },
      dataDir: join(dir, 'etc/runs'),
      schedule: { stepLimit: '2h' },
      runAs: null,
      limits: { connectionsPerPeer: 2, connectionsPerPeerPerMinute: 10 },
      naming: 'nested',
    });
  });

  it('accepts the shipped example, harness/public/badmx.example.json', () => {
    const config = loadPublicConfig(EXAMPLE);
    expect(config.zone).toBe('badmx.example.com');
    expect(config.dns.mode).toBe('delegated');
    expect(profileAddressing(config, 14).kind).toBe('shared');
  });

  // Every mistake is one line: the file, the JSON path, and what to fix.
  it.each<[string, unknown, string]>([
    ['an address that is not one', { ...MINIMAL, listen: { addresses: ['203.0.113.25', '300.1.2.3'] } }, 'listen.addresses[1]: "300.1.2.3" is not an IP address'],
    ['the same address twice', { ...MINIMAL, listen: { addresses: ['2001:db8::1', '2001:DB8::0:1'] } }, 'listen.addresses[1]: "2001:db8::1" is listed twice (also at [0])'],
    ['the unspecified address', { ...MINIMAL, listen: { addresses: ['0.0.0.0'] } }, 'listen.addresses[0]: "0.0.0.0" is the unspecified address: give the address senders connect to, which DNS publishes'],
    ['a link-scoped address', { ...MINIMAL, listen: { addresses: ['fe80::1%eth0'] } }, 'listen.addresses[0]: "fe80::1%eth0" is scoped to one interface ("%…"), which DNS cannot publish: give a global address'],
    ['no address', { ...MINIMAL, listen: { addresses: [] } }, 'listen.addresses: must list at least one address: one for a sequential schedule, or one per profile'],
    ['addresses as a string', { ...MINIMAL, listen: { addresses: '203.0.113.25' } }, 'listen.addresses: must be a list of IP addresses, e.g. ["203.0.113.25"], not "203.0.113.25"'],
    ['a port as a string', { ...MINIMAL, listen: { addresses: ['203.0.113.25'], port: '25' } }, 'listen.port: must be a number such as 25 (senders deliver to port 25 of an MX, RFC 5321 §5.1), not "25"'],
    ['a port out of range', { ...MINIMAL, listen: { addresses: ['203.0.113.25'], port: 65536 } }, 'listen.port: must be a port number from 1 to 65535, not 65536'],
    ['a misspelt key', { ...MINIMAL, listen: { adresses: ['203.0.113.25'] } }, 'listen: unknown key "adresses"; known: addresses, port (and 1 more)'],
    ['unknown top-level keys', { ...MINIMAL, zones: 'x', port: 25 }, '(top level): unknown keys "zones", "port"; known: zone, listen, dns, certificate, dataDir, schedule, runAs, limits, naming'],
    ['an unknown naming', { ...MINIMAL, naming: 'deep' }, 'naming: "deep" is not a naming: use "nested" (mx.<profile>.<zone>) or "flat" (mx-<profile>.<zone>, covered by one *.<zone> certificate)'],
    ['a zone with a space', { ...MINIMAL, zone: 'badmx example.com' }, 'zone: "badmx example.com" is not a usable DNS name: use two or more labels of a-z, 0-9 and "-" (e.g. "badmx.example.com")'],
    ['a one-label zone', { ...MINIMAL, zone: 'com' }, 'zone: "com" is not a usable DNS name: use two or more labels of a-z, 0-9 and "-" (e.g. "badmx.example.com")'],
    ['no zone', { listen: MINIMAL.listen, dns: MINIMAL.dns }, 'zone: is missing: give the zone you control, e.g. "badmx.example.com"'],
    [
      'an unknown DNS mode',
      { ...MINIMAL, dns: { mode: 'primary' } },
      'dns.mode: "primary" is not a mode: use "delegated" (badmx answers for the zone; NS records at the parent point here) or "external" (your DNS provider serves the file `badmx zone` prints)',
    ],
    [
      'delegated DNS without its address',
      { ...MINIMAL, dns: { mode: 'delegated' } },
      'dns.listen: is missing: mode "delegated" needs the address the embedded DNS server answers on (port 53), the one the parent\'s glue record points to',
    ],
    [
      'external DNS without the provider\'s name server',
      { ...MINIMAL, dns: { mode: 'external' } },
      'dns.nameServer: is missing: mode "external" needs your DNS provider\'s primary name server (e.g. "ns-1.awsdns-01.org") for the zone file\'s SOA and NS',
    ],
    [
      'external DNS with a name server inside the zone',
      { ...MINIMAL, dns: { mode: 'external', nameServer: 'ns1.badmx.example.com' } },
      'dns.nameServer: "ns1.badmx.example.com" is inside the zone, where nothing answers in mode "external": give your DNS provider\'s primary name server',
    ],
    ['external DNS with a listen address', { ...MINIMAL, dns: { mode: 'external', listen: '203.0.113.53', nameServer: 'ns.provider.net' } }, 'dns.listen: is only used with mode "delegated": remove it, or set dns.mode to "delegated"'],
    ['a name server that is not a host name', { ...MINIMAL, dns: { mode: 'delegated', listen: '203.0.113.53', nameServer: 'ns_1 .example' } }, 'dns.nameServer: "ns_1 .example" is not a host name: use two or more labels of a-z, 0-9 and "-"'],
    ['a certificate as a path', { ...MINIMAL, certificate: '/etc/ssl/badmx.pem' }, 'certificate: must be an object { "cert": "<file>", "key": "<file>" }, or null for none, not "/etc/ssl/badmx.pem"'],
    ['a certificate without its key', { ...MINIMAL, certificate: { cert: 'fullchain.pem' } }, 'certificate.key: is missing: give a file path (its private key, PEM)'],
    ['an empty dataDir', { ...MINIMAL, dataDir: '' }, 'dataDir: must not be empty: give a file path (the directory that holds the runs)'],
    ['a step limit that is not a duration', { ...MINIMAL, schedule: { stepLimit: 'half an hour' } }, 'schedule.stepLimit: "half an hour" is not a duration such as "30m" or "2h" (more than 0, at most 7 days)'],
    ['a step limit over 7 days', { ...MINIMAL, schedule: { stepLimit: '200h' } }, 'schedule.stepLimit: "200h" is not a duration such as "30m" or "2h" (more than 0, at most 7 days)'],
    ['runAs root', { ...MINIMAL, runAs: 'root' }, 'runAs: "root" drops nothing: use null to say you mean to keep root (not recommended)'],
    ['runAs with a shell metacharacter', { ...MINIMAL, runAs: 'nobody;id' }, 'runAs: "nobody;id" is not a user name such as "nobody"'],
    ['a fractional limit', { ...MINIMAL, limits: { connectionsPerPeer: 2.5 } }, 'limits.connectionsPerPeer: must be a whole number of simultaneous connections per peer address, not 2.5'],
    ['a zero limit', { ...MINIMAL, limits: { connectionsPerPeerPerMinute: 0 } }, 'limits.connectionsPerPeerPerMinute: must be at least 1 (connections per peer address per minute)'],
    ['an array', [MINIMAL], '(top level): must be a JSON object with "zone", "listen" and "dns", not [{"zone":"badmx.example.com","listen":{"addresses":["203.…'],
  ])('%s', (what, content, expected) => {
    const file = writeConfig(`${what.replaceAll(/\W+/g, '-')}.json`, content);
    const error = errorOf(() => loadPublicConfig(file));
    expect(error.message).toBe(`${file}: ${expected}`);
    expect(error.code).toBe('ECONFIG');
    expect(error.message).not.toMatch(/[\r\n]/);
  });

  it('not JSON: where, as line and column, in one line', () => {
    const file = writeConfig('broken.json', '{\n  "zone": "badmx.example.com",\n  "listen": { "addresses": ["203.0.113.25"] }\n  "dns": {}\n}');
    expect(errorOf(() => loadPublicConfig(file)).message).toBe(`${file}: not valid JSON (Expected ',' or '}' after property value at line 4, column 3)`);
    const quoted = writeConfig('quoted.json', '{"zone":\n x}');
    const message = errorOf(() => loadPublicConfig(quoted)).message;
    expect(message).toMatch(/^.*quoted\.json: not valid JSON \(Unexpected token 'x'/);
    expect(message).not.toMatch(/[\r\n]/);
  });

  it('a file that cannot be read says so and names it', () => {
    expect(errorOf(() => loadPublicConfig(join(dir, 'missing.json'))).message).toBe(`${join(dir, 'missing.json')}: cannot read it (no such file)`);
    expect(errorOf(() => loadPublicConfig(dir)).message).toBe(`${dir}: cannot read it (is a directory)`);
  });

  it('parsePublicConfig names its source in errors', () => {
    expect(errorOf(() => parsePublicConfig({}, 'BADMX_CONFIG', '/')).message).toMatch(/^BADMX_CONFIG: zone: is missing/);
  });
});

describe('profileAddressing', () => {
  const withAddresses = (addresses: string[]): PublicConfig => parsePublicConfig({ ...MINIMAL, listen: { addresses, port: 25 } }, 'test', '/');

  it('one address: shared, the profiles take turns on it', () => {
    expect(profileAddressing(withAddresses(['203.0.113.25']), 14)).toEqual({ kind: 'shared', address: '203.0.113.25', port: 25 });
  });

  it('as many addresses as profiles or more: one each, in order, only as many as there are profiles', () => {
    const addresses = Array.from({ length: 16 }, (_, i) => `2001:db8::${i + 1}`);
    expect(profileAddressing(withAddresses(addresses.slice(0, 14)), 14)).toEqual({ kind: 'per-profile-list', addresses: addresses.slice(0, 14), port: 25 });
    expect(profileAddressing(withAddresses(addresses), 14)).toEqual({ kind: 'per-profile-list', addresses: addresses.slice(0, 14), port: 25 });
    // a single profile with a single address is simply live on it
    expect(profileAddressing(withAddresses(['203.0.113.25']), 1)).toEqual({ kind: 'per-profile-list', addresses: ['203.0.113.25'], port: 25 });
  });

  it('anything in between is an error naming the file and saying both ways out', () => {
    const file = writeConfig('three.json', { ...MINIMAL, listen: { addresses: ['203.0.113.1', '203.0.113.2', '203.0.113.3'] } });
    const error = errorOf(() => profileAddressing(loadPublicConfig(file), 14));
    expect(error.message).toBe(
      `${file}: listen.addresses: 3 addresses for 14 profiles: give 1 (the profiles take turns on it, one at a time) or at least 14 (one per profile, all live)`,
    );
    expect(error.code).toBe('ECONFIG');
  });

  it('refuses a profile count that is no count', () => {
    expect(() => profileAddressing(withAddresses(['203.0.113.25']), 0)).toThrow(RangeError);
  });
});
