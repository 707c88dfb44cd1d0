import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { txtStrings, renderZoneFile } from '../../src/dns/zone-file.js';
import { buildZone, SOA_TIMERS, type ZoneRecord } from '../../src/dns/zone-records.js';
import { BadmxError } from '../../src/errors.js';
import { checkZone, decodeCharacterStrings } from '../helpers/named-checkzone.js';

/**
 * The zone file is read back by BIND's own parser (named-checkzone, at its strictest):
 * what a DNS provider or a BIND/NSD secondary would load is what these tests compare.
 */

const ORIGIN = 'badmx.example.com';

function zoneWith(hosts: { profile: string; address: string }[], extra: ZoneRecord[] = [], description = (p: string) => `badmx profile ${p}`) {
  return buildZone({
    origin: ORIGIN,
    hosts: hosts.map(({ profile, address }) => ({
      domain: `${profile}.${ORIGIN}`,
      hostname: `mx.${profile}.${ORIGIN}`,
      address,
      description: description(profile),
    })),
    nameServer: { hostname: `ns.${ORIGIN}`, address: '203.0.113.53' },
    extra,
  });
}

/** Records as BIND read them, without SOA, as "name type rdata" lines, sorted. */
function recordSet(records: [string, string, string, string, string][]): string[] {
  return records
    .filter(([, , , type]) => type !== 'SOA')
    .map(([name, , , type, rdata]) => `${name} ${type} ${type === 'TLSA' ? tlsaData(rdata) : rdata}`)
    .sort();
}

/** BIND prints long TLSA data in whitespace-separated groups (RFC 6698 §2.2 allows it): join them. */
function tlsaData(rdata: string): string {
  const [usage, selector, matching, ...hex] = rdata.split(/\s+/);
  return `${usage} ${selector} ${matching} ${hex.join('').toUpperCase()}`;
}

