import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dsData, ensureZoneKey, type ZoneKey } from '../../src/dns/dnssec.js';
import { startDnsServer, type DnsServer } from '../../src/dns/dns-server.js';
import { buildZone } from '../../src/dns/zone-records.js';
import { requireTool } from '../helpers/require-tool.js';
import { testNet } from '../helpers/net-plan.js';

/**
 * The harness DNS server answering from a signed zone, checked by BIND's delv, a validating
 * resolver in one command: given only the zone's DS as trust anchor, it fetches the DNSKEY and
 * validates every answer, positive and negative (NXDOMAIN, NODATA, an empty non-terminal),
 * with the server's own RRSIGs and NSEC proofs. A wrong anchor must fail.
 */

const DELV = '/usr/bin/delv';
const DIG = '/usr/bin/dig';
const ADDRESS = testNet('dns/dnssec-server').host(53);
const run = promisify(execFile);
let dir = '';
let key: ZoneKey;
let server: DnsServer;

function anchorFile(name: string, digest: string, tag: number): string {
  const file = join(dir, name);
  writeFileSync(file, `trust-anchors { badmx.test. static-ds ${tag} 13 2 "${digest}"; };\n`);
  return file;
}

async function delv(anchor: string, name: string, type: string): Promise<string> {
  const { stdout, stderr } = await run(DELV, ['-a', anchor, '+root=badmx.test', '-p', '53', `@${ADDRESS}`, name, type]).catch((error: { stdout: string; stderr: string }) => error);
  return `${stdout}${stderr}`;
}

beforeAll(async () => {
  requireTool(DELV, 'bind9-dnsutils');
  dir = mkdtempSync(join(tmpdir(), 'badmx-dnssec-server-'));
  key = ensureZoneKey(dir, 'badmx.test');
  const zone = buildZone({
    origin: 'badmx.test',
    nameServer: { hostname: 'ns.badmx.test', address: ADDRESS },
    hosts: [{ domain: 'tls1.2.badmx.test', hostname: 'mx.tls1.2.badmx.test', address: '127.0.2.6', description: 'badmx profile tls1.2' }],
    extra: [{ name: '_25._tcp.mx.tls1.2.badmx.test', type: 'TLSA', ttl: 60, data: { usage: 3, selector: 1, matchingType: 1, certificate: Buffer.alloc(32, 7) } }],
  });
  server = await startDnsServer({ zone, address: ADDRESS, port: 53, dnssec: { key } });
});

afterAll(async () => {
  await server?.stop();
});

describe('the signed harness zone, validated by delv from the DS alone', () => {
  const anchor = (): string => {
    const ds = dsData(key);
    return anchorFile('anchor.conf', ds.digest.toString('hex').toUpperCase(), ds.keyTag);
  };

  it.each([
    ['mx.tls1.2.badmx.test', 'A', /mx\.tls1\.2\.badmx\.test\.\s+60\s+IN\s+A\s+127\.0\.2\.6/],
    ['tls1.2.badmx.test', 'MX', /IN\s+MX\s+10 mx\.tls1\.2\.badmx\.test\./],
    ['_25._tcp.mx.tls1.2.badmx.test', 'TLSA', /IN\s+TLSA\s+3 1 1 0707/],
    ['tls1.2.badmx.test', 'TXT', /badmx profile tls1\.2/],
  ])('%s %s: fully validated', async (name, type, record) => {
    const out = await delv(anchor(), name, type);
    expect(out).toContain('; fully validated');
    expect(out).toMatch(record);
  });

  it.each([
    ['nope.badmx.test', 'A', 'NXDOMAIN'],
    ['deep.nope.tls1.2.badmx.test', 'A', 'NXDOMAIN'],
    ['mx.tls1.2.badmx.test', 'TXT', 'NXRRSET'],
    ['_tcp.mx.tls1.2.badmx.test', 'A', 'NXRRSET'],
    ['_25._tcp.mx.tls1.2.badmx.test', 'A', 'NXRRSET'],
  ])('%s %s: the denial (%s) is proven and validated', async (name, type, kind) => {
    const out = await delv(anchor(), name, type);
    expect(out).toContain('; negative response, fully validated');
    expect(out).toContain(kind);
  });

  it('a trust anchor for another key fails validation', async () => {
    const wrong = anchorFile('wrong.conf', 'AB'.repeat(32), key.keyTag);
    const out = await delv(wrong, 'mx.tls1.2.badmx.test', 'A');
    expect(out).not.toContain('fully validated');
    expect(out).toMatch(/resolution failed|no valid|broken trust chain|insecurity proof failed/i);
  });

  it('serves no DNSSEC records to a query without the DO bit, and the DNSKEY to one that asks', async () => {
    const plain = (await run(DIG, ['+norecurse', '+nodnssec', '-p', '53', `@${ADDRESS}`, 'mx.tls1.2.badmx.test', 'A'])).stdout;
    expect(plain).not.toContain('RRSIG');
    const dnskey = (await run(DIG, ['+norecurse', '+dnssec', '+short', '-p', '53', `@${ADDRESS}`, 'badmx.test', 'DNSKEY'])).stdout;
    expect(dnskey).toContain(`257 3 13 ${key.publicKey.toString('base64').slice(0, 20)}`);
  });
});
