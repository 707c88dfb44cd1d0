import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dsData, dsPresentation, ensureZoneKey, type ZoneKey } from '../../src/dns/dnssec.js';
import { startDnsServer, type DnsServer } from '../../src/dns/dns-server.js';
import { buildZone } from '../../src/dns/zone-records.js';
import { startUnbound, type UnboundInstance } from '../../src/senders/mta/unbound-instance.js';
import { NO_MATCH_DATA, type TlsaPublication } from '../../src/certs/tlsa.js';
import { requireTool } from '../helpers/require-tool.js';
import { testNet } from '../helpers/net-plan.js';

/**
 * The three ways the DANE suite's TLSA records reach a validating resolver (issue 17),
 * checked by unbound (the resolver managed senders use) and by BIND's delv, never by badmx:
 * - `secure`: signed like the rest of the zone: AD;
 * - `bogus` (dane-bogus): the RRset's RRSIG does not verify: SERVFAIL, a validation failure;
 * - `insecure` (dane-unsigned): the MX host is delegated to an unsigned child (NS, no DS, the
 *   parent's NSEC proving it): the records are served, without AD and without failure, while
 *   the recipient domain's MX record stays secure.
 *
 * Addresses 127.0.206.x, port 53: the harness DNS on .53, unbound on .54.
 */

const ZONE = 'badmx.test';
const DNS = { address: testNet('dns/dane-zone').host(53), port: 53 };
const RESOLVER = { address: testNet('dns/dane-zone').host(54), port: 53 };
const DIG = '/usr/bin/dig';
const DELV = '/usr/bin/delv';
const run = promisify(execFile);

const hosts = (['secure', 'bogus', 'insecure'] as const).map((dnssec, i) => {
  const hostname = `mx.dane-${dnssec}.${ZONE}`;
  const tlsa: TlsaPublication = { records: [{ name: `_25._tcp.${hostname}`, usage: 3, selector: 1, matchingType: 1, data: NO_MATCH_DATA.toString('hex') }], dnssec, presented: null };
  return { domain: `dane-${dnssec}.${ZONE}`, hostname, address: `127.0.2.${30 + i}`, tlsa };
});
const [secure, bogus, insecure] = hosts as [(typeof hosts)[0], (typeof hosts)[0], (typeof hosts)[0]];

let dir = '';
let key: ZoneKey;
let dns: DnsServer;
let resolver: UnboundInstance;

async function dig(name: string, type: string, ...extra: string[]): Promise<{ status: string; flags: string[]; text: string }> {
  const { stdout } = await run(DIG, ['+dnssec', '+time=10', '+tries=1', '-p', String(RESOLVER.port), `@${RESOLVER.address}`, name, type, ...extra]);
  return {
    status: /status: ([A-Z]+)/.exec(stdout)?.[1] ?? `(no answer: ${stdout})`,
    flags: (/;; flags: ([^;]*);/.exec(stdout)?.[1] ?? '').trim().split(/\s+/),
    text: stdout,
  };
}

async function delv(name: string, type: string): Promise<string> {
  const ds = dsData(key);
  const anchor = join(dir, 'anchor.conf');
  writeFileSync(anchor, `trust-anchors { ${ZONE}. static-ds ${ds.keyTag} 13 2 "${ds.digest.toString('hex').toUpperCase()}"; };\n`);
  const { stdout, stderr } = await run(DELV, ['-a', anchor, `+root=${ZONE}`, '-p', '53', `@${DNS.address}`, name, type]).catch((error: { stdout: string; stderr: string }) => error);
  return `${stdout}${stderr}`;
}

const data = NO_MATCH_DATA.toString('hex').toUpperCase().slice(0, 16);

beforeAll(async () => {
  requireTool(DIG, 'bind9-dnsutils');
  requireTool(DELV, 'bind9-dnsutils');
  if (process.getuid?.() !== 0) throw new Error('the DANE zone test needs root (port 53 on 127.0.206.x)');
  dir = mkdtempSync(join(tmpdir(), 'badmx-dane-zone-'));
  key = ensureZoneKey(dir, ZONE);
  const zone = buildZone({ origin: ZONE, nameServer: { hostname: `ns.${ZONE}`, address: DNS.address }, hosts });
  dns = await startDnsServer({ zone, ...DNS, dnssec: { key } });
  resolver = await startUnbound({ workDir: join(dir, 'work'), listen: RESOLVER, zone: ZONE, trustAnchor: dsPresentation(key), upstream: DNS, logFile: join(dir, 'unbound.log') });
});

afterAll(async () => {
  await resolver?.stop();
  await dns?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('secure TLSA records', () => {
  it('unbound: AD, with the record', async () => {
    const answer = await dig(`_25._tcp.${secure.hostname}`, 'TLSA');
    expect(answer.status).toBe('NOERROR');
    expect(answer.flags).toContain('ad');
    expect(answer.text.replace(/\s+/g, '')).toContain(`TLSA311${data}`);
  });

  it('delv: fully validated', async () => {
    expect(await delv(`_25._tcp.${secure.hostname}`, 'TLSA')).toContain('; fully validated');
  });
});

describe('a bogus TLSA RRset (its signature broken)', () => {
  it('unbound: SERVFAIL, logged as a validation failure; with checking disabled the record is there', async () => {
    const name = `_25._tcp.${bogus.hostname}`;
    const answer = await dig(name, 'TLSA');
    expect(answer.status).toBe('SERVFAIL');
    expect(resolver.readLog()).toMatch(new RegExp(`validation failure <${name.replace(/\./g, '\\.')}\\. TLSA IN>`));
    const unchecked = await dig(name, 'TLSA', '+cd');
    expect(unchecked.status).toBe('NOERROR');
    expect(unchecked.flags).not.toContain('ad');
  });

  it('delv: not validated', async () => {
    const out = await delv(`_25._tcp.${bogus.hostname}`, 'TLSA');
    expect(out).not.toContain('fully validated');
    expect(out).toMatch(/resolution failed|no valid signature|verify failed/i);
  });

  it('only that RRset: the MX host\'s address still validates', async () => {
    expect((await dig(bogus.hostname, 'A')).flags).toContain('ad');
  });
});

describe('TLSA records below an unsigned delegation', () => {
  it('unbound: the records, without AD and without failure (insecure)', async () => {
    const answer = await dig(`_25._tcp.${insecure.hostname}`, 'TLSA');
    expect(answer.status).toBe('NOERROR');
    expect(answer.flags).not.toContain('ad');
    expect(answer.text.replace(/\s+/g, '')).toContain(`TLSA311${data}`);
    const address = await dig(insecure.hostname, 'A');
    expect(address.status).toBe('NOERROR');
    expect(address.flags).not.toContain('ad');
    expect(address.text).toMatch(/IN\s+A\s+127\.0\.2\.32/);
  });

  it("unbound: the recipient domain's MX record stays secure (AD)", async () => {
    const answer = await dig(insecure.domain, 'MX');
    expect(answer.flags).toContain('ad');
    expect(answer.text).toMatch(/IN\s+MX\s+10 mx\.dane-insecure\.badmx\.test\./);
  });

  it('delv: the parent proves there is no DS (validated), and the records are unsigned', async () => {
    const ds = await delv(insecure.hostname, 'DS');
    expect(ds).toContain('; negative response, fully validated');
    const tlsa = await delv(`_25._tcp.${insecure.hostname}`, 'TLSA');
    expect(tlsa).toContain('; unsigned answer');
  });
});
