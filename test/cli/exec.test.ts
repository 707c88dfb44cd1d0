import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { startDnsServer, type DnsQueryRecord, type DnsServer } from '../../src/dns/dns-server.js';
import { mailboxNames } from '../../src/profiles/mailbox.js';
import { harnessZone } from '../../src/run/harness-zone.js';
import { BadmxError } from '../../src/errors.js';
import { checkCanExec } from '../../src/senders/mta/exec-in-harness.js';
import { BIN, ensureBuilt } from '../helpers/cli.js';
import { testNet } from '../helpers/net-plan.js';

/**
 * `badmx exec` runs a command in the mount namespace the managed senders get: its
 * /etc/resolv.conf names only the harness DNS server. Real parts only: a real DNS server on
 * port 53, glibc's resolver (getent) inside the namespace, the CLI as a process (it spawns).
 */

// The built bin, a real process: what is tested here needs one (namespaces, signals, dropping root, kill -9).

const MAIN = BIN;

ensureBuilt();
const certsDir = inject('certsDir');
// A 127.0.x block no other test uses: port 53 there is this file's.
const DNS = testNet('cli/exec').host(53);

let server: DnsServer;
const queries: DnsQueryRecord[] = [];
const scratch: string[] = [];

function scratchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'badmx-exec-test-'));
  scratch.push(dir);
  return dir;
}

/** The CLI, with its temporary files in a directory of their own so the test can see them go. */
function badmx(args: string[], options: { tmp?: string } = {}) {
  const env = options.tmp ? { TMPDIR: options.tmp } : {};
  return execa('node', [MAIN, ...args], { reject: false, timeout: 30_000, env });
}

function exec(command: string[], options: { tmp?: string } = {}) {
  return badmx(['exec', '--certs', certsDir, '--dns', DNS, '--', ...command], options);
}

beforeAll(async () => {
  if (process.geteuid?.() !== 0) throw new Error('this test needs root (badmx exec makes a mount namespace; the DNS server listens on port 53)');
  const zone = harnessZone(
    {
      zone: 'badmx.test',
      members: [{ name: 'tls1.2', title: 'TLS 1.2 only', domain: 'tls1.2.badmx.test', hostname: 'mx.tls1.2.badmx.test', address: '127.0.2.6' }],
      mailbox: { ...mailboxNames('badmx.test'), address: '127.0.2.254' },
    },
    DNS,
  );
  server = await startDnsServer({ zone, address: DNS, port: 53, onQuery: (q) => queries.push(q) });
});

afterAll(async () => {
  await server?.stop();
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

describe('badmx exec', () => {
  it("gives the command a resolv.conf naming only the harness DNS, leaves the host's alone, and removes its own", async () => {
    const hostBefore = readFileSync('/etc/resolv.conf', 'utf8');
    const tmp = scratchDir();
    // the file, and the mount that puts it over /etc/resolv.conf inside the namespace
    const result = await exec(['sh', '-c', 'cat /etc/resolv.conf; grep " /etc/resolv.conf " /proc/self/mountinfo'], { tmp });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout.split('\n').filter((line) => /^\s*nameserver\b/.test(line))).toEqual([`nameserver ${DNS}`]);
    // the server answers: no hint that it is missing
    expect(result.stderr).toBe('');
    const privateDir = /\/(badmx-exec-[^/\s]+)\/resolv\.conf /.exec(result.stdout)?.[1];
    expect(privateDir, result.stdout).toBeDefined();

    expect(readFileSync('/etc/resolv.conf', 'utf8')).toBe(hostBefore);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain('badmx-exec-');
    // its private directory was under TMPDIR, and is gone
    expect(readdirSync(tmp).filter((name) => name.startsWith('badmx-exec-'))).toEqual([]);
    expect(existsSync(join(tmp, privateDir ?? ''))).toBe(false);
  });

  it("resolves the zone's names through glibc's resolver and the harness DNS, and nothing outside it", async () => {
    const before = queries.length;
    const result = await exec(['getent', 'hosts', 'mx.tls1.2.badmx.test']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout.trim().split(/\s+/)).toEqual(['127.0.2.6', 'mx.tls1.2.badmx.test']);
    expect(queries.slice(before)).toContainEqual(expect.objectContaining({ name: 'mx.tls1.2.badmx.test', type: 'A', rcode: 'NOERROR', answers: 1 }));

    // getent's own exit code for "not found", passed through: the only resolver refuses other names
    const outside = await exec(['getent', 'hosts', 'deb.debian.org']);
    expect(outside.exitCode).toBe(2);
    expect(queries.slice(before)).toContainEqual(expect.objectContaining({ name: 'deb.debian.org', rcode: 'REFUSED' }));
  });

  it("passes the command's exit code through, and a signal as 128+n", async () => {
    expect((await exec(['sh', '-c', 'exit 7'])).exitCode).toBe(7);
    expect((await exec(['sh', '-c', 'kill -TERM $$'])).exitCode).toBe(128 + 15);
  });

  it('puts the CA bundle and the DNS address in the environment', async () => {
    const result = await exec(['sh', '-c', 'test -f "$BADMX_CA_FILE" && echo "$BADMX_CA_FILE $BADMX_DNS"']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe(`${join(certsDir, 'ca-bundle.pem')} ${DNS}`);
    expect(existsSync(join(certsDir, 'ca-bundle.pem'))).toBe(true);
  });

  it('a missing or unknown command is one line on stderr and exit 2', async () => {
    const cases = [
      ['exec', '--certs', certsDir],
      ['exec', '--certs', certsDir, '--'],
      ['exec', '--certs', certsDir, '--', 'no-such-command-badmx'],
      ['exec', '--certs', certsDir, '--dns', 'not-an-ip', '--', 'true'],
    ];
    const results = await Promise.all(cases.map((args) => badmx(args)));
    results.forEach((result, i) => {
      const args = cases[i]?.join(' ');
      expect(result.exitCode, args).toBe(2);
      expect(result.stderr.trim().split('\n'), args).toHaveLength(1);
      expect(result.stderr, args).toMatch(/^badmx: /);
    });
    expect(results[0]?.stderr).toMatch(/^badmx: exec needs a command to run: badmx exec .* -- <command>/);
    expect(results[1]?.stderr).toBe(results[0]?.stderr);
    expect(results[2]?.stderr.trim()).toBe('badmx: no-such-command-badmx: command not found on PATH');
    expect(results[3]?.stderr.trim()).toBe('badmx: --dns must be an IPv4 or IPv6 address, not "not-an-ip"');
  });

  it('without root it says so in one line (a usage error), before anything runs', () => {
    // The effective uid is what the guard reads. (A child started as nobody would first need to
    // read this checkout, which a private clone directory does not allow: the guard is tested here.)
    const marker = join(scratchDir(), 'ran');
    const geteuid = vi.spyOn(process, 'geteuid').mockReturnValue(65_534);
    try {
      expect(() => checkCanExec(['touch', marker])).toThrow(BadmxError);
      expect(() => checkCanExec(['touch', marker])).toThrow(/^exec needs root: .*run it with sudo$/);
    } finally {
      geteuid.mockRestore();
    }
    expect(existsSync(marker)).toBe(false);
  });
});