describe('zone file, as BIND reads it', () => {
  it('per-profile addresses: SOA, NS and glue, each profile its MX, its host address and its TXT', async () => {
    const zone = zoneWith([
      { profile: 'tls1.2', address: '203.0.113.6' },
      { profile: 'no-starttls', address: '203.0.113.1' },
    ]);
    const text = renderZoneFile(zone);
    const checked = await checkZone(ORIGIN, text);
    expect(checked.messages).not.toMatch(/error|warning/i);
    expect(checked.ok).toBe(true);
    expect(checked.records[0]).toEqual([
      `${ORIGIN}.`,
      String(SOA_TIMERS.minimum),
      'IN',
      'SOA',
      `ns.${ORIGIN}. hostmaster.${ORIGIN}. ${zone.serial} ${SOA_TIMERS.refresh} ${SOA_TIMERS.retry} ${SOA_TIMERS.expire} ${SOA_TIMERS.minimum}`,
    ]);
    expect(recordSet(checked.records)).toEqual(
      [
        `${ORIGIN}. NS ns.${ORIGIN}.`,
        `ns.${ORIGIN}. A 203.0.113.53`,
        `tls1.2.${ORIGIN}. MX 10 mx.tls1.2.${ORIGIN}.`,
        `mx.tls1.2.${ORIGIN}. A 203.0.113.6`,
        `tls1.2.${ORIGIN}. TXT "badmx profile tls1.2"`,
        `no-starttls.${ORIGIN}. MX 10 mx.no-starttls.${ORIGIN}.`,
        `mx.no-starttls.${ORIGIN}. A 203.0.113.1`,
        `no-starttls.${ORIGIN}. TXT "badmx profile no-starttls"`,
      ].sort(),
    );
    // Every TTL is the zone's short one: a schedule change must reach senders within a minute.
    expect(new Set(checked.records.map((r) => r[1]))).toEqual(new Set(['60']));
  });

  it('a shared address: every MX host name resolves to it', async () => {
    const profiles = ['tls1.0', 'expired', 'wrong-host'];
    const checked = await checkZone(ORIGIN, renderZoneFile(zoneWith(profiles.map((profile) => ({ profile, address: '198.51.100.25' })))));
    expect(checked.ok).toBe(true);
    const addresses = checked.records.filter(([name, , , type]) => type === 'A' && name.startsWith('mx.'));
    expect(addresses.map(([name, , , , rdata]) => `${name} ${rdata}`).sort()).toEqual(profiles.map((p) => `mx.${p}.${ORIGIN}. 198.51.100.25`).sort());
  });

  it('IPv6: AAAA records, in canonical form, beside IPv4 ones', async () => {
    const zone = buildZone({
      origin: ORIGIN,
      hosts: [
        { domain: `tls1.3.${ORIGIN}`, hostname: `mx.tls1.3.${ORIGIN}`, address: '2001:db8::25' },
        { domain: `tls1.2.${ORIGIN}`, hostname: `mx.tls1.2.${ORIGIN}`, address: '2001:DB8:0:0:0:0:0:26' },
        { domain: `expired.${ORIGIN}`, hostname: `mx.expired.${ORIGIN}`, address: '203.0.113.9' },
      ],
      nameServer: { hostname: `ns.${ORIGIN}`, address: '2001:db8::53' },
    });
    const checked = await checkZone(ORIGIN, renderZoneFile(zone));
    expect(checked.ok).toBe(true);
    expect(recordSet(checked.records).filter((r) => / (A|AAAA) /.test(r))).toEqual(
      [`ns.${ORIGIN}. AAAA 2001:db8::53`, `mx.tls1.3.${ORIGIN}. AAAA 2001:db8::25`, `mx.tls1.2.${ORIGIN}. AAAA 2001:db8::26`, `mx.expired.${ORIGIN}. A 203.0.113.9`].sort(),
    );
  });

  it('TLSA records (RFC 6698) for DANE profiles: usage, selector, matching type and the data in hex', async () => {
    const digest = Buffer.from('0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', 'hex');
    const tlsa: ZoneRecord = { name: `_25._tcp.mx.tls1.2.${ORIGIN}`, type: 'TLSA', ttl: 60, data: { usage: 3, selector: 1, matchingType: 1, certificate: digest } };
    const text = renderZoneFile(zoneWith([{ profile: 'tls1.2', address: '203.0.113.6' }], [tlsa]));
    expect(text).toContain(`_25._tcp.mx.tls1.2.${ORIGIN}. 60 IN TLSA 3 1 1 ${digest.toString('hex').toUpperCase()}`);
    const checked = await checkZone(ORIGIN, text);
    expect(checked.ok).toBe(true);
    expect(recordSet(checked.records)).toContain(`_25._tcp.mx.tls1.2.${ORIGIN}. TLSA 3 1 1 ${digest.toString('hex').toUpperCase()}`);
  });

  it('hostile TXT: quotes, backslashes, ";", parentheses, line breaks, "$INCLUDE", UTF-8 and 600 octets arrive as the same octets', async () => {
    const hostile = [
      'say "hi" \\ and \\\\ bye',
      'not a comment; ( nor a group ) $INCLUDE /etc/passwd',
      'line one\r\nfake.badmx.example.com. 60 IN A 192.0.2.66\n',
      'café ☕ 😀 \u0000\u007f',
      `${'x'.repeat(254)}é${'y'.repeat(340)}`, // é straddles the 255-octet boundary
      '',
    ];
    const records: ZoneRecord[] = hostile.map((data, i) => ({ name: `t${i}.${ORIGIN}`, type: 'TXT', ttl: 60, data }));
    const text = renderZoneFile(zoneWith([], records));
    // one record per line: nothing in the data broke out of its quotes
    expect(text.split('\n').filter((line) => line.includes(' TXT '))).toHaveLength(hostile.length);
    const checked = await checkZone(ORIGIN, text);
    expect(checked.ok).toBe(true);
    expect(checked.records.some(([name]) => name.startsWith('fake.'))).toBe(false);
    hostile.forEach((data, i) => {
      const record = checked.records.find(([name, , , type]) => name === `t${i}.${ORIGIN}.` && type === 'TXT');
      const strings = decodeCharacterStrings(record?.[4] ?? '');
      // split at 255 octets exactly, as the embedded server splits them
      expect(strings.map((s) => s.length).every((n) => n <= 255)).toBe(true);
      expect(Buffer.concat(strings).equals(Buffer.from(data, 'utf8'))).toBe(true);
    });
    expect(decodeCharacterStrings(checked.records.find(([name]) => name === `t4.${ORIGIN}.`)?.[4] ?? '').map((s) => s.length)).toEqual([255, 255, 86]);
  });

  it('any text at all survives the trip through the zone file (property, read back by BIND)', async () => {
    // Characters the master-file syntax gives a meaning to, mixed with any ASCII and any code point; long enough to be split.
    const unit = fc.oneof(
      fc.constantFrom('"', '\\', ';', '(', ')', '\n', '\r', '\t', ' ', '$', '@', '\u0000', 'é'),
      fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 1 }),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
    );
    const texts = fc.sample(fc.string({ unit, maxLength: 700, size: 'max' }), { numRuns: 60, seed: 7 });
    expect(texts.some((t) => Buffer.byteLength(t) > 510)).toBe(true);
    const records: ZoneRecord[] = texts.map((data, i) => ({ name: `p${i}.${ORIGIN}`, type: 'TXT', ttl: 60, data }));
    const checked = await checkZone(ORIGIN, renderZoneFile(zoneWith([], records)));
    expect(checked.ok).toBe(true);
    texts.forEach((data, i) => {
      const rdata = checked.records.find(([name, , , type]) => name === `p${i}.${ORIGIN}.` && type === 'TXT')?.[4] ?? '';
      expect(Buffer.concat(decodeCharacterStrings(rdata)).equals(Buffer.from(data, 'utf8'))).toBe(true);
    });
  });

  it('comments cannot break their line: a newline in a header becomes \\x0a, not a record or a directive', async () => {
    const text = renderZoneFile(zoneWith([]), { comments: ['from evil\n$INCLUDE /etc/passwd', 'fake.badmx.example.com. IN A 192.0.2.1'] });
    expect(text.split('\n').slice(0, 2)).toEqual(['; from evil\\x0a$INCLUDE /etc/passwd', '; fake.badmx.example.com. IN A 192.0.2.1']);
    const checked = await checkZone(ORIGIN, text);
    expect(checked.ok).toBe(true);
    expect(checked.records.map(([name]) => name)).not.toContain('fake.badmx.example.com.');
  });
});

