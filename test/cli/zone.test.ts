import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { dnskeyPresentation, ensureZoneKey } from '../../src/dns/dnssec.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInProcess } from '../helpers/cli.js';
import { describe, expect, it } from 'vitest';
import { checkZone, decodeCharacterStrings } from '../helpers/named-checkzone.js';
import { studyProfiles } from '../helpers/study.js';
import { loadCatalogue, selectProfiles, slotSpan } from '../../src/profiles/catalogue.js';
import { stsPublication } from '../../src/profiles/mta-sts-policy.js';
import { profileNames } from '../../src/profiles/naming.js';

const EXAMPLE = join(import.meta.dirname, '../../harness/public/badmx.example.json');
const profiles = studyProfiles();
const dir = mkdtempSync(join(tmpdir(), 'badmx-zone-cli-'));

/** Without --certs, a --config's zone key would be made in its dataDir (/var/lib/badmx/certs): the tests keep theirs here. */
function badmx(args: string[]) {
  return runInProcess(['zone', ...args, ...(args.includes('--certs') ? [] : ['--certs', join(dir, 'certs')])]);
}

function config(name: string, content: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(content));
  return file;
}

/** The MTA-STS suite's profiles (slots 15 and on), and every profile of every suite (`--suite all`). */
const stsProfiles = selectProfiles(loadCatalogue(), undefined, ['mta-sts']);
const allProfiles = selectProfiles(loadCatalogue(), undefined, ['all']);

/** name → its TXT records' data, as BIND read them (their character-strings joined). */
function txtData(records: [string, string, string, string, string][]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [name, , , type, rdata] of records) {
    if (type === 'TXT') out.set(name, [...(out.get(name) ?? []), decodeCharacterStrings(rdata).map((b) => b.toString('latin1')).join('')]);
  }
  return out;
}

/**
 * For every sts profile: the `_mta-sts` TXT with the id the fleet serves (the same
 * stsPublication the fleet and the policy hosts use), `mta-sts.<domain>` at the profile's
 * address, and `_smtp._tls` asking for reports by mail, and by HTTPS where the policy host serves.
 */
function expectStsRecords(checked: { records: [string, string, string, string, string][] }, zone: string, addressOf: (slot: number) => string): void {
  const txt = txtData(checked.records);
  const addressType = addressOf(15).includes(':') ? 'AAAA' : 'A';
  const addresses = byType(checked.records, addressType);
  for (const profile of stsProfiles) {
    const names = profileNames(profile, zone);
    const address = addressOf(profile.slot);
    const publication = stsPublication(profile.mtaSts, names, address);
    expect(publication, profile.name).not.toBeNull();
    const sts = publication as NonNullable<typeof publication>;
    expect(txt.get(`_mta-sts.${names.domain}.`), profile.name).toEqual([`v=STSv1; id=${sts.id}`]);
    expect(sts.id).toMatch(/^[a-zA-Z0-9]{1,32}$/); // RFC 8461 §3.1 sts-id
    expect(addresses, profile.name).toContain(`mta-sts.${names.domain}. ${address}`);
    expect(addresses, profile.name).toContain(`${names.hostname}. ${address}`);
    const rua = [`mailto:tlsrpt@probes.${zone}`, ...(profile.mtaSts?.policy === 'served' ? [`https://mta-sts.${names.domain}/tlsrpt`] : [])];
    expect(txt.get(`_smtp._tls.${names.domain}.`), profile.name).toEqual([`v=TLSRPTv1; rua=${rua.join(',')}`]);
  }
  // Nothing else declares a policy: the study's profiles publish none.
  const declared = [...txt.keys()].filter((name) => name.startsWith('_mta-sts.')).sort();
  expect(declared).toEqual(stsProfiles.map((p) => `_mta-sts.${profileNames(p, zone).domain}.`).sort());
  expect([...txt.keys()].filter((name) => name.startsWith('_smtp._tls.'))).toHaveLength(stsProfiles.length);
}

/** "name type rdata" for every record of one type, as BIND read the file. */
function byType(records: [string, string, string, string, string][], type: string): string[] {
  return records.filter((r) => r[3] === type).map(([name, , , , rdata]) => `${name} ${rdata}`);
}

