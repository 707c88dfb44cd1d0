import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDnsServer, type DnsServer } from '../../src/dns/dns-server.js';
import { harnessZone } from '../../src/run/harness-zone.js';
import type { ReceiverEvent } from '../../src/recorder/events.js';
import { startTestFleet, waitForEvent, type TestFleet } from '../helpers/fleet.js';
import { testNet } from '../helpers/net-plan.js';

const run = promisify(execFile);
const POLICY_PORT = 20643;
const DNS_PORT = 20653;
const PROFILES = ['sts-enforce-valid', 'sts-enforce-mx-mismatch', 'sts-policy-unreachable', 'sts-policy-bad-certificate', 'sts-testing-self-signed', 'sts-cached-downgrade'];

let fleet: TestFleet;
let dns: DnsServer;

beforeAll(async () => {
  fleet = await startTestFleet({ addressBase: testNet('mta-sts/policy-host').base, profiles: PROFILES, policyPort: POLICY_PORT });
  dns = await startDnsServer({
    zone: harnessZone({ zone: fleet.zone, members: fleet.members, mailbox: fleet.mailbox }, testNet('mta-sts/policy-host').host(253)),
    address: testNet('mta-sts/policy-host').host(253),
    port: DNS_PORT,
  });
});

afterAll(async () => {
  await dns?.stop();
  await fleet?.stop();
});

