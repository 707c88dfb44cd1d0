import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, inject, it } from 'vitest';
import { readEventLog } from '../../src/recorder/event-log.js';
import { RawSmtpClient } from '../helpers/smtp-client.js';
import { untilOutput } from '../helpers/child-output.js';
import { BIN, ensureBuilt } from '../helpers/cli.js';
import { testNet } from '../helpers/net-plan.js';

/**
 * `badmx serve --run-as nobody`, as root, in a child process (never in the test worker,
 * which must keep its own privileges): the receivers bind first, then the process proves
 * from /proc that it no longer is root, and still records and stores mail.
 */
// The built bin, a real process: what is tested here needs one (namespaces, signals, dropping root, kill -9).
const MAIN = BIN;
ensureBuilt();
const certsDir = inject('certsDir');
const ADDRESS_BASE = testNet('cli/run-as').base;
const PORT = 10025;

function idLine(pid: number, field: 'Uid' | 'Gid' | 'Groups'): string {
  return (new RegExp(`^${field}:\\s*(.*)$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '').trim();
}

describe('badmx serve --run-as', () => {
  it('drops root after binding: /proc says uid and gid are nobody\'s, and mail is still recorded and stored', async () => {
    expect(process.getuid?.(), 'this test needs root (it proves that root is dropped)').toBe(0);
    const nobody = { uid: Number((await execa('id', ['-u', 'nobody'])).stdout), gid: Number((await execa('id', ['-g', 'nobody'])).stdout) };
    const dir = mkdtempSync(join(tmpdir(), 'badmx-run-as-'));
    chmodSync(dir, 0o755);
    const eventsFile = join(dir, 'events.jsonl');
    const child = execa('node', [MAIN, 'serve', '--certs', certsDir, '--address-base', ADDRESS_BASE, '--port', String(PORT),
      '--profile', 'tls1.2', '--events', eventsFile, '--quiet', '--run-as', 'nobody'], { reject: false, timeout: 30_000 });
    await untilOutput(child, /running as nobody/, '"running as"');
    const pid = child.pid as number;
    expect(idLine(pid, 'Uid').split(/\s+/).map(Number)).toEqual([nobody.uid, nobody.uid, nobody.uid, nobody.uid]);
    expect(idLine(pid, 'Gid').split(/\s+/).map(Number)).toEqual([nobody.gid, nobody.gid, nobody.gid, nobody.gid]);
    expect(idLine(pid, 'Groups')).toBe(String(nobody.gid));

    // Still a receiver: a message after the drop is recorded (the log was opened as root) and stored (messages/ is nobody's).
    const client = await RawSmtpClient.open(testNet('cli/run-as').host(6), PORT);
    expect((await client.reply()).code).toBe(220);
    expect((await client.command('EHLO after.drop')).code).toBe(250);
    expect((await client.command('MAIL FROM:<a@after.drop>')).code).toBe(250);
    expect((await client.command('RCPT TO:<x@tls1.2.badmx.test>')).code).toBe(250);
    expect((await client.command('DATA')).code).toBe(354);
    expect((await client.command('Subject: after the drop\r\n\r\nbody\r\n.')).code).toBe(250);
    await client.command('QUIT');
    client.destroy();

    child.kill('SIGTERM');
    const result = await child;
    expect(result.exitCode, result.stderr).toBe(0);
    const data = readEventLog(eventsFile).events.find((e) => e.type === 'data');
    expect(data).toMatchObject({ accepted: true });
    const stored = readdirSync(join(dir, 'messages', 'tls1.2'));
    expect(stored).toHaveLength(1);
    expect(statSync(join(dir, 'messages', 'tls1.2', stored[0] as string)).uid).toBe(nobody.uid);
  });

  it('an unknown user is one line and exit 2, before anything listens', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'badmx-run-as-'));
    const result = await execa('node', [MAIN, 'serve', '--certs', certsDir, '--address-base', ADDRESS_BASE, '--port', String(PORT),
      '--profile', 'tls1.2', '--events', join(dir, 'events.jsonl'), '--run-as', 'no-such-badmx-user'], { reject: false, timeout: 30_000 });
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim()).toBe('badmx: --run-as: no user "no-such-badmx-user" on this system (id -u no-such-badmx-user failed)');
    expect(existsSync(join(dir, 'events.jsonl'))).toBe(false);
  });
});
