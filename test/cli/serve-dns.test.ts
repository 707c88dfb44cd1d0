import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { requireTool } from '../helpers/require-tool.js';
import { BIN, ensureBuilt } from '../helpers/cli.js';
import { testNet } from '../helpers/net-plan.js';

/**
 * `badmx serve --dns <ip>` serves the harness zone on <ip>:53 beside the fleet, so a user can
 * check their MTA's resolution before a run. Asked by an independent client: BIND's dig.
 */

// The built bin, a real process: what is tested here needs one (namespaces, signals, dropping root, kill -9).

const MAIN = BIN;

ensureBuilt();
const certsDir = inject('certsDir');
const DIG = '/usr/bin/dig';
const scratch: string[] = [];

function scratchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'badmx-serve-dns-'));
  scratch.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

function badmx(args: string[]) {
  return execa('node', [MAIN, ...args], { reject: false, timeout: 30_000 });
}

/** Resolves once the line appears on the child's stdout (the server announces itself once ready). */
function lineOnStdout(child: ResultPromise, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString();
      const line = seen.split('\n').find((l) => pattern.test(l));
      if (line !== undefined) {
        child.stdout?.off('data', onData);
        resolve(line);
      }
    };
    child.stdout?.on('data', onData);
    void child.then((result) => reject(new Error(`badmx exited (${String(result.exitCode)}) before printing ${String(pattern)}: ${String(result.stderr)}`)));
  });
}

async function dig(server: string, type: string, name: string): Promise<string[]> {
  const result = await execa(requireTool(DIG, 'bind9-dnsutils'), [`@${server}`, '-p', '53', '+short', '+time=2', '+tries=1', type, name]);
  return result.stdout.split('\n').filter((line) => line !== '');
}

describe('badmx serve --dns', () => {
  it('answers for the fleet and the probes\' domain while serving, and stops on SIGTERM', async () => {
    if (process.geteuid?.() !== 0) throw new Error('this test needs root (the harness DNS listens on port 53)');
    const dir = scratchDir();
    const dns = testNet('cli/serve-dns').host(53);
    const child = badmx(['serve', '--certs', certsDir, '--port', '20811', '--dns', dns, '--manifest', join(dir, 'manifest.json'), '--events', join(dir, 'events.jsonl'), '--quiet']);
    expect(await lineOnStdout(child, /^harness DNS answering on /)).toBe(`harness DNS answering on ${dns}:53`);

    expect(await dig(dns, 'MX', 'tls1.2.badmx.test')).toEqual(['10 mx.tls1.2.badmx.test.']);
    expect(await dig(dns, 'A', 'mx.tls1.2.badmx.test')).toEqual(['127.0.2.6']);
    // the probes' envelope sender domain exists: an MX to the mailbox, its address, SPF that passes any host
    expect(await dig(dns, 'MX', 'probes.badmx.test')).toEqual(['10 mx.probes.badmx.test.']);
    expect(await dig(dns, 'A', 'mx.probes.badmx.test')).toEqual(['127.0.2.254']);
    expect(await dig(dns, 'TXT', 'probes.badmx.test')).toContain('"v=spf1 +all"');
    // authoritative for the zone only
    const outside = await execa(DIG, [`@${dns}`, '+time=2', '+tries=1', 'A', 'deb.debian.org']);
    expect(outside.stdout).toMatch(/status: REFUSED/);

    child.kill('SIGTERM');
    const result = await child;
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain('badmx: receivers and harness DNS stopped');
    // nothing answers any more
    const after = await execa(DIG, [`@${dns}`, '+time=1', '+tries=1', 'A', 'mx.tls1.2.badmx.test'], { reject: false });
    expect(after.exitCode).not.toBe(0);
  });

  it('binds port 53 before --run-as drops root', async () => {
    const dir = scratchDir();
    chmodSync(dir, 0o755);
    const dns = testNet('cli/serve-dns').host(54);
    const child = badmx(['serve', '--certs', certsDir, '--port', '20831', '--dns', dns, '--run-as', 'nobody', '--events', join(dir, 'run', 'events.jsonl'), '--quiet']);
    await lineOnStdout(child, /^running as nobody /);
    expect(await dig(dns, 'A', 'mx.tls1.3.badmx.test')).toEqual(['127.0.2.7']);
    child.kill('SIGTERM');
    expect((await child).exitCode).toBe(0);
  });

  it('a DNS address already in use is one line and exit 2', async () => {
    const dns = testNet('cli/serve-dns').host(55);
    const first = badmx(['serve', '--certs', certsDir, '--port', '20851', '--dns', dns, '--events', join(scratchDir(), 'e.jsonl'), '--quiet']);
    await lineOnStdout(first, /^harness DNS answering on /);
    try {
      const second = await badmx(['serve', '--certs', certsDir, '--port', '20871', '--dns', dns, '--events', join(scratchDir(), 'e.jsonl')]);
      expect(second.exitCode).toBe(2);
      expect(second.stderr.trim()).toBe(`badmx: the harness DNS server cannot listen on ${dns}:53: something else already listens on ${dns}:53 (another badmx serve or run? a local resolver? see ss -ltnp 'sport = :53'): stop it, or serve the harness DNS on another address with --dns <ip>`);
    } finally {
      first.kill('SIGTERM');
      await first;
    }
  });
});