/** curl, the independent HTTPS client: the policy host's name resolved to the profile's address, trusting only the test root. */
async function curl(profile: string, args: string[] = []): Promise<{ code: number; stdout: string; stderr: string }> {
  const member = fleet.member(profile);
  const host = `mta-sts.${member.domain}`;
  try {
    const { stdout, stderr } = await run('curl', ['-sS', '--max-time', '10', '--cacert', fleet.caFile, '--resolve', `${host}:${POLICY_PORT}:${member.address}`, ...args, `https://${host}:${POLICY_PORT}${args.includes('--data-binary') ? '/tlsrpt' : '/.well-known/mta-sts.txt'}`]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function dig(name: string, type: string): Promise<string[]> {
  const { stdout } = await run('dig', ['+short', '+norecurse', '-p', String(DNS_PORT), '@127.0.195.253', name, type]);
  return stdout.trim().split('\n').filter(Boolean);
}

const ofType = <T extends ReceiverEvent['type']>(type: T) => (e: ReceiverEvent): e is Extract<ReceiverEvent, { type: T }> => e.type === type;

describe('the MTA-STS policy host (RFC 8461 §3.3), read by curl', () => {
  it('serves an enforce policy naming the MX, as text/plain, over TLS to a client that trusts only the test root', async () => {
    const member = fleet.member('sts-enforce-valid');
    const fetched = await curl('sts-enforce-valid', ['-D', '-']);
    expect(fetched.code, fetched.stderr).toBe(0);
    expect(fetched.stdout).toMatch(/^HTTP\/1\.1 200/);
    expect(fetched.stdout).toMatch(/content-type: text\/plain/i);
    expect(fetched.stdout).toContain(`version: STSv1\r\nmode: enforce\r\nmx: ${member.hostname}\r\nmax_age: 86400\r\n`);
    const event = await waitForEvent(fleet, (e) => e.type === 'policy-fetch' && e.profile === 'sts-enforce-valid');
    expect(event).toMatchObject({ conn: '', sni: `mta-sts.${member.domain}`, method: 'GET', path: '/.well-known/mta-sts.txt', status: 200, tlsVersion: 'TLSv1.3' });
    expect((event as Extract<ReceiverEvent, { type: 'policy-fetch' }>).userAgent).toMatch(/^curl\//);
  });

  it('a policy that does not cover the MX lists another host only', async () => {
    const fetched = await curl('sts-enforce-mx-mismatch');
    expect(fetched.code, fetched.stderr).toBe(0);
    expect(fetched.stdout).toContain('mode: enforce');
    expect(fetched.stdout).toContain(`mx: mx-elsewhere.${fleet.member('sts-enforce-mx-mismatch').domain}`);
    expect(fetched.stdout).not.toContain(`mx: ${fleet.member('sts-enforce-mx-mismatch').hostname}`);
  });

  it('testing mode is served as testing', async () => {
    expect((await curl('sts-testing-self-signed')).stdout).toContain('mode: testing');
  });

  it('an unreachable policy host refuses the connection (nothing listens on its address)', async () => {
    const fetched = await curl('sts-policy-unreachable');
    expect(fetched.code).toBe(7); // curl: "Failed to connect to host"
    expect(fetched.stderr).toMatch(/Connection refused|Couldn't connect/i);
  });

  it('a policy host with a self-signed certificate is rejected by a verifying client, and the rejection is recorded', async () => {
    const fetched = await curl('sts-policy-bad-certificate');
    expect(fetched.code).toBe(60); // curl: peer certificate cannot be authenticated
    const failed = await waitForEvent(fleet, (e) => e.type === 'policy-tls-failed' && e.profile === 'sts-policy-bad-certificate');
    expect(failed).toMatchObject({ origin: 'client', sni: `mta-sts.${fleet.member('sts-policy-bad-certificate').domain}`, peer: { address: '127.0.0.1' } });
    // and the certificate it serves is self-signed for the policy host (openssl, independently)
    const { stdout } = await run('sh', ['-c', `openssl s_client -connect ${fleet.member('sts-policy-bad-certificate').address}:${POLICY_PORT} -servername mta-sts.${fleet.member('sts-policy-bad-certificate').domain} </dev/null 2>/dev/null | openssl x509 -noout -subject -issuer`]);
    const [subject, issuer] = stdout.trim().split('\n');
    expect(subject?.replace(/^subject=/, '')).toBe(issuer?.replace(/^issuer=/, ''));
    expect(subject).toContain(`mta-sts.${fleet.member('sts-policy-bad-certificate').domain}`);
  });

  it('takes a TLS-RPT report by POST (RFC 8460 §5.4), stores the body and records it', async () => {
    const body = JSON.stringify({ 'organization-name': 'curl', 'report-id': 'x' });
    const file = join(fleet.messagesDir, '..', 'report-to-post.json');
    writeFileSync(file, body);
    const posted = await curl('sts-enforce-valid', ['--data-binary', `@${file}`, '-H', 'Content-Type: application/tlsrpt+json', '-o', '/dev/null', '-w', '%{http_code}']);
    expect(posted.stdout).toBe('201');
    const event = await waitForEvent(fleet, ofType('tlsrpt-post'));
    expect(event).toMatchObject({ profile: 'sts-enforce-valid', contentType: 'application/tlsrpt+json', bytes: body.length, status: 201 });
    expect(event).toHaveProperty('userAgent', expect.stringMatching(/^curl\//));
    // recorded once, as a report: not also as a policy fetch
    expect(fleet.events().filter((e) => e.type === 'policy-fetch' && e.method === 'POST')).toEqual([]);
    const stored = (event as Extract<ReceiverEvent, { type: 'tlsrpt-post' }>).file;
    expect(readFileSync(join(fleet.messagesDir, '..', stored ?? 'missing'), 'utf8')).toBe(body);
  });

  it('answers anything else with 404, and records it', async () => {
    const member = fleet.member('sts-enforce-valid');
    const host = `mta-sts.${member.domain}`;
    const { stdout } = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '--cacert', fleet.caFile, '--resolve', `${host}:${POLICY_PORT}:${member.address}`, `https://${host}:${POLICY_PORT}/.well-known/other`]);
    expect(stdout).toBe('404');
    await waitForEvent(fleet, (e) => e.type === 'policy-fetch' && e.path === '/.well-known/other' && e.status === 404);
  });
});

describe('a multi-phase profile changes phase (sts-cached-downgrade)', () => {
  /** What openssl, as an SMTP client, finds at the profile's MX: a STARTTLS handshake, or none offered. */
  async function starttls(profile: string): Promise<string> {
    const member = fleet.member(profile);
    const { stdout, stderr } = await run('sh', ['-c', `openssl s_client -brief -starttls smtp -connect ${member.address}:${member.port} -servername ${member.hostname} </dev/null 2>&1; true`]);
    return `${stdout}${stderr}`;
  }

  it('phase 1 serves the policy and STARTTLS; phase 2 strips STARTTLS and refuses the policy host, recording each refused handshake', async () => {
    expect((await curl('sts-cached-downgrade')).stdout).toContain('mode: enforce');
    expect(await starttls('sts-cached-downgrade')).toMatch(/Protocol version: TLSv1\.3/);
    await fleet.setPhase('sts-cached-downgrade', 2);
    const fetched = await curl('sts-cached-downgrade');
    expect(fetched.code).not.toBe(0);
    const refused = await waitForEvent(fleet, (e) => e.type === 'policy-tls-failed' && e.profile === 'sts-cached-downgrade');
    expect(refused).toMatchObject({ origin: 'profile' });
    expect(refused).toHaveProperty('reason', expect.stringContaining('unreachable by design'));
    expect(await starttls('sts-cached-downgrade')).toMatch(/didn't find starttls|STARTTLS not supported|error/i);
    // the other profiles are untouched
    expect((await curl('sts-enforce-valid')).code).toBe(0);
  });
});

describe('the harness zone publishes MTA-STS and TLS-RPT, read by dig', () => {
  it('_mta-sts TXT (RFC 8461 §3.1) with the id of the served policy, and the policy host at the profile address', async () => {
    const member = fleet.member('sts-enforce-valid');
    expect(await dig(`_mta-sts.${member.domain}`, 'TXT')).toEqual([`"v=STSv1; id=${member.sts?.id}"`]);
    expect(member.sts?.id).toMatch(/^[a-zA-Z0-9]{1,32}$/);
    expect(await dig(`mta-sts.${member.domain}`, 'A')).toEqual([member.address]);
  });

  it('_smtp._tls TXT (RFC 8460 §3): reports by mail to the probes domain, and by HTTPS where the policy host serves', async () => {
    const member = fleet.member('sts-enforce-valid');
    expect(await dig(`_smtp._tls.${member.domain}`, 'TXT')).toEqual([`"v=TLSRPTv1; rua=mailto:tlsrpt@${fleet.mailbox.domain},https://mta-sts.${member.domain}/tlsrpt"`]);
    const unreachable = fleet.member('sts-policy-unreachable');
    expect(await dig(`_smtp._tls.${unreachable.domain}`, 'TXT')).toEqual([`"v=TLSRPTv1; rua=mailto:tlsrpt@${fleet.mailbox.domain}"`]);
  });
});
