import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandEvent, DataEvent } from '../../src/recorder/events.js';
import { RawSmtpClient } from '../helpers/smtp-client.js';
import { connectionByPeerPort, startTestFleet, waitForEvent, type TestFleet } from '../helpers/fleet.js';
import { testNet } from '../helpers/net-plan.js';

/**
 * Hostile and broken input: each case gets a protocol error or a clean close, is
 * recorded, and the fleet keeps serving. Limits are lowered so they can be reached.
 */

let fleet: TestFleet;
beforeAll(async () => {
  fleet = await startTestFleet({
    addressBase: testNet('receivers/bad-input').base,
    profiles: ['tls1.2', 'no-starttls', 'handshake-failure'],
    limits: { maxRecipients: 3, maxMessageBytes: 4096, maxConnections: 3, commandTimeoutMs: 1_500, maxCommandLineBytes: 512, shedGraceMs: 0 },
  });
});
afterAll(async () => {
  await fleet?.stop();
});

async function open(profile = 'tls1.2', ehlo = 'bad.client'): Promise<RawSmtpClient> {
  const member = fleet.member(profile);
  const client = await RawSmtpClient.open(member.address, member.port);
  expect((await client.reply()).code).toBe(220);
  if (ehlo) expect((await client.command(`EHLO ${ehlo}`)).code).toBe(250);
  return client;
}

async function stillServing(): Promise<void> {
  for (const profile of ['tls1.2', 'no-starttls']) {
    const client = await open(profile, 'after.client');
    expect((await client.command('NOOP')).code).toBe(250);
    client.destroy();
  }
}

describe('bad input', () => {
  it('a malformed command gets a syntax error and is recorded', async () => {
    const client = await open();
    expect((await client.command('FROBNICATE now')).code).toBe(500);
    expect((await client.command('MAIL FROM:<unterminated')).code).toBe(501);
    client.destroy();
    await waitForEvent(fleet, (e) => e.type === 'close' && e.conn === connectionByPeerPort(fleet.events(), client.localPort)[0]?.conn);
    const events = connectionByPeerPort(fleet.events(), client.localPort);
    expect(events.some((e) => e.type === 'command' && e.verb === 'FROBNICATE')).toBe(true);
    expect(events.filter((e) => e.type === 'reply').map((e) => e.type === 'reply' && e.code)).toEqual(expect.arrayContaining([500, 501]));
    await stillServing();
  });

  it('an over-long line gets 421 and a close', async () => {
    const client = await open();
    client.write(`NOOP ${'x'.repeat(2000)}\r\n`);
    const reply = await client.reply();
    expect(reply.code).toBe(421);
    expect(reply.text).toMatch(/too long/i);
    await client.waitClosed();
    await stillServing();
  });

  it('binary garbage gets an error reply, and is logged escaped', async () => {
    const client = await open();
    const garbage = Buffer.from([0x00, 0x01, 0xff, 0xfe, 0x1b, 0x5b, 0x32, 0x4a, 0x80, 0x0d, 0x0a]);
    client.write(garbage);
    expect((await client.reply()).code).toBeGreaterThanOrEqual(500);
    client.destroy();
    const command = await waitForEvent(
      fleet,
      (e) => e.type === 'command' && e.conn === connectionByPeerPort(fleet.events(), client.localPort)[0]?.conn && e.verb !== 'EHLO',
    );
    expect((command as CommandEvent).line).toBe('\\x00\\x01\\xff\\xfe\\x1b[2J\\x80');
    await stillServing();
  });

  it('garbage instead of a ClientHello: recorded as a failed handshake, connection closed', async () => {
    for (const profile of ['tls1.2', 'handshake-failure']) {
      const client = await open(profile);
      expect((await client.command('STARTTLS')).code).toBe(220);
      client.write('this is not a ClientHello\r\n');
      await client.waitClosed();
      const conn = connectionByPeerPort(fleet.events(), client.localPort)[0]?.conn;
      const failed = await waitForEvent(fleet, (e) => e.type === 'tls-failed' && e.conn === conn);
      expect(failed).toMatchObject({ origin: 'server', alert: null });
      expect(failed.type === 'tls-failed' && failed.reason).toMatch(/not a TLS/);
    }
    await stillServing();
  });

  it('a client that vanishes mid-DATA: data-aborted is recorded, nothing is stored', async () => {
    const client = await open();
    await client.command('MAIL FROM:<a@bad.client>');
    await client.command(`RCPT TO:<probe@${fleet.member('tls1.2').domain}>`);
    expect((await client.command('DATA')).code).toBe(354);
    client.write('Subject: half\r\nMessage-ID: <half@bad.client>\r\n\r\nthe first half of');
    await new Promise((resolve) => setTimeout(resolve, 100));
    client.destroy();
    const conn = connectionByPeerPort(fleet.events(), client.localPort)[0]?.conn;
    const aborted = await waitForEvent(fleet, (e) => e.type === 'data-aborted' && e.conn === conn);
    expect(aborted.type === 'data-aborted' && aborted.bytes).toBeGreaterThan(10);
    await waitForEvent(fleet, (e) => e.type === 'close' && e.conn === conn);
    expect(fleet.events().some((e) => e.type === 'data' && e.conn === conn)).toBe(false);
    await stillServing();
  });
});

