import { chmodSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, inject, it } from 'vitest';
import { readEventLog } from '../../src/recorder/event-log.js';
import { RawSmtpClient } from '../helpers/smtp-client.js';
import { startTestFleet, waitForEvent } from '../helpers/fleet.js';
import { untilOutput } from '../helpers/child-output.js';
import { BIN, ensureBuilt } from '../helpers/cli.js';
import { testNet } from '../helpers/net-plan.js';

/**
 * What the receivers write may hold what senders leak: the event log, the messages and
 * their directories are owner-only (0600 files, 0700 directories) under any umask, and
 * `--run-as` still hands the user what it must write. Listeners on 127.0.139.0/24.
 */
const ADDRESS_BASE = testNet('receivers/file-modes').base;
const PORT = 10025;
// The built bin, a real process: what is tested here needs one (namespaces, signals, dropping root, kill -9).
const MAIN = BIN;
ensureBuilt();

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

async function deliver(address: string, domain: string, id: string): Promise<void> {
  const client = await RawSmtpClient.open(address, PORT);
  expect((await client.reply()).code).toBe(220);
  expect((await client.command('EHLO modes.example')).code).toBe(250);
  expect((await client.command('MAIL FROM:<a@modes.example>')).code).toBe(250);
  expect((await client.command(`RCPT TO:<x@${domain}>`)).code).toBe(250);
  expect((await client.command('DATA')).code).toBe(354);
  expect((await client.command(`Message-ID: <${id}@modes.example>\r\nSubject: private\r\n\r\nbody\r\n.`)).code).toBe(250);
  await client.command('QUIT');
  client.destroy();
}

describe('permissions of what the receivers write', () => {
  it('the log 0600, messages 0600 in directories 0700, under umask 022 (the log\'s own directory: test/recorder)', async () => {
    const previous = process.umask(0o022);
    try {
      const fleet = await startTestFleet({ addressBase: ADDRESS_BASE, profiles: ['tls1.2'] });
      const member = fleet.member('tls1.2');
      try {
        await deliver(member.address, member.domain, 'modes');
        const data = await waitForEvent(fleet, (e) => e.type === 'data' && e.messageId === '<modes@modes.example>');
        const file = data.type === 'data' ? join(fleet.eventsFile, '..', data.file ?? '') : '';
        expect(mode(fleet.eventsFile)).toBe(0o600);
        expect(mode(fleet.messagesDir)).toBe(0o700);
        expect(mode(join(fleet.messagesDir, 'tls1.2'))).toBe(0o700);
        expect(mode(file)).toBe(0o600);
      } finally {
        await fleet.stop();
      }
    } finally {
      process.umask(previous);
    }
  });

  it('--run-as still works when the log creates its own 0700 directory: the user gets it, and the messages', async () => {
    expect(process.getuid?.(), 'this test needs root (it drops root with --run-as); the README\'s test command runs as root').toBe(0);
    const nobody = { uid: Number((await execa('id', ['-u', 'nobody'])).stdout), gid: Number((await execa('id', ['-g', 'nobody'])).stdout) };
    const base = mkdtempSync(join(tmpdir(), 'badmx-modes-run-as-'));
    chmodSync(base, 0o755);
    // Not there yet: the log creates serve-x/ itself, owner-only, as root.
    const runDir = join(base, 'reports', 'serve-x');
    const eventsFile = join(runDir, 'events.jsonl');
    const child = execa(
      'node',
      [MAIN, 'serve', '--certs', inject('certsDir'), '--address-base', ADDRESS_BASE, '--port', String(PORT), '--profile', 'tls1.2', '--events', eventsFile, '--quiet', '--run-as', 'nobody'],
      { reject: false, timeout: 30_000 },
    );
    await untilOutput(child, /running as nobody/, '"running as"');
    await deliver(testNet('receivers/file-modes').host(6), 'tls1.2.badmx.test', 'run-as');
    child.kill('SIGTERM');
    const result = await child;
    expect(result.exitCode, result.stderr).toBe(0);
    expect(readEventLog(eventsFile).events.find((e) => e.type === 'data')).toMatchObject({ accepted: true });
    expect(statSync(runDir).uid).toBe(nobody.uid);
    expect(mode(runDir)).toBe(0o700);
    expect(mode(eventsFile)).toBe(0o600);
    const stored = readdirSync(join(runDir, 'messages', 'tls1.2'));
    expect(stored).toHaveLength(1);
    const message = join(runDir, 'messages', 'tls1.2', stored[0] as string);
    expect(statSync(message).uid).toBe(nobody.uid);
    expect(mode(message)).toBe(0o600);
    expect(mode(join(runDir, 'messages'))).toBe(0o700);
    expect(mode(join(runDir, 'messages', 'tls1.2'))).toBe(0o700);
  }, 60_000);
});