describe('zone file text', () => {
  it('writes every name absolute, with its trailing dot, after $ORIGIN and $TTL', () => {
    const text = renderZoneFile(zoneWith([{ profile: 'tls1.2', address: '203.0.113.6' }]));
    const lines = text.split('\n').filter((line) => line !== '' && !line.startsWith(';'));
    expect(lines.slice(0, 2)).toEqual([`$ORIGIN ${ORIGIN}.`, '$TTL 60']);
    for (const line of lines.slice(2)) {
      const [owner, , , type, ...rdata] = line.split(/\s+/);
      expect(owner).toMatch(/\.badmx\.example\.com\.$|^badmx\.example\.com\.$/);
      if (type === 'MX') expect(rdata[1]).toMatch(/\.$/);
      if (type === 'NS') expect(rdata[0]).toMatch(/\.$/);
      if (type === 'SOA') expect([rdata[0], rdata[1]]).toEqual([`ns.${ORIGIN}.`, `hostmaster.${ORIGIN}.`]);
    }
  });

  it('splits TXT at 255 octets, counting UTF-8 bytes, not characters', () => {
    expect(txtStrings('')).toBe('""');
    expect(txtStrings('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(txtStrings('é')).toBe('"\\195\\169"');
    expect(txtStrings('x'.repeat(256))).toBe(`"${'x'.repeat(255)}" "x"`);
  });

  it.each([
    ['a zone name with a space', { origin: 'bad zone.example', record: null }, /"bad zone\.example" cannot be written into a zone file as a domain name/],
    ['a name with a line break', { origin: ORIGIN, record: { name: `x\n.${ORIGIN}`, type: 'A', ttl: 60, data: '192.0.2.1' } }, /"x\\n\.badmx\.example\.com" cannot be written/],
    ['a name with a quote', { origin: ORIGIN, record: { name: `"x".${ORIGIN}`, type: 'NS', ttl: 60, data: 'ns.example.net' } }, /as a domain name/],
    ['an A record that is not IPv4', { origin: ORIGIN, record: { name: `a.${ORIGIN}`, type: 'A', ttl: 60, data: '2001:db8::1' } }, /"2001:db8::1" cannot be written into a zone file as an A record/],
    ['a scoped IPv6 address', { origin: ORIGIN, record: { name: `a.${ORIGIN}`, type: 'AAAA', ttl: 60, data: 'fe80::1%eth0' } }, /as an AAAA record/],
    ['a label over 63 octets', { origin: ORIGIN, record: { name: `${'a'.repeat(64)}.${ORIGIN}`, type: 'TXT', ttl: 60, data: '' } }, /as a domain name/],
    ['a negative TTL', { origin: ORIGIN, record: { name: `a.${ORIGIN}`, type: 'TXT', ttl: -1, data: '' } }, /"-1" cannot be written into a zone file as a TTL/],
    ['an empty TLSA digest', { origin: ORIGIN, record: { name: `_25._tcp.${ORIGIN}`, type: 'TLSA', ttl: 60, data: { usage: 3, selector: 1, matchingType: 1, certificate: Buffer.alloc(0) } } }, /TLSA data/],
  ] as [string, { origin: string; record: ZoneRecord | null }, RegExp][])('refuses %s rather than write it', (_what, { origin, record }, message) => {
    // buildZone lower-cases but does not validate: the serializer is the last line of defence.
    const zone = { origin, nameServer: { hostname: `ns.${ORIGIN}`, address: null }, serial: 1, records: record ? [record] : [] };
    let error: unknown;
    try {
      renderZoneFile(zone);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BadmxError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
  });
});