describe('badmx zone', () => {
  it('--naming flat: names one *.<zone> certificate covers, wrong-host beyond it, as BIND loads them', async () => {
    const result = await badmx(['--config', EXAMPLE, '--naming', 'flat']);
    expect(result.exitCode, result.stderr).toBe(0);
    const checked = await checkZone('badmx.example.com', result.stdout);
    expect(checked.ok).toBe(true);
    const mx = byType(checked.records, 'MX');
    expect(mx).toContain('tls1-2.badmx.example.com. 10 mx-tls1-2.badmx.example.com.');
    expect(mx).toContain('wrong-host.x.badmx.example.com. 10 mx.wrong-host.x.badmx.example.com.');
    // Every profile, and the probes' own domain (mx-probes: covered by the wildcard too).
    expect(mx).toContain('probes.badmx.example.com. 10 mx-probes.badmx.example.com.');
    expect(mx).toHaveLength(profiles.length + 1);
  });

  it('--config (delegated, one shared address): a zone BIND loads, with the delegation the parent needs', async () => {
    const result = await badmx(['--config', EXAMPLE]);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    const checked = await checkZone('badmx.example.com', result.stdout);
    expect(checked.ok).toBe(true);
    // Every profile, and the probes' own domain: its MX on the shared address too, and SPF that passes any host.
    const names = [...profiles.map((p) => p.name), 'probes'];
    expect(byType(checked.records, 'MX').sort()).toEqual(names.map((n) => `${n}.badmx.example.com. 10 mx.${n}.badmx.example.com.`).sort());
    expect(byType(checked.records, 'A').sort()).toEqual(
      ['ns.badmx.example.com. 203.0.113.25', ...names.map((n) => `mx.${n}.badmx.example.com. 203.0.113.25`)].sort(),
    );
    expect(byType(checked.records, 'TXT')).toContain('probes.badmx.example.com. "v=spf1 +all"');
    expect(byType(checked.records, 'TXT')).toContain('tls1.0.badmx.example.com. "badmx profile tls1.0: TLS 1.0 only"');
    const header = result.stdout.split('\n').filter((line) => line.startsWith(';'));
    expect(header).toContain(';   badmx.example.com. 3600 IN NS ns.badmx.example.com.');
    expect(header).toContain(';   ns.badmx.example.com. 3600 IN A 203.0.113.25    ; glue: the name server is inside the zone it serves');
    expect(header.join('\n')).toMatch(/all on 203\.0\.113\.25: they take turns there \(sequential schedule\)/);
    expect(header.join('\n')).toMatch(/With a DNS provider instead: set dns\.mode "external"/);
  });

  it('delegated: badmx signs the zone, and the DS it prints for the parent is the one BIND computes from its key', async () => {
    const certs = mkdtempSync(join(tmpdir(), 'badmx-zone-dnssec-'));
    const result = await badmx(['--config', EXAMPLE, '--certs', certs]);
    expect(result.exitCode, result.stderr).toBe(0);
    const header = result.stdout.split('\n').filter((line) => line.startsWith(';'));
    const ds = header.find((line) => / IN DS /.test(line))?.replace(/^;\s+/, '');
    expect(ds).toMatch(/^badmx\.example\.com\. 3600 IN DS \d+ 13 2 [0-9A-F]{64}$/);
    // BIND's dnssec-dsfromkey, from the DNSKEY of the key badmx kept: the same DS
    const keyFile = join(certs, 'dnskey.db');
    writeFileSync(keyFile, `${dnskeyPresentation(ensureZoneKey(certs, 'badmx.example.com'))}\n`);
    const { stdout } = await promisify(execFile)('/usr/bin/dnssec-dsfromkey', ['-2', '-f', keyFile, 'badmx.example.com']);
    const [owner, klass, type, tag, algorithm, digestType, ...digest] = stdout.trim().split(/\s+/);
    expect(`${klass} ${type}`).toBe('IN DS');
    expect(ds).toBe(`${owner} 3600 IN DS ${tag} ${algorithm} ${digestType} ${digest.join('')}`);
  });

  it('flags alone, one --address per profile (IPv6), a provider\'s name server: external mode', async () => {
    const addresses = profiles.map((_, i) => `2001:db8:25::${(i + 1).toString(16)}`);
    const result = await badmx(['--zone', 'Vendor-Eval.Example.ORG.', ...addresses.flatMap((a) => ['--address', a]), '--name-server', 'ns-1.provider.net']);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    const checked = await checkZone('vendor-eval.example.org', result.stdout);
    expect(checked.ok).toBe(true);
    // BIND prints in its own (DNSSEC) order: compare as sets
    // The probes' mailbox on the first address, where every receiver accepts its mail.
    expect(byType(checked.records, 'AAAA').sort()).toEqual(
      [...profiles.map((p, i) => `mx.${p.name}.vendor-eval.example.org. ${addresses[i]}`), `mx.probes.vendor-eval.example.org. ${addresses[0]}`].sort(),
    );
    expect(byType(checked.records, 'NS')).toEqual(['vendor-eval.example.org. ns-1.provider.net.']);
    expect(byType(checked.records, 'A')).toEqual([]);
    expect(result.stdout).toMatch(/^; DNS "external": import this file at your DNS provider as the zone vendor-eval\.example\.org/m);
    expect(result.stdout).toMatch(/each on its own address, all live/);
  });

  it('flags win over the file: --zone moves the zone and its in-zone name server, --address replaces the addresses; --out writes the file', async () => {
    const out = join(dir, 'moved.zone');
    const result = await badmx(['--config', EXAMPLE, '--zone', 'other.example.net', '--address', '198.51.100.7', '--out', out]);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(`zone: ${out}`); // (the final newline stripped, as execa does)
    const checked = await checkZone('other.example.net', readFileSync(out, 'utf8'));
    expect(checked.ok).toBe(true);
    expect(byType(checked.records, 'NS')).toEqual(['other.example.net. ns.other.example.net.']);
    expect(byType(checked.records, 'A')).toContain('ns.other.example.net. 203.0.113.25');
    expect(byType(checked.records, 'A')).toContain('mx.tls1.2.other.example.net. 198.51.100.7');
  });

  it('says when receivers are not on port 25, where senders deliver', async () => {
    const file = config('port.json', { zone: 'badmx.example.com', listen: { addresses: ['203.0.113.25'], port: 2525 }, dns: { mode: 'delegated', listen: '203.0.113.25' } });
    const result = await badmx(['--config', file]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^; Receivers listen on port 2525, but senders deliver to port 25 \(an MX has no port, RFC 5321 §5\.1\): forward 25\/tcp to 2525\.$/m);
  });
});

