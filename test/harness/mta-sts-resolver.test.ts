import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { startDnsServer, type DnsQueryRecord, type DnsServer } from '../../src/dns/dns-server.js';
import { buildZone, type Zone, type ZoneRecord } from '../../src/dns/zone-records.js';
import { findRecipe, LOCAL_TIMERS } from '../../src/senders/mta/mta-recipes.js';
import { findMtaStsDaemon, startMtaStsDaemon, type MtaStsDaemon } from '../../src/senders/mta/mta-sts-daemon.js';
import { mtaStsLogFile, startPostfix } from '../../src/senders/mta/postfix-instance.js';
import { writeResolvConf } from '../../src/senders/mta/resolver-namespace.js';
import { requireTool } from '../helpers/require-tool.js';
import { UserPki, type Issued } from '../helpers/user-pki.js';
import { testNet } from '../helpers/net-plan.js';

/**
 * postfix:mta-sts's policy daemon, Debian's postfix-mta-sts-resolver, run by badmx as the
 * recipe runs it (src/senders/mta/mta-sts-daemon.ts) and asked by Postfix's own postmap(1),
 * the client its README's "Operability check" uses. Everything it talks to is real: the
 * harness DNS (src/dns/) publishing `_mta-sts.<domain>` TXT and `mta-sts.<domain>` A, and an
 * HTTPS server on port 443 of the policy host serving /.well-known/mta-sts.txt with a
 * certificate from a throwaway CA made with the openssl CLI (the "test root": the daemon
 * trusts it only because badmx hands it over as SenderEnvironment.caFile would be).
 *
 * Never skipped: without root, Postfix or the daemon this fails, saying to run
 * harness/install-mtas.sh (which runs harness/install-mta-sts-resolver.sh).
 *
 * Its own addresses, 127.0.193.x, so that it runs beside the other harness tests: the harness
 * DNS on .53 (port 53: resolv.conf has no port syntax), the policy hosts on .10 (a
 * certificate from the trusted root) and .11 (a root the daemon is not given).
 */

const ZONE = 'badmx.test';
const DNS = { address: testNet('harness/mta-sts-resolver').host(53), port: 53 };
const TRUSTED_HOST = testNet('harness/mta-sts-resolver').host(10);
const UNTRUSTED_HOST = testNet('harness/mta-sts-resolver').host(11);
const MX_ADDRESS = testNet('harness/mta-sts-resolver').host(25);

const ENFORCE = `sts-enforce.${ZONE}`;
const TESTING = `sts-testing.${ZONE}`;
const UNTRUSTED = `sts-untrusted.${ZONE}`;
const SWITCH = `sts-switch.${ZONE}`;
const NONE = `no-sts.${ZONE}`;

/** What each policy host serves, per domain; the test changes SWITCH's. */
const policies = new Map<string, string>([
  [ENFORCE, policy('enforce', [`mx.${ENFORCE}`, `*.${ENFORCE}`])],
  [TESTING, policy('testing', [`mx.${TESTING}`])],
  [UNTRUSTED, policy('enforce', [`mx.${UNTRUSTED}`])],
  [SWITCH, policy('enforce', [`mx.${SWITCH}`])],
]);

function policy(mode: string, mx: string[]): string {
  // RFC 8461 §3.2: the policy file.
  return ['version: STSv1', `mode: ${mode}`, ...mx.map((m) => `mx: ${m}`), 'max_age: 86400', ''].join('\n');
}

/** The zone: every domain with its MX; the MTA-STS ones with their TXT record (RFC 8461 §3.1) and policy host. */
function zone(switchId: string): Zone {
  const sts = (domain: string, id: string, address: string): ZoneRecord[] => [
    { name: `_mta-sts.${domain}`, type: 'TXT', ttl: 60, data: `v=STSv1; id=${id}` },
    { name: `mta-sts.${domain}`, type: 'A', ttl: 60, data: address },
  ];
  return buildZone({
    origin: ZONE,
    hosts: [ENFORCE, TESTING, UNTRUSTED, SWITCH, NONE].map((domain) => ({ domain, hostname: `mx.${domain}`, address: MX_ADDRESS })),
    nameServer: { hostname: `ns.${ZONE}`, address: DNS.address },
    extra: [
      ...sts(ENFORCE, '20240101T000000', TRUSTED_HOST),
      ...sts(TESTING, '1', TRUSTED_HOST),
      ...sts(UNTRUSTED, '1', UNTRUSTED_HOST),
      ...sts(SWITCH, switchId, TRUSTED_HOST),
    ],
  });
}

