import { isIPv4, isIPv6 } from 'node:net';
import { BadmxError } from '../errors.js';
import { SOA_TIMERS, soaMailbox, type Zone, type ZoneRecord } from './zone-records.js';

/**
 * The zone as an RFC 1035 §5 master file, for a DNS provider to import or for BIND/NSD
 * to serve: the same records the embedded server answers (src/dns/dns-server.ts), so
 * "delegated" and "external" DNS publish the same thing.
 *
 * Every name is written absolute, with its trailing dot (RFC 1035 §5.1): the file means
 * the same whatever $ORIGIN an importer assumes, and no name can be read as relative to
 * another. $ORIGIN and $TTL are still given, because some importers require them.
 */
export function renderZoneFile(zone: Zone, options: { comments?: string[] } = {}): string {
  const lines: string[] = [];
  for (const comment of options.comments ?? []) lines.push(commentLine(comment));
  if (lines.length > 0) lines.push('');
  lines.push(`$ORIGIN ${absolute(zone.origin)}`, `$TTL ${SOA_TIMERS.minimum}`, '');

  const rows: string[][] = [
    [
      absolute(zone.origin),
      String(SOA_TIMERS.minimum),
      'IN',
      'SOA',
      [absolute(zone.nameServer.hostname), absolute(soaMailbox(zone.origin)), serial(zone.serial), SOA_TIMERS.refresh, SOA_TIMERS.retry, SOA_TIMERS.expire, SOA_TIMERS.minimum].join(' '),
    ],
  ];
  for (const record of zone.records) rows.push([absolute(record.name), ttl(record.ttl, record.name), 'IN', record.type, rdata(record)]);

  // Columns aligned for people reading it. A blank line starts each mail domain (its MX) and
  // each run of unrelated names, so every profile reads as one block: MX, its host, its TXT.
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  let previousOwner = '';
  for (const row of rows) {
    const owner = row[0] ?? '';
    const related = owner === previousOwner || owner.endsWith(`.${previousOwner}`) || previousOwner.endsWith(`.${owner}`);
    if (previousOwner && (row[3] === 'MX' || !related)) lines.push('');
    previousOwner = owner;
    lines.push(row.map((cell, i) => (i < 4 ? cell.padEnd(widths[i] ?? 0) : cell)).join(' '));
  }
  return `${lines.join('\n')}\n`;
}

/** The data of one record in presentation format. */
function rdata(record: ZoneRecord): string {
  switch (record.type) {
    case 'A':
      if (!isIPv4(record.data)) throw unwritable(record.data, `an A record for ${record.name}`);
      return record.data;
    case 'AAAA':
      // A scoped address ("fe80::1%eth0") means nothing to anyone else and is not valid master-file syntax.
      if (!isIPv6(record.data) || record.data.includes('%')) throw unwritable(record.data, `an AAAA record for ${record.name}`);
      return record.data.toLowerCase();
    case 'NS':
      return absolute(record.data);
    case 'MX':
      return `${uint16(record.data.preference, 'MX preference')} ${absolute(record.data.exchange)}`;
    case 'TXT':
      return txtStrings(record.data);
    case 'TLSA': {
      // RFC 6698 §2.2: three decimal fields, then the association data in hex.
      const { usage, selector, matchingType, certificate } = record.data;
      if (certificate.length === 0) throw unwritable('(empty)', `TLSA data for ${record.name}`);
      return `${uint8(usage, 'TLSA usage')} ${uint8(selector, 'TLSA selector')} ${uint8(matchingType, 'TLSA matching type')} ${certificate.toString('hex').toUpperCase()}`;
    }
  }
}

/**
 * TXT data as RFC 1035 §5.1 <character-string>s: each at most 255 octets (§3.3.14), split
 * at the same octets as the embedded server splits them, so both publish identical data.
 * Inside quotes, `"` and `\` are escaped with a backslash, and every octet that is not
 * printable ASCII (control characters, line breaks, UTF-8 bytes) is written as \DDD, so the
 * file stays one record per line and means the same to every parser.
 */
export function txtStrings(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  const strings: string[] = [];
  for (let start = 0; start < bytes.length || strings.length === 0; start += 255) {
    strings.push(`"${escapeOctets(bytes.subarray(start, start + 255))}"`);
  }
  return strings.join(' ');
}

function escapeOctets(bytes: Buffer): string {
  let out = '';
  for (const byte of bytes) {
    if (byte === 0x22 || byte === 0x5c) out += `\\${String.fromCharCode(byte)}`;
    else if (byte >= 0x20 && byte <= 0x7e) out += String.fromCharCode(byte);
    else out += `\\${String(byte).padStart(3, '0')}`;
  }
  return out;
}

// A host name's labels (RFC 1123 §2.1) plus the underscore labels of service names such as
// _25._tcp (RFC 6698 §3, RFC 8552). Anything else is refused rather than escaped: such a name
// cannot be a receiver, and writing it would only move the problem into someone's DNS.
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?$/i;

/** The name with its trailing dot, after checking it is a name we can write. */
function absolute(name: string): string {
  const bare = name.replace(/\.$/, '');
  const labels = bare.split('.');
  if (bare.length === 0 || bare.length > 253 || !labels.every((label) => LABEL.test(label))) {
    throw unwritable(name, 'a domain name');
  }
  return `${bare.toLowerCase()}.`;
}

function ttl(value: number, name: string): string {
  // RFC 2181 §8: a TTL is an unsigned 31-bit number.
  if (!Number.isInteger(value) || value < 0 || value > 0x7fffffff) throw unwritable(String(value), `a TTL for ${name}`);
  return String(value);
}

function serial(value: number): string {
  // RFC 1982: serial numbers are unsigned 32-bit.
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw unwritable(String(value), 'an SOA serial');
  return String(value);
}

function uint8(value: number, what: string): string {
  if (!Number.isInteger(value) || value < 0 || value > 255) throw unwritable(String(value), what);
  return String(value);
}

function uint16(value: number, what: string): string {
  if (!Number.isInteger(value) || value < 0 || value > 65_535) throw unwritable(String(value), what);
  return String(value);
}

/** A comment line: `;` to the end of the line (RFC 1035 §5.1), so the text must not break the line. */
function commentLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text === '' ? ';' : `; ${text.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}`;
}

function unwritable(value: string, what: string): BadmxError {
  return new BadmxError(`${JSON.stringify(value)} cannot be written into a zone file as ${what}`, 'ECONFIG');
}
