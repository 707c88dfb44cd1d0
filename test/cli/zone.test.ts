import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInProcess } from '../helpers/cli.js';
import { describe, expect, it } from 'vitest';
import { checkZone } from '../helpers/named-checkzone.js';
import { studyProfiles } from '../helpers/study.js';

const EXAMPLE = join(import.meta.dirname, '../../harness/public/badmx.example.json');
const profiles = studyProfiles();
const dir = mkdtempSync(join(tmpdir(), 'badmx-zone-cli-'));

function badmx(args: string[]) {
  return runInProcess(['zone', ...args]);
}

function config(name: string, content: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(content));
  return file;
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
