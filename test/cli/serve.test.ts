import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ResultPromise } from 'execa';
import { describe, expect, inject, it } from 'vitest';
import { readEventLog } from '../../src/recorder/event-log.js';
import { RawSmtpClient } from '../helpers/smtp-client.js';
import { ensureBuilt, runBin, runInProcess } from '../helpers/cli.js';
import { testNet } from '../helpers/net-plan.js';

const certsDir = inject('certsDir');

/** The CLI in process; serve's stop on SIGTERM is tested on the built bin, a real process. */
function badmx(args: string[]) {
  return runInProcess(args);
}

async function waitForFile(file: string, child: ResultPromise): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!existsSync(file)) {
    if (child.exitCode !== null) throw new Error(`badmx exited early: ${String((await child).stderr)}`);
    if (Date.now() > deadline) throw new Error(`no ${file}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface Manifest {
  zone: string;
  caFile: string;
  profiles: { name: string; hostname: string; address: string; port: number }[];
}

describe('badmx serve', () => {
  it('starts the fleet, writes the manifest once all listen, records, and stops cleanly on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'badmx-serve-'));
    const manifestFile = join(dir, 'manifest.json');
    const eventsFile = join(dir, 'run', 'events.jsonl');
    ensureBuilt();
    const child = runBin(['serve', '--certs', certsDir, '--port-range', '20101', '--address', testNet('cli/serve').host(1), '--events', eventsFile, '--manifest', manifestFile]);
    await waitForFile(manifestFile, child);
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest;
    expect(manifest.zone).toBe('badmx.test');
    expect(manifest.caFile).toBe(join(certsDir, 'ca-bundle.pem'));
    expect(manifest.profiles).toHaveLength(14);
    expect(manifest.profiles[3]).toEqual(expect.objectContaining({ name: 'tls1.0', hostname: 'mx.tls1.0.badmx.test', address: testNet('cli/serve').host(1), port: 20104 }));

    // every listener in the manifest answers, with its own MX hostname
    for (const profile of manifest.profiles) {
      const client = await RawSmtpClient.open(profile.address, profile.port);
      const banner = await client.reply();
      expect(banner.text).toMatch(new RegExp(`^220 ${profile.hostname.replaceAll('.', '\\.')} `));
      expect((await client.command('QUIT')).code).toBe(221);
      client.destroy();
    }

    child.kill('SIGTERM');
    const result = await child;
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('CA bundle (trust this in the sender under test)');
    expect(result.stdout).toMatch(/tls1\.0\s+mx\.tls1\.0\.badmx\.test\s+127\.0\.100\.1:20104\s+TLS 1\.0 only/);
    const { events } = readEventLog(eventsFile);
    // Every profile, and the probes' own domain (its mailbox, on <base>.254).
    expect(events.filter((e) => e.type === 'listening' && e.profile !== 'probes')).toHaveLength(14);
    expect(events.filter((e) => e.type === 'listening' && e.profile === 'probes')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'close')).toHaveLength(14);
  });

  it("in process: the io's signal stops serve as SIGTERM does; a serve that cannot start leaves no listener on the process", async () => {
    const before = { int: process.listenerCount('SIGINT'), term: process.listenerCount('SIGTERM') };
    const stop = new AbortController();
    const dir = mkdtempSync(join(tmpdir(), 'badmx-serve-'));
    const result = await runInProcess(['serve', '--certs', certsDir, '--port-range', '20521', '--address', testNet('cli/serve').host(1), '--events', join(dir, 'events.jsonl'), '--quiet'], {
      signal: stop.signal,
      onStdout: (text) => {
        if (/receivers ready/.test(text)) stop.abort();
      },
    });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/receivers stopped/);
    // Every listener closed: the same ports can be served again at once.
    const again = new AbortController();
    const second = await runInProcess(['serve', '--certs', certsDir, '--port-range', '20521', '--address', testNet('cli/serve').host(1), '--events', join(dir, 'events-2.jsonl'), '--quiet'], {
      signal: again.signal,
      onStdout: (text) => {
        if (/receivers ready/.test(text)) again.abort();
      },
    });
    expect(second.exitCode, second.stderr).toBe(0);
    // A serve that fails (a taken port) after its handlers were set up removes them too.
    const { createServer } = await import('node:net');
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(20521, testNet('cli/serve').host(1), resolve));
    try {
      const failed = await runInProcess(['serve', '--certs', certsDir, '--port-range', '20521', '--address', testNet('cli/serve').host(1), '--events', join(dir, 'events-3.jsonl')]);
      expect(failed.exitCode).toBe(2);
    } finally {
      blocker.close();
    }
    expect({ int: process.listenerCount('SIGINT'), term: process.listenerCount('SIGTERM') }).toEqual(before);
  });

  it('usage errors are one line on stderr and exit 2', async () => {
    for (const args of [['serve', '--bogus'], ['serve', '--port', '0'], ['serve', '--zone', 'nodots'], ['serve', '--profile', 'tls9'], ['frobnicate']]) {
      const result = await badmx(args);
      expect(result.exitCode, args.join(' ')).toBe(2);
      expect(result.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(result.stderr).toMatch(/^badmx: /);
    }
  });

  it('a port that is taken is a setup error naming the profile and the address', async () => {
    const { createServer } = await import('node:net');
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(20201, testNet('cli/serve').host(1), resolve));
    try {
      const result = await badmx(['serve', '--certs', certsDir, '--port-range', '20201', '--address', testNet('cli/serve').host(1), '--events', join(mkdtempSync(join(tmpdir(), 'badmx-')), 'e.jsonl')]);
      expect(result.exitCode).toBe(2);
      // Which address, and what to do about it (listen-hint.ts; test/cli/long-runs.test.ts has the wording).
      expect(result.stderr.trim()).toMatch(/^badmx: profile no-starttls cannot listen on 127\.0\.100\.1:20201: EADDRINUSE: something else already listens on 127\.0\.100\.1:20201 .*--port-range <first>/);
    } finally {
      blocker.close();
    }
  });

  it('badmx ca prints the path of the CA bundle', async () => {
    const result = await badmx(['ca', '--certs', certsDir]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout.trim()).toBe(join(certsDir, 'ca-bundle.pem'));
  });

  it('badmx profiles lists the catalogue', async () => {
    const result = await badmx(['profiles']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout.trim().split('\n')).toHaveLength(16);
    expect(result.stdout).toMatch(/untrusted-root\s+mx\.untrusted-root\.badmx\.test\s+127\.0\.2\.12\s+Chain to an untrusted root/);
  });
});
