import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReceiverEvent } from '../../src/recorder/events.js';
import { RawSmtpClient } from '../helpers/smtp-client.js';
import { connectionByPeerPort, startTestFleet, waitForEvent, type TestFleet } from '../helpers/fleet.js';
import { deliverProbe } from './holding-clients.js';
import { testNet } from '../helpers/net-plan.js';

/**
 * Deadlines with Postfix smtpd_timeout semantics: the time to complete a command line, the
 * time for the whole DATA phase, and a session lifetime, none of them reset by the bytes a
 * client trickles in (the idle timer they replace was). Limits are shrunk to seconds.
 * Listeners on 127.0.144.0/24.
 */
let fleet: TestFleet;
const LIMITS = { commandTimeoutMs: 1_000, dataTimeoutMs: 1_500, sessionTimeoutMs: 3_000 };

beforeAll(async () => {
  fleet = await startTestFleet({ addressBase: testNet('receivers/deadlines').base, profiles: ['tls1.2'], limits: LIMITS });
});
afterAll(async () => {
  await fleet?.stop();
});

async function open(): Promise<RawSmtpClient> {
  const member = fleet.member('tls1.2');
  const client = await RawSmtpClient.open(member.address, member.port);
  expect((await client.reply()).code).toBe(220);
  return client;
}

/** Write `chunks` one every `everyMs` until the server closes the connection (at most `max`). */
async function trickle(client: RawSmtpClient, chunks: (i: number) => string, everyMs: number, max: number): Promise<number> {
  let i = 0;
  for (; i < max && !client.closed; i++) {
    client.write(chunks(i));
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  return i;
}

async function eventsOf(client: RawSmtpClient): Promise<ReceiverEvent[]> {
  const conn = connectionByPeerPort(fleet.events(), client.localPort)[0]?.conn;
  await waitForEvent(fleet, (e) => e.type === 'close' && e.conn === conn);
  return fleet.events().filter((e) => e.conn === conn);
}

describe('session deadlines', () => {
  it('a client sending one byte at a time never completes a line in time: 421 4.4.2 at the command deadline', async () => {
    const client = await open();
    expect((await client.command('EHLO slow.example')).code).toBe(250);
    const started = Date.now();
    // One byte every 150 ms: each would have reset the old idle timer.
    const sent = await trickle(client, (i) => 'NOOP xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'[i] ?? 'x', 150, 40);
    const elapsed = Date.now() - started;
    expect(client.closed).toBe(true);
    expect(sent).toBeLessThan(20);
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(2_500);
    expect((await client.reply()).lines[0]).toMatch(/421 4\.4\.2 mx\.tls1\.2\.badmx\.test Error: timeout exceeded \(no complete command line within 1 s\)/);
    const events = await eventsOf(client);
    expect(events.find((e) => e.type === 'timeout')).toMatchObject({ phase: 'command', limitMs: 1_000 });
    expect(events.map((e) => e.type).slice(-3)).toEqual(['timeout', 'reply', 'close']);
  });

  it('complete lines in time are fine, until the session lifetime', async () => {
    const client = await open();
    const started = Date.now();
    const sent = await trickle(client, () => 'NOOP\r\n', 200, 40);
    const elapsed = Date.now() - started;
    // Each line came well within the command deadline; the session still ended at its lifetime.
    expect(sent).toBeGreaterThan(10);
    expect(elapsed).toBeGreaterThanOrEqual(2_700);
    expect(elapsed).toBeLessThan(4_500);
    const events = await eventsOf(client);
    expect(events.find((e) => e.type === 'timeout')).toMatchObject({ phase: 'session', limitMs: 3_000 });
    expect(events.filter((e) => e.type === 'reply' && e.code === 421)).toHaveLength(1);
  });

  it('DATA has its own deadline for the whole message, however steadily the lines come', async () => {
    const member = fleet.member('tls1.2');
    const client = await open();
    await client.command('EHLO data.example');
    expect((await client.command('MAIL FROM:<a@data.example>')).code).toBe(250);
    expect((await client.command(`RCPT TO:<probe@${member.domain}>`)).code).toBe(250);
    expect((await client.command('DATA')).code).toBe(354);
    const started = Date.now();
    // A whole line every 200 ms: never 1 s without one, but the message never ends.
    await trickle(client, (i) => (i === 0 ? 'Message-ID: <slow-data@data.example>\r\n\r\n' : `line ${i}\r\n`), 200, 40);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(1_400);
    expect(elapsed).toBeLessThan(2_800);
    const events = await eventsOf(client);
    expect(events.find((e) => e.type === 'timeout')).toMatchObject({ phase: 'data', limitMs: 1_500 });
    const types = events.map((e) => e.type);
    expect(types.slice(-4)).toEqual(['timeout', 'reply', 'data-aborted', 'close']);
    expect(types).not.toContain('data');
    // Nothing was stored.
    const dir = join(fleet.eventsFile, '..', 'messages', 'tls1.2');
    let stored: string[] = [];
    try {
      stored = readdirSync(dir);
    } catch {
      // no message at all
    }
    expect(stored).toEqual([]);
  });

  it('a TLS handshake that never completes runs on the command clock: the receiver hangs up and says so', async () => {
    const client = await open();
    await client.command('EHLO tls.example');
    expect((await client.command('STARTTLS')).code).toBe(220);
    const started = Date.now();
    // The first bytes of a ClientHello, and then nothing.
    client.write(Buffer.from([0x16, 0x03, 0x01, 0x00]));
    await client.waitClosed(5_000);
    expect(Date.now() - started).toBeLessThan(2_500);
    const events = await eventsOf(client);
    expect(events.find((e) => e.type === 'tls-failed')).toMatchObject({ origin: 'server', alert: null, code: 'ETIMEDOUT' });
    expect(events.find((e) => e.type === 'timeout')).toMatchObject({ phase: 'command' });
    expect(events.filter((e) => e.type === 'tls-failed')).toHaveLength(1);
  });

  it('a sender that does not dawdle is unaffected: a probe is delivered under the same deadlines', async () => {
    const member = fleet.member('tls1.2');
    const probe = await deliverProbe({ ...member, caFile: fleet.caFile, localAddress: '127.0.0.1' });
    const data = await waitForEvent(fleet, (e) => e.type === 'data' && e.messageId === probe.messageId);
    expect(data).toMatchObject({ accepted: true, tls: true });
    expect(fleet.events().some((e) => e.type === 'timeout' && e.conn === data.conn)).toBe(false);
  });
});
