import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import type { RunDocument } from '../../src/document/run-document.js';
import { HARNESS_DIR, renderTemplate } from '../../src/senders/mta/render-template.js';
import { createNamespace, netnsMissing, type TestNamespace } from '../helpers/netns.js';
import { BIN, ensureBuilt } from '../helpers/cli.js';

/**
 * Public mode, simulated whole on this machine: a network namespace plays the internet
 * host with ONE public address (192.0.2.25, RFC 5737), where badmx serves the zone with
 * its embedded DNS (port 53) and every receiver profile in turn on port 25 (a sequential
 * schedule). A real Postfix plays the vendor: probes are submitted to it with the smtp:
 * sender, and it finds each receiver by MX through the namespace's resolv.conf, which
 * names badmx's DNS (the authoritative server for the zone, as a delegation would make
 * it). Half-way through, badmx is killed with SIGKILL; `badmx run --resume` finishes the
 * run, and the matrix equals that of an uninterrupted run.
 */

// The built bin, a real process: what is tested here needs one (namespaces, signals, dropping root, kill -9).

const MAIN = BIN;

ensureBuilt();
const ADDRESS = '192.0.2.25';
const VENDOR_PORT = 10587;
const PROFILES = ['no-starttls', 'starttls-454', 'tls1.0', 'tls1.2', 'self-signed'];
const NS = `badmx-pub-${process.pid}`;

let ns: TestNamespace;
let vendorDir: string;
const work = mkdtempSync(join(tmpdir(), 'badmx-public-'));

function badmxArgs(out: string): string[] {
  return [
    MAIN, 'run',
    '--sender', `smtp:127.0.0.1:${VENDOR_PORT}?tls=none&label=vendor`,
    '--shared-address', ADDRESS, '--port', '25', '--dns', ADDRESS, '--serve-dns',
    '--profile', ...PROFILES, '--wait', '40s', '--out', out, '--certs', inject('certsDir'), '--format', 'json',
  ];
}

function badmxInNamespace(args: string[]): ResultPromise<{ reject: false; all: true }> {
  const command = ns.exec('node', args);
  return execa(command.file, command.args, { reject: false, all: true });
}

async function startVendor(): Promise<void> {
  // The vendor: Postfix with its stock opportunistic TLS, from badmx's own recipe files.
  vendorDir = mkdtempSync(join(tmpdir(), 'badmx-vendor-'));
  chmodSync(vendorDir, 0o755);
  for (const sub of ['etc', 'spool', 'lib']) mkdirSync(join(vendorDir, sub));
  const uid = Number((await execa('id', ['-u', 'postfix'])).stdout);
  const gid = Number((await execa('id', ['-g', 'postfix'])).stdout);
  chownSync(join(vendorDir, 'lib'), uid, gid);
  const etc = join(vendorDir, 'etc');
  writeFileSync(
    join(etc, 'main.cf'),
    renderTemplate(join(HARNESS_DIR, 'postfix/main.cf'), {
      level: 'may',
      dir: vendorDir,
      name: 'vendor',
      hostname: 'outbound.vendor.example',
      caFile: join(inject('certsDir'), 'ca-bundle.pem'),
      retry: '1s',
      lifetime: '10m',
    }),
  );
  writeFileSync(join(etc, 'master.cf'), renderTemplate(join(HARNESS_DIR, 'postfix/master.cf'), { port: VENDOR_PORT }));
  writeFileSync(join(etc, 'transport'), renderTemplate(join(HARNESS_DIR, 'postfix/transport'), { zone: 'badmx.test' }));
  const start = ns.exec('/usr/sbin/postfix', ['-c', etc, 'start']);
  const started = await execa(start.file, start.args, { reject: false, all: true });
  if (started.exitCode !== 0) throw new Error(`vendor postfix did not start: ${started.all ?? ''}`);
}

function cellsOf(run: RunDocument): string[] {
  return run.cells.map((c) => `${c.profile}: ${c.outcome} ${c.tls?.version ?? '-'} ${c.verdict} ${c.settled ? 'settled' : 'unsettled'}`);
}

function readRun(dir: string): RunDocument {
  return JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as RunDocument;
}

beforeAll(async () => {
  const missing = netnsMissing() ?? (existsSync('/usr/sbin/postfix') ? null : 'Postfix is not installed (bash harness/install-deps.sh)');
  if (missing) throw new Error(missing);
  ns = await createNamespace(NS, ADDRESS, ADDRESS);
  await startVendor();
}, 60_000);

