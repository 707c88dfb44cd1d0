import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dsPresentation, ensureZoneKey, type ZoneKey } from '../../src/dns/dnssec.js';
import { startDnsServer, type DnsQueryRecord, type DnsServer } from '../../src/dns/dns-server.js';
import { buildZone, type Zone } from '../../src/dns/zone-records.js';
import { queryDns } from '../../src/senders/dns-query.js';
import { findUnbound, startUnbound, unboundTrustAnchor, type UnboundInstance } from '../../src/senders/mta/unbound-instance.js';
import { requireTool } from '../helpers/require-tool.js';
import { testNet } from '../helpers/net-plan.js';

/**
 * The validating resolver managed senders are to resolve through (issue 17): Debian's
 * unbound, configured and run by badmx (src/senders/mta/unbound-instance.ts,
 * harness/unbound/unbound.conf), in front of the harness DNS serving the signed zone. Asked
 * by dig, an independent client: what validates from the zone's DS carries the AD bit, denial
 * included; a zone signed with another key is SERVFAIL, with the reason in unbound's log; a
 * name outside the zone is refused, and unbound never sends a query anywhere but the harness DNS.
 *
 * Never skipped: without unbound this fails, saying to run harness/install-mtas.sh (which runs
 * harness/install-unbound.sh); without dig, to run harness/install-deps.sh.
 *
 * Its own addresses, 127.0.205.x, port 53 (resolv.conf has no port syntax, and a resolver for
 * senders is where resolv.conf points): the harness DNS on .53 and its unbound on .54; a
 * harness DNS signing with another key on .55, and an unbound on .56 trusting the first key.
 */

const ZONE = 'badmx.test';
const DNS = { address: testNet('harness/unbound').host(53), port: 53 };
const RESOLVER = { address: testNet('harness/unbound').host(54), port: 53 };
const OTHER_KEY_DNS = { address: testNet('harness/unbound').host(55), port: 53 };
const OTHER_KEY_RESOLVER = { address: testNet('harness/unbound').host(56), port: 53 };
const MX = `mx.tls1.2.${ZONE}`;
const TLSA = `_25._tcp.${MX}`;

const DIG = '/usr/bin/dig';
const run = promisify(execFile);
const dirs: string[] = [];
const queries: DnsQueryRecord[] = [];
let key: ZoneKey;
let dns: DnsServer;
let otherDns: DnsServer;
let resolver: UnboundInstance;
let otherResolver: UnboundInstance;
/** The first resolver's work directory, where its unbound.conf is. */
let resolverWork = '';

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'badmx-unbound-test-'));
  dirs.push(dir);
  return dir;
}

function zone(nameServerAddress: string): Zone {
  return buildZone({
    origin: ZONE,
    nameServer: { hostname: `ns.${ZONE}`, address: nameServerAddress },
    hosts: [{ domain: `tls1.2.${ZONE}`, hostname: MX, address: '127.0.2.6', description: 'badmx profile tls1.2' }],
    extra: [{ name: TLSA, type: 'TLSA', ttl: 60, data: { usage: 3, selector: 1, matchingType: 1, certificate: Buffer.alloc(32, 7) } }],
  });
}

interface Dig {
  status: string;
  flags: string[];
  text: string;
}

/** dig +dnssec (the DO bit, as a DANE-aware sender's resolver sets it) at a resolver. */
async function dig(at: { address: string; port: number }, name: string, type: string, ...extra: string[]): Promise<Dig> {
  const { stdout } = await run(DIG, ['+dnssec', '+time=10', '+tries=1', '-p', String(at.port), `@${at.address}`, name, type, ...extra]);
  const status = /status: ([A-Z]+)/.exec(stdout)?.[1] ?? `(no answer: ${stdout})`;
  const flags = (/;; flags: ([^;]*);/.exec(stdout)?.[1] ?? '').trim().split(/\s+/);
  return { status, flags, text: stdout };
}

beforeAll(async () => {
  findUnbound(); // throws "unbound is not installed (...)", saying to run harness/install-mtas.sh
  requireTool(DIG, 'bind9-dnsutils');
  if (process.getuid?.() !== 0) throw new Error('the unbound test needs root (port 53 on 127.0.205.x): run the tests as root after "sudo bash harness/install-mtas.sh"');

  key = ensureZoneKey(scratch(), ZONE);
  // The same zone signed with a key of its own (another directory, another key): its DS is not the one unbound trusts.
  const otherKey = ensureZoneKey(scratch(), ZONE);
  expect(otherKey.keyTag === key.keyTag && otherKey.publicKey.equals(key.publicKey)).toBe(false);

  dns = await startDnsServer({ zone: zone(DNS.address), ...DNS, dnssec: { key }, onQuery: (q) => queries.push(q) });
  otherDns = await startDnsServer({ zone: zone(OTHER_KEY_DNS.address), ...OTHER_KEY_DNS, dnssec: { key: otherKey } });

  const dir = scratch();
  resolverWork = join(dir, 'work');
  resolver = await startUnbound({
    workDir: resolverWork,
    listen: RESOLVER,
    zone: ZONE,
    trustAnchor: dsPresentation(key),
    upstream: DNS,
    logFile: join(dir, 'unbound.log'),
    // Logs every query it sends upstream, and where ("sending to target:").
    verbosity: 3,
  });
  const otherDir = scratch();
  otherResolver = await startUnbound({
    workDir: join(otherDir, 'work'),
    listen: OTHER_KEY_RESOLVER,
    zone: ZONE,
    trustAnchor: dsPresentation(key),
    upstream: OTHER_KEY_DNS,
    logFile: join(otherDir, 'unbound.log'),
  });
});