describe('badmx zone --suite: the MTA-STS suite published as the fleet serves it', () => {
  it('sanity: the sts profiles take the slots after the study\'s fourteen (15-23, and on), every suite together one per slot', () => {
    expect(stsProfiles.length).toBeGreaterThanOrEqual(9);
    expect(stsProfiles.slice(0, 9).map((p) => p.slot)).toEqual([15, 16, 17, 18, 19, 20, 21, 22, 23]);
    expect(Math.min(...stsProfiles.map((p) => p.slot))).toBe(profiles.length + 1);
    expect(slotSpan(allProfiles)).toBe(allProfiles.length);
  });

  it.each([['mta-sts'], ['all']])('--suite %s on one shared address: _mta-sts, mta-sts.<domain> and _smtp._tls per sts profile, as BIND loads them', async (suite) => {
    const result = await badmx(['--config', EXAMPLE, '--suite', suite]);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    const checked = await checkZone('badmx.example.com', result.stdout);
    expect(checked.ok, checked.messages).toBe(true);
    expectStsRecords(checked, 'badmx.example.com', () => '203.0.113.25');
    const published = suite === 'all' ? allProfiles : stsProfiles;
    if (suite === 'all') {
      // The example's certificate is not on this machine: the DANE profiles that would serve it get their TLSA at run time.
      expect(result.stdout).toMatch(/^; No TLSA records here for dane-ee-valid, dane-ta-valid, dane-bogus: they serve the certificate /m);
      expect(result.stdout).toMatch(/^; dane-bogus and dane-unsigned: badmx itself serves them as their profiles say/m);
      expect(byType(checked.records, 'TLSA').map((r) => r.split(' ')[0]).sort()).toEqual(
        ['dane-ee-expired', 'dane-ee-self-signed', 'dane-mismatch', 'dane-no-starttls', 'dane-unsigned'].map((p) => `_25._tcp.mx.${p}.badmx.example.com.`),
      );
    }
    expect(byType(checked.records, 'MX').sort()).toEqual(
      [...published.map((p) => `${p.name}.badmx.example.com. 10 mx.${p.name}.badmx.example.com.`), 'probes.badmx.example.com. 10 mx.probes.badmx.example.com.'].sort(),
    );
    expect(result.stdout).toMatch(new RegExp(`^; badmx public zone badmx\\.example\\.com: ${published.length} receiver profiles, all on 203\\.0\\.113\\.25`, 'm'));
  });

  it('--suite all, one address per profile (23 and on): each sts profile and its policy host on the address of its slot', async () => {
    const addresses = allProfiles.map((_, i) => `198.51.100.${i + 1}`);
    expect(addresses.length).toBeGreaterThanOrEqual(23);
    const result = await badmx(['--zone', 'vendor-eval.example.org', '--suite', 'all', ...addresses.flatMap((a) => ['--address', a]), '--name-server', 'ns-1.provider.net']);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    const checked = await checkZone('vendor-eval.example.org', result.stdout);
    expect(checked.ok, checked.messages).toBe(true);
    // At a DNS provider, the DANE profiles only badmx's own DNS can serve are left out, and the file says so.
    expect(result.stdout).toMatch(/^; Left out: dane-bogus, dane-unsigned\. /m);
    expect(byType(checked.records, 'MX').some((r) => r.startsWith('dane-bogus.'))).toBe(false);
    // The other DANE profiles' TLSA records name the keys the receivers serve (the test PKI here: no --cert).
    expect(byType(checked.records, 'TLSA')).toHaveLength(6);
    expectStsRecords(checked, 'vendor-eval.example.org', (slot) => addresses[slot - 1] as string);
    // The study's profiles keep slots 1-14, untouched by the suite beside them.
    expect(byType(checked.records, 'A')).toContain(`mx.tls1.2.vendor-eval.example.org. ${addresses[5]}`);
    expect(byType(checked.records, 'A')).toContain(`mta-sts.sts-enforce-valid.vendor-eval.example.org. ${addresses[14]}`);
    expect(byType(checked.records, 'A')).toContain(`mta-sts.sts-policy-bad-certificate.vendor-eval.example.org. ${addresses[22]}`);
  });

  it('--suite mta-sts, one address per slot (IPv6): the policy hosts as AAAA on slots 15-23, as the fleet listens', async () => {
    // Addresses go by slot, so the suite alone still takes one per slot from 1 (the first 14 are the study's).
    const addresses = Array.from({ length: slotSpan(stsProfiles) }, (_, i) => `2001:db8:25::${(i + 1).toString(16)}`);
    const result = await badmx(['--zone', 'vendor-eval.example.org', '--suite', 'mta-sts', ...addresses.flatMap((a) => ['--address', a]), '--dns-listen', '2001:db8:25::35']);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    const checked = await checkZone('vendor-eval.example.org', result.stdout);
    expect(checked.ok, checked.messages).toBe(true);
    expectStsRecords(checked, 'vendor-eval.example.org', (slot) => addresses[slot - 1] as string);
    expect(byType(checked.records, 'AAAA')).toContain('mta-sts.sts-enforce-valid.vendor-eval.example.org. 2001:db8:25::f');
    expect(byType(checked.records, 'AAAA')).toContain('mta-sts.sts-policy-bad-certificate.vendor-eval.example.org. 2001:db8:25::17');
    expect(byType(checked.records, 'MX')).toHaveLength(stsProfiles.length + 1);
  });

  it('the default suite (the study) publishes no MTA-STS or TLS-RPT record', async () => {
    const result = await badmx(['--config', EXAMPLE]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).not.toMatch(/_mta-sts\.|_smtp\._tls\.|mta-sts\./);
  });
});