interface PolicyRequest {
  /** The TLS server name the client sent (SNI). */
  servername: string | false;
  host: string | undefined;
  url: string | undefined;
  userAgent: string | undefined;
}

const pki = new UserPki();
const dirs: string[] = [];
const queries: DnsQueryRecord[] = [];
const requests: PolicyRequest[] = [];
let root: Issued;
let dns: DnsServer;
const servers: Server[] = [];
let daemon: MtaStsDaemon;
/** A main.cf for postmap -c: Debian's "No configuration" Postfix has no /etc/postfix/main.cf. */
let postmapConfig: string;

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'badmx-mta-sts-test-'));
  dirs.push(dir);
  return dir;
}

async function policyServer(address: string, leaf: Issued): Promise<Server> {
  const server = createServer({ key: readFileSync(leaf.key), cert: readFileSync(leaf.cert) }, (req, res) => {
    requests.push({ servername: (req.socket as { servername?: string | false }).servername ?? false, host: req.headers.host, url: req.url, userAgent: req.headers['user-agent'] });
    const body = policies.get((req.headers.host ?? '').replace(/^mta-sts\./, ''));
    if (req.url !== '/.well-known/mta-sts.txt' || body === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end(body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(443, address, resolve);
  });
  servers.push(server);
  return server;
}

/** postmap -q, as the daemon's README checks it: Postfix's own socketmap client. */
/**
 * The daemon's log shows this line: it may write it just after it answered the lookup, so the
 * log is read again (event-driven would need a log watcher; the daemon flushes within ms) until a deadline.
 */
async function logShows(pattern: RegExp, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(daemon.readLog())) {
    if (Date.now() > deadline) expect(daemon.readLog()).toMatch(pattern);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function lookup(domain: string, map = daemon.map): Promise<{ answer: string; exitCode: number | undefined; stderr: string }> {
  const result = await execa('postmap', ['-c', postmapConfig, '-q', domain, map], { reject: false });
  return { answer: result.stdout.trim(), exitCode: result.exitCode, stderr: result.stderr };
}

/** The daemon's answer as Postfix reads it: the policy, and its match list as a set (the daemon does not keep the policy's order). */
function parsed(answer: string): { level: string; match: string[]; rest: string[] } {
  const [level = '', ...attributes] = answer.split(/\s+/);
  const match = attributes.find((a) => a.startsWith('match='))?.slice('match='.length).split(':').sort() ?? [];
  return { level, match, rest: attributes.filter((a) => !a.startsWith('match=')) };
}

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('the MTA-STS daemon test needs root (a mount namespace, the _mta-sts user): run the tests as root after "sudo bash harness/install-mtas.sh"');
  findMtaStsDaemon(); // throws "postfix-mta-sts-resolver is not installed (...)", saying how to install it
  requireTool('/usr/sbin/postmap', 'postfix');

  root = await pki.root('Throwaway MTA-STS Test Root');
  const trusted = await pki.issue(root, { names: [ENFORCE, TESTING, SWITCH].map((d) => `mta-sts.${d}`) });
  // The right name, from a root the daemon is not given.
  const otherRoot = await pki.root('Root Nobody Trusts');
  const untrusted = await pki.issue(otherRoot, { names: [`mta-sts.${UNTRUSTED}`] });

  dns = await startDnsServer({ zone: zone('1'), ...DNS, onQuery: (q) => queries.push(q) });
  await policyServer(TRUSTED_HOST, trusted);
  await policyServer(UNTRUSTED_HOST, untrusted);

  postmapConfig = scratch();
  const mainCf = join(postmapConfig, 'main.cf');
  writeFileSync(mainCf, `compatibility_level = 3.6\nmyhostname = postmap.${ZONE}\n`);
  // Postfix reads a configuration file again and again, 300 ms apart, until it is older than
  // the read ("pausing to let ... cool down"): a main.cf as old as a real one keeps each
  // lookup to the lookup itself.
  const past = new Date(Date.now() - 60_000);
  utimesSync(mainCf, past, past);

  const dir = scratch();
  daemon = await startMtaStsDaemon({ dir, resolvConf: writeResolvConf(dir, DNS), caFile: root.cert, cacheGraceSeconds: LOCAL_TIMERS.retrySeconds });
});

afterAll(async () => {
  await daemon?.stop();
  for (const server of servers) server.close();
  await dns?.stop();
  for (const dir of [...dirs, pki.dir]) rmSync(dir, { recursive: true, force: true });
});

describe("postfix-mta-sts-resolver's daemon, as postfix:mta-sts runs it", () => {
  it('answers an enforce policy as a secure TLS policy matching its mx patterns, with SNI', async () => {
    const { answer, exitCode } = await lookup(ENFORCE);
    expect(exitCode).toBe(0);
    // "secure match=mx.example.com" (README, "Operability check"); "*.example" becomes
    // Postfix's ".example" (subdomains); servername=hostname is require_sni's default.
    expect(parsed(answer)).toEqual({ level: 'secure', match: [`.${ENFORCE}`, `mx.${ENFORCE}`].sort(), rest: ['servername=hostname'] });
    expect(daemon.version).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('found the policy through the harness DNS and fetched it over HTTPS on port 443, with SNI', () => {
    expect(queries).toContainEqual(expect.objectContaining({ name: `_mta-sts.${ENFORCE}`, type: 'TXT', rcode: 'NOERROR', answers: 1 }));
    // The policy host's address: the HTTPS fetch resolves through the harness DNS too.
    expect(queries).toContainEqual(expect.objectContaining({ name: `mta-sts.${ENFORCE}`, type: 'A', rcode: 'NOERROR', answers: 1 }));
    expect(requests).toContainEqual({ servername: `mta-sts.${ENFORCE}`, host: `mta-sts.${ENFORCE}`, url: '/.well-known/mta-sts.txt', userAgent: 'postfix-mta-sts-resolver' });
    // Nothing outside the harness zone was looked up (the server REFUSES those).
    expect(queries.filter((q) => q.rcode === 'REFUSED')).toEqual([]);
  });

  it('gives no policy for a domain without an MTA-STS record: Postfix keeps its own level (may)', async () => {
    expect(await lookup(NONE)).toEqual({ answer: '', exitCode: 1, stderr: '' });
    expect(queries).toContainEqual(expect.objectContaining({ name: `_mta-sts.${NONE}`, type: 'TXT', rcode: 'NXDOMAIN' }));
    expect(requests.some((r) => r.host === `mta-sts.${NONE}`)).toBe(false);
  });

  it('gives no policy for a testing-mode policy (strict_testing: false, the default), though it fetched it', async () => {
    expect(await lookup(TESTING)).toEqual({ answer: '', exitCode: 1, stderr: '' });
    expect(requests.some((r) => r.host === `mta-sts.${TESTING}`)).toBe(true);
    await logShows(new RegExp(`Parsed policy for domain ${TESTING.replace(/\./g, '\\.')}: .*'mode': 'testing'`));
  });

  it('verifies the policy host: a certificate from a root it was not given means no policy (RFC 8461 §3.3)', async () => {
    expect(await lookup(UNTRUSTED)).toEqual({ answer: '', exitCode: 1, stderr: '' });
    // The TLS handshake failed: no request was made.
    expect(requests.some((r) => r.host === `mta-sts.${UNTRUSTED}`)).toBe(false);
    await logShows(new RegExp(`STS policy fetch for domain '${UNTRUSTED.replace(/\./g, '\\.')}' failed with error: .*CERTIFICATE_VERIFY_FAILED`));
  });

  it('sees a new policy id within the shortened cache_grace (stock: 60 s)', async () => {
    expect(parsed((await lookup(SWITCH)).answer).level).toBe('secure');
    const fetchedBefore = requests.filter((r) => r.host === `mta-sts.${SWITCH}`).length;
    policies.set(SWITCH, policy('none', [`mx.${SWITCH}`]));
    dns.setZone(zone('2'));
    const changedAt = Date.now();
    let answer = (await lookup(SWITCH)).answer;
    while (answer !== '' && Date.now() - changedAt < 15_000) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      answer = (await lookup(SWITCH)).answer;
    }
    // mode: none is no policy for Postfix; it came with a new fetch, once the grace had passed.
    expect(answer).toBe('');
    expect(Date.now() - changedAt).toBeLessThan(LOCAL_TIMERS.retrySeconds * 1000 + 5_000);
    expect(requests.filter((r) => r.host === `mta-sts.${SWITCH}`).length).toBe(fetchedBefore + 1);
  });

  it('ran as _mta-sts, as Debian runs it, and its log shows what it answered', () => {
    const log = daemon.readLog();
    expect(log).toContain('MAIN: Server started.');
    // The socketmap answers it gave (netstrings: length, colon, answer, comma).
    expect(log).toMatch(/STS: Wrote: b'\d+:OK secure match=\S+ servername=hostname,'/);
    expect(log).toContain("STS: Wrote: b'9:NOTFOUND ,'");
    // Its socket, which it made: _mta-sts's, mode 0666 as the configuration says.
    const socket = statSync(daemon.socket);
    expect(socket.isSocket()).toBe(true);
    expect(socket.uid).toBe(Number(execFileSync('id', ['-u', '_mta-sts'], { encoding: 'utf8' })));
    expect(socket.mode & 0o777).toBe(0o666);
  });
});

describe('the postfix:mta-sts instance', () => {
  it('asks its own daemon for every TLS policy, and keeps the daemon log beside its own when it stops', async () => {
    const recipe = findRecipe('postfix:mta-sts');
    if (!recipe) throw new Error('no postfix:mta-sts recipe');
    const workDir = scratch();
    const out = scratch();
    const logFile = join(out, 'senders', 'postfix_mta-sts.log');
    const instance = await startPostfix({
      recipe,
      env: { zone: ZONE, caFile: root.cert, dns: DNS, workDir, logFile },
      timers: LOCAL_TIMERS,
      hostname: `postfix-mta-sts.senders.${ZONE}`,
    });
    let stopped = false;
    try {
      expect(instance.version).toMatch(/^\d+\.\d+\.\d+ \(postfix-mta-sts-resolver \d+\.\d+\.\d+\)$/);
      const etc = join(workDir, 'etc');
      const postconf = async (name: string): Promise<string> => (await execa('postconf', ['-c', etc, '-h', name])).stdout.trim();
      expect(await postconf('smtp_tls_security_level')).toBe('may');
      const map = await postconf('smtp_tls_policy_maps');
      expect(map).toBe(`socketmap:unix:${join(workDir, 'mta-sts', 'socketmap.sock')}:postfix`);
      expect(parsed((await lookup(ENFORCE, map)).answer).level).toBe('secure');
      expect((await lookup(NONE, map)).exitCode).toBe(1);
      await instance.stop();
      stopped = true;
      // The daemon is gone with it: its socket answers no more (a lookup error, not "not found").
      expect((await lookup(ENFORCE, map)).exitCode).not.toBe(0);
      const kept = mtaStsLogFile(logFile);
      expect(kept).toBe(join(out, 'senders', 'postfix_mta-sts.mta-sts-daemon.log'));
      expect(existsSync(kept)).toBe(true);
      expect(readFileSync(kept, 'utf8')).toContain(`Lookup PERFORMED: domain = ${ENFORCE}`);
      expect(readFileSync(kept, 'utf8')).toContain('MAIN: Server finished its work.');
    } finally {
      if (!stopped) await instance.stop();
    }
  });
});