afterAll(async () => {
  if (vendorDir) await execa('/usr/sbin/postfix', ['-c', join(vendorDir, 'etc'), 'abort'], { reject: false });
  await ns?.remove();
  rmSync(work, { recursive: true, force: true });
  if (vendorDir) rmSync(vendorDir, { recursive: true, force: true });
});

describe('public mode on one shared address, with a vendor relay and a crash', () => {
  let straight: RunDocument;

  it('an uninterrupted run steps through the profiles one at a time and settles every cell', async () => {
    const out = join(work, 'straight');
    const result = await badmxInNamespace(badmxArgs(out));
    expect(result.exitCode, result.all).toBe(1); // the vendor's opportunistic TLS fails the strict policy
    straight = readRun(out);
    expect(straight.schedule.mode).toBe('sequential');
    expect(straight.schedule.address).toBe(`${ADDRESS}:25`);
    // The control first (a vendor that cannot reach it is diagnosed at once), then the catalogue's order.
    expect(straight.schedule.steps.map((s) => s.profiles[0])).toEqual(['tls1.2', 'no-starttls', 'starttls-454', 'tls1.0', 'self-signed']);
    expect(straight.profiles.every((p) => p.address === ADDRESS && p.port === 25)).toBe(true);
    expect(result.all).toMatch(/step 1\/5: tls1\.2 is live for vendor/);
    // the vendor found each receiver by MX through badmx's DNS: its own name in EHLO
    for (const cell of straight.cells) expect(cell.evidence[0]?.helo, cell.profile).toBe('outbound.vendor.example');
    expect(cellsOf(straight)).toEqual([
      'no-starttls: delivered-plaintext - fail settled',
      'starttls-454: plaintext-after-tls-failure - fail settled',
      'tls1.0: delivered-tls TLSv1.0 fail settled',
      'tls1.2: delivered-tls TLSv1.2 pass settled',
      'self-signed: delivered-tls TLSv1.3 fail settled',
    ]);
    expect(straight.stray.connections).toBe(0);
  }, 120_000);

  it('kill -9 in the middle, then --resume: nothing lost, nothing sent twice, the same matrix', async () => {
    const out = join(work, 'crashed');
    const command = ns.exec('node', badmxArgs(out));
    const child = execa(command.file, command.args, { reject: false, all: true });
    // Wait until two steps are over, then kill the run the hard way.
    const journal = join(out, 'run-state.jsonl');
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const ends = existsSync(journal) ? readFileSync(journal, 'utf8').split('\n').filter((l) => l.includes('"step-end"')).length : 0;
      if (ends >= 2) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    child.kill('SIGKILL');
    const killed = await child;
    expect(killed.signal).toBe('SIGKILL');
    expect(existsSync(join(out, 'run.json'))).toBe(false);

    // status reads the interrupted run from its directory alone
    const status = await execa('node', [MAIN, 'status', out], { reject: false, all: true });
    expect(status.exitCode, status.all).toBe(0);
    expect(status.stdout).toMatch(/step\(s\) done; not running: interrupted in vendor → \S+ since .*; badmx run --resume /);
    expect(status.stdout).toMatch(/no-starttls\s+FAIL PLAINTEXT/);

    const resumed = await badmxInNamespace([MAIN, 'run', '--resume', out, '--format', 'json']);
    expect(resumed.exitCode, resumed.all).toBe(1);
    expect(resumed.all).toMatch(/resuming run \w+/);
    const run = readRun(out);
    expect(cellsOf(run)).toEqual(cellsOf(straight));
    expect(run.schedule.resumes).toHaveLength(1);
    // the killed run's pid file was taken over, and released at the end
    expect(existsSync(join(out, 'run.pid'))).toBe(false);
    // every probe was submitted exactly once: the journal never repeats a submission
    const submissions = readFileSync(journal, 'utf8').split('\n').filter((l) => l.includes('"submitted"'));
    expect(submissions).toHaveLength(PROFILES.length);
    // each probe was delivered once
    for (const cell of run.cells) expect(cell.evidence.filter((e) => e.data?.accepted).length, cell.profile).toBe(1);
    expect(run.stray.connections).toBe(0);

    const after = await execa('node', [MAIN, 'status', out], { reject: false, all: true });
    expect(after.stdout).toMatch(/5\/5 step\(s\) done, complete; resumed 1 time/);
  }, 180_000);
});