describe('badmx zone: bad input is one line and exit 2', () => {
  it.each<[string, string[], RegExp]>([
    ['a zone name with a space', ['--zone', 'bad zone.example', '--address', '203.0.113.25', '--dns-listen', '203.0.113.53'], /^badmx: zone "bad zone\.example" is not a usable DNS name/],
    ['no addresses', ['--zone', 'badmx.example.com', '--dns-listen', '203.0.113.53'], /^badmx: badmx zone needs the receivers' addresses: --address <ip>/],
    ['two addresses for fourteen profiles', ['--zone', 'badmx.example.com', '--address', '203.0.113.1', '--address', '203.0.113.2', '--dns-listen', '203.0.113.53'], /^badmx: --address is given 2 times for \d+ profiles: give it once/],
    ['a bad address', ['--zone', 'badmx.example.com', '--address', '203.0.113.256', '--dns-listen', '203.0.113.53'], /^badmx: --address: "203\.0\.113\.256" is not an IP address$/],
    ['nobody answering for the zone', ['--zone', 'badmx.example.com', '--address', '203.0.113.25'], /^badmx: badmx zone needs to know who answers for the zone/],
    ['a provider name server inside the zone', ['--zone', 'badmx.example.com', '--address', '203.0.113.25', '--name-server', 'ns1.badmx.example.com'], /^badmx: the name server ns1\.badmx\.example\.com is inside the zone/],
    ['a broken config file', ['--config', join(tmpdir(), 'badmx-no-such-config.json')], /^badmx: .*badmx-no-such-config\.json: cannot read it \(no such file\)$/],
  ])('%s', async (_what, args, message) => {
    const result = await badmx(args);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr.trimEnd()).toMatch(message);
  });

  it('a config whose address count fits no schedule names the file and the path', async () => {
    const file = config('three.json', { zone: 'badmx.example.com', listen: { addresses: ['203.0.113.1', '203.0.113.2', '203.0.113.3'] }, dns: { mode: 'delegated', listen: '203.0.113.53' } });
    const result = await badmx(['--config', file]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe(`badmx: ${file}: listen.addresses: 3 addresses for ${profiles.length} profiles: give 1 (the profiles take turns on it, one at a time) or at least ${profiles.length} (one per profile, all live)`);
  });
});