afterAll(async () => {
  await resolver?.stop();
  await otherResolver?.stop();
  await dns?.stop();
  await otherDns?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('unbound, validating the harness zone from its DS', () => {
  it('runs a configuration unbound-checkconf accepts, with the DS as its only trust anchor', async () => {
    expect(resolver.version).toMatch(/^\d+\.\d+\.\d+$/);
    const config = join(resolverWork, 'unbound.conf');
    const { stdout } = await run('/usr/sbin/unbound-checkconf', [config]);
    expect(stdout).toContain('no errors');
    const anchors = (await run('/usr/sbin/unbound-checkconf', ['-o', 'trust-anchor', config])).stdout.trim();
    expect(anchors).toBe(unboundTrustAnchor(dsPresentation(key), ZONE));
    expect((await run('/usr/sbin/unbound-checkconf', ['-o', 'auto-trust-anchor-file', config])).stdout.trim()).toBe('');
    expect(resolver.readLog()).toContain('start of service (unbound');
  });

  it.each([
    [MX, 'A', /IN\s+A\s+127\.0\.2\.6/],
    [`tls1.2.${ZONE}`, 'MX', /IN\s+MX\s+10 mx\.tls1\.2\.badmx\.test\./],
    [TLSA, 'TLSA', /IN\s+TLSA\s+3 1 1 0707/],
  ])('%s %s: a signed answer, with the AD bit', async (name, type, record) => {
    const answer = await dig(RESOLVER, name, type);
    expect(answer.status).toBe('NOERROR');
    expect(answer.flags).toContain('ad');
    expect(answer.text).toMatch(record);
    expect(answer.text).toMatch(new RegExp(`IN\\s+RRSIG\\s+${type} 13 `));
  });

  it('NXDOMAIN in the zone: the denial is validated (AD), with its NSEC proof', async () => {
    const answer = await dig(RESOLVER, `nope.${ZONE}`, 'A');
    expect(answer.status).toBe('NXDOMAIN');
    expect(answer.flags).toContain('ad');
    expect(answer.text).toMatch(/IN\s+NSEC\s/);
  });

  it('NODATA in the zone: validated too (AD)', async () => {
    const answer = await dig(RESOLVER, MX, 'TXT');
    expect(answer.status).toBe('NOERROR');
    expect(answer.flags).toContain('ad');
    expect(answer.text).toContain('ANSWER: 0,');
  });

  it('a zone signed with another key than the trusted DS: SERVFAIL, and the log says why', async () => {
    const answer = await dig(OTHER_KEY_RESOLVER, MX, 'A');
    expect(answer.status).toBe('SERVFAIL');
    expect(answer.flags).not.toContain('ad');
    // val-log-level 2: the query, the reason, and the server that sent the data.
    const log = otherResolver.readLog();
    expect(log).toMatch(new RegExp(`validation failure <${MX.replace(/\./g, '\\.')}\\. A IN>: .*from ${OTHER_KEY_DNS.address.replace(/\./g, '\\.')}`));
    // With checking disabled (CD) the data is there, unvalidated: it failed validation, not resolution.
    const unchecked = await dig(OTHER_KEY_RESOLVER, MX, 'A', '+cd');
    expect(unchecked.status).toBe('NOERROR');
    expect(unchecked.flags).not.toContain('ad');
    expect(unchecked.text).toMatch(/IN\s+A\s+127\.0\.2\.6/);
  });

  it('a name outside the zone is REFUSED, asked of no one', async () => {
    const before = queries.length;
    for (const [name, type] of [
      ['example.com', 'A'],
      ['mx.example.net', 'TLSA'],
      ['.', 'NS'],
    ] as const) {
      const answer = await dig(RESOLVER, name, type);
      expect(answer.status, `${name} ${type}`).toBe('REFUSED');
      expect(resolver.readLog()).toMatch(new RegExp(`info: 127\\.0\\.0\\.1 ${name === '.' ? '' : name.replace(/\./g, '\\.')}\\. ${type} IN REFUSED`));
    }
    expect(queries.slice(before)).toEqual([]);
  });

  it("unbound's default local zones are answered from its own data, as stock, asked of no one", async () => {
    const before = queries.length;
    // RFC 6761: "test." (the harness zone's parent) and "localhost." are unbound's defaults;
    // only the harness zone itself is lifted out of "test." (local-zone transparent).
    const sibling = await dig(RESOLVER, 'other.test', 'A');
    expect(sibling.status).toBe('NXDOMAIN');
    expect(sibling.flags).toContain('aa');
    expect(sibling.flags).not.toContain('ad');
    const localhost = await dig(RESOLVER, 'localhost', 'A');
    expect(localhost.text).toMatch(/localhost\.\s+\d+\s+IN\s+A\s+127\.0\.0\.1/);
    expect(queries.slice(before)).toEqual([]);
  });

  it('sent every query of its own to the harness DNS, and nowhere else', () => {
    const log = resolver.readLog();
    const targets = [...log.matchAll(/sending to target: <([^>]*)> (\S+)/g)].map((m) => `${m[1]} ${m[2]}`);
    expect(targets.length).toBeGreaterThan(0);
    expect(new Set(targets)).toEqual(new Set([`${ZONE}. ${DNS.address}#${DNS.port}`]));
    // Everything the harness DNS was asked was in its zone (it REFUSES the rest).
    expect(queries.filter((q) => q.rcode === 'REFUSED')).toEqual([]);
    expect(queries.some((q) => q.name === ZONE && q.type === 'DNSKEY')).toBe(true);
  });

  it('refuses a trust anchor that is not for the zone (the zone would be insecure: no AD, and no failure)', () => {
    expect(() => unboundTrustAnchor(dsPresentation(key).replace(/^badmx\.test\./, 'other.test.'), ZONE)).toThrow(/not for the zone badmx\.test/);
    expect(() => unboundTrustAnchor(`${ZONE}. 3600 IN A 127.0.0.1`, ZONE)).toThrow(/not a DS or DNSKEY/);
  });

  it('a second unbound on the same address and port fails to start, rather than share it', async () => {
    const dir = scratch();
    const started = startUnbound({ workDir: join(dir, 'work'), listen: RESOLVER, zone: ZONE, trustAnchor: dsPresentation(key), upstream: DNS, logFile: join(dir, 'unbound.log') });
    await expect(started).rejects.toThrow(/unbound exited before it served on 127\.0\.205\.54@53: .*Address already in use/);
  });
});

describe("badmx's own DNS client (senders/dns-query.ts) reads what the validating resolver says", () => {
  it('a secure TLSA answer is authenticated (AD), with the record', async () => {
    const answer = await queryDns(RESOLVER, TLSA, 'TLSA');
    expect(answer).toMatchObject({ rcode: 'NOERROR', authenticated: true });
    expect(answer.answers.filter((a) => a.type === 'TLSA')).toHaveLength(1);
  });

  it('a bogus zone is SERVFAIL, not authenticated', async () => {
    expect(await queryDns(OTHER_KEY_RESOLVER, TLSA, 'TLSA')).toMatchObject({ rcode: 'SERVFAIL', authenticated: false, answers: [] });
  });

  it('the authoritative harness DNS itself vouches for nothing (no AD), and a truncated answer is asked again over TCP', async () => {
    const direct = await queryDns(DNS, TLSA, 'TLSA');
    expect(direct).toMatchObject({ rcode: 'NOERROR', authenticated: false });
    // RFC 8482: ANY over UDP is answered truncated; the client takes it over TCP.
    const any = await queryDns(DNS, MX, 'ANY');
    expect(any.answers.some((a) => a.type === 'A')).toBe(true);
  });
});

describe('stopping unbound', () => {
  it('ends it and keeps its log', async () => {
    const dir = scratch();
    const logFile = join(dir, 'unbound.log');
    const listen = { address: testNet('harness/unbound').host(57), port: 53 };
    const instance = await startUnbound({ workDir: join(dir, 'work'), listen, zone: ZONE, trustAnchor: dsPresentation(key), upstream: DNS, logFile });
    expect((await dig(listen, MX, 'A')).flags).toContain('ad');
    await instance.stop();
    expect(readFileSync(logFile, 'utf8')).toMatch(/service stopped \(unbound [^)]*\)\./);
    expect(existsSync(join(dir, 'work', 'unbound.pid'))).toBe(false);
    // Nothing answers there any more.
    const after = await run(DIG, ['+time=1', '+tries=1', `@${listen.address}`, MX, 'A']).catch((error: { stdout: string }) => error);
    expect(after.stdout).toMatch(/no servers could be reached|timed out|connection refused/);
  });
});