describe('limits', () => {
  it('a recipient outside the profile domain gets 550 (no relaying)', async () => {
    const client = await open();
    await client.command('MAIL FROM:<a@bad.client>');
    const reply = await client.command('RCPT TO:<victim@example.com>');
    expect(reply.code).toBe(550);
    expect(reply.text).toMatch(/never relays/);
    expect((await client.command('RCPT TO:<probe@no-starttls.badmx.test>')).code).toBe(550);
    client.destroy();
    await waitForEvent(fleet, (e) => e.type === 'rcpt-to' && e.address === 'victim@example.com' && !e.accepted && e.reply === 550);
  });

  it('recipients beyond the limit get 452', async () => {
    const client = await open();
    await client.command('MAIL FROM:<a@bad.client>');
    for (let i = 1; i <= 3; i++) expect((await client.command(`RCPT TO:<r${i}@tls1.2.badmx.test>`)).code).toBe(250);
    expect((await client.command('RCPT TO:<r4@tls1.2.badmx.test>')).code).toBe(452);
    client.destroy();
  });

  it('a message over the size limit gets 552 and is recorded as refused', async () => {
    const client = await open();
    await client.command('MAIL FROM:<a@bad.client>');
    await client.command('RCPT TO:<probe@tls1.2.badmx.test>');
    expect((await client.command('DATA')).code).toBe(354);
    const reply = await client.command(`Message-ID: <big@bad.client>\r\n\r\n${'y'.repeat(100)}\r\n`.repeat(60) + '.');
    expect(reply.code).toBe(552);
    client.destroy();
    const data = (await waitForEvent(fleet, (e) => e.type === 'data' && e.messageId === '<big@bad.client>')) as DataEvent;
    expect(data).toMatchObject({ accepted: false, reply: 552, file: null });
  });

  it('a connection beyond the limit sheds the session idle longest (421 4.7.0), not the newcomer', async () => {
    const clients: RawSmtpClient[] = [];
    // One after the other, so that the first is the one idle longest.
    for (let i = 0; i < 3; i++) clients.push(await open('no-starttls', ''));
    const member = fleet.member('no-starttls');
    const extra = await RawSmtpClient.open(member.address, member.port);
    expect((await extra.reply()).code).toBe(220);
    const shed = await clients[0]!.reply();
    expect(shed.lines[0]).toMatch(/^421 4\.7\.0 mx\.no-starttls\.badmx\.test too many connections to this profile \(at most 3\)/);
    await clients[0]!.waitClosed();
    expect((await clients[1]!.command('NOOP')).code).toBe(250);
    const conn = connectionByPeerPort(fleet.events(), clients[0]!.localPort)[0]?.conn;
    const event = await waitForEvent(fleet, (e) => e.type === 'shed' && e.conn === conn);
    expect(event).toMatchObject({ reason: 'profile-full', max: 3, newcomer: connectionByPeerPort(fleet.events(), extra.localPort)[0]?.conn });
    await waitForEvent(fleet, (e) => e.type === 'close' && e.conn === conn);
    for (const client of [...clients, extra]) client.destroy();
  });

  it('connections beyond the limit get 421 when every session is inside a mail transaction', async () => {
    const clients = await Promise.all([1, 2, 3].map(() => open('no-starttls')));
    for (const client of clients) expect((await client.command('MAIL FROM:<busy@bad.client>')).code).toBe(250);
    const member = fleet.member('no-starttls');
    const extra = await RawSmtpClient.open(member.address, member.port);
    expect((await extra.reply()).code).toBe(421);
    for (const client of clients) expect((await client.command('NOOP')).code).toBe(250);
    for (const client of [...clients, extra]) client.destroy();
  });

  it('an idle client is disconnected at the command deadline, with 421 4.4.2', async () => {
    const client = await open();
    const started = Date.now();
    const reply = await client.reply(10_000);
    expect(reply.lines[0]).toMatch(/^421 4\.4\.2 mx\.tls1\.2\.badmx\.test Error: timeout exceeded \(no complete command line within 1\.5 s\)$/);
    await client.waitClosed(10_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    const conn = connectionByPeerPort(fleet.events(), client.localPort)[0]?.conn;
    expect(await waitForEvent(fleet, (e) => e.type === 'timeout' && e.conn === conn)).toMatchObject({ phase: 'command', limitMs: 1_500 });
  });
});

describe('protocol details', () => {
  it('postmaster is always accepted (RFC 5321 §4.5.1)', async () => {
    const client = await open();
    await client.command('MAIL FROM:<a@bad.client>');
    expect((await client.command('RCPT TO:<postmaster>')).code).toBe(250);
    expect((await client.command('RCPT TO:<Postmaster@tls1.2.badmx.test>')).code).toBe(250);
    client.destroy();
  });

  it('a greeting refused with 501 is not recorded as a greeting', async () => {
    const client = await open('tls1.2', '');
    expect((await client.command('EHLO')).code).toBe(501);
    expect((await client.command('EHLO good.client')).code).toBe(250);
    client.destroy();
    const conn = connectionByPeerPort(fleet.events(), client.localPort)[0]?.conn;
    await waitForEvent(fleet, (e) => e.type === 'close' && e.conn === conn);
    const helos = fleet.events().filter((e) => e.type === 'helo' && e.conn === conn);
    expect(helos.map((e) => e.type === 'helo' && e.name)).toEqual(['good.client']);
  });

  it('mid-DATA disconnects are recorded before the close', async () => {
    const client = await open();
    await client.command('MAIL FROM:<a@bad.client>');
    await client.command('RCPT TO:<probe@tls1.2.badmx.test>');
    await client.command('DATA');
    client.write('Subject: cut\r\n\r\npartial');
    await new Promise((resolve) => setTimeout(resolve, 100));
    client.destroy();
    const conn = connectionByPeerPort(fleet.events(), client.localPort)[0]?.conn;
    await waitForEvent(fleet, (e) => e.type === 'close' && e.conn === conn);
    const tail = fleet.events().filter((e) => e.conn === conn && (e.type === 'data-aborted' || e.type === 'close'));
    expect(tail.map((e) => e.type)).toEqual(['data-aborted', 'close']);
  });

  it('a hostile SNI name cannot reach the Received header', async () => {
    const { readFileSync } = await import('node:fs');
    const member = fleet.member('tls1.2');
    const client = await open();
    expect((await client.command('STARTTLS')).code).toBe(220);
    await client.startTls({ ca: readFileSync(fleet.caFile), servername: 'x\r\nX-Injected: yes', rejectUnauthorized: false });
    await client.command('EHLO sni.client');
    await client.command('MAIL FROM:<a@sni.client>');
    await client.command(`RCPT TO:<probe@${member.domain}>`);
    await client.command('DATA');
    expect((await client.command('Message-ID: <sni@bad.client>\r\n\r\nx\r\n.')).code).toBe(250);
    client.destroy();
    const data = (await waitForEvent(fleet, (e) => e.type === 'data' && e.messageId === '<sni@bad.client>')) as DataEvent;
    expect(data.received).not.toContain('\n');
    expect(data.received).toContain('sni=invalid:x\\x0d');
    const stored = readFileSync(join(fleet.eventsFile, '..', data.file ?? ''), 'utf8');
    expect(stored).not.toMatch(/^X-Injected/m);
  });
});
