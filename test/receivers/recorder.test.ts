import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HeloEvent, ReceiverEvent } from '../../src/recorder/events.js';
import { sClient } from '../helpers/openssl.js';
import { RawSmtpClient } from '../helpers/smtp-client.js';
import { startTestFleet, waitForEvent, type TestFleet } from '../helpers/fleet.js';
import { testNet } from '../helpers/net-plan.js';

/** The session recorder: every failure lands on its own connection, as it happens. */

let fleet: TestFleet;
beforeAll(async () => {
  fleet = await startTestFleet({ addressBase: testNet('receivers/recorder').base, profiles: ['untrusted-root', 'tls1.2', 'tls1.0'] });
});
afterAll(async () => {
  await fleet?.stop();
});

function connOfHelo(events: ReceiverEvent[], name: string): string {
  const helo = events.find((e): e is HeloEvent => e.type === 'helo' && e.name === name);
  if (!helo) throw new Error(`no EHLO ${name}`);
  return helo.conn;
}

describe('recorder', () => {
  it('a client alert lands on the connection that sent it, not on a concurrent one', async () => {
    const member = fleet.member('untrusted-root');
    const common = ['-CAfile', fleet.caFile, '-servername', member.hostname];
    await Promise.all([
      sClient(member.address, member.port, [...common, '-name', 'alerting.client', '-verify_return_error']),
      sClient(member.address, member.port, [...common, '-name', 'calm.client']),
      sClient(member.address, member.port, [...common, '-name', 'alerting2.client', '-verify_return_error']),
    ]);
    await waitForEvent(fleet, (e) => e.type === 'close' && e.conn === connOfHelo(fleet.events(), 'calm.client'));
    const events = fleet.events();
    for (const name of ['alerting.client', 'alerting2.client']) {
      const conn = connOfHelo(events, name);
      const failures = events.filter((e) => e.conn === conn && e.type === 'tls-failed');
      expect(failures).toEqual([expect.objectContaining({ origin: 'client', alert: 'unknown_ca', code: 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA' })]);
      expect(events.some((e) => e.conn === conn && e.type === 'tls')).toBe(false);
    }
    const calm = connOfHelo(events, 'calm.client');
    expect(events.filter((e) => e.conn === calm && e.type === 'tls-failed')).toEqual([]);
    expect(events.find((e) => e.conn === calm && e.type === 'tls')).toMatchObject({ version: 'TLSv1.3', sni: member.hostname });
  });

  it('a client that disconnects during the handshake without an alert is recorded as that', async () => {
    const member = fleet.member('tls1.2');
    const client = await RawSmtpClient.open(member.address, member.port);
    await client.reply();
    await client.command('EHLO vanishing.client');
    expect((await client.command('STARTTLS')).code).toBe(220);
    client.destroy();
    const conn = connOfHelo(fleet.events(), 'vanishing.client');
    const failed = await waitForEvent(fleet, (e) => e.type === 'tls-failed' && e.conn === conn);
    expect(failed).toMatchObject({ origin: 'none', alert: null });
    await waitForEvent(fleet, (e) => e.type === 'close' && e.conn === conn);
  });

  it('a receiver-side refusal names the alert it sent (client offers only TLS 1.2+ to tls1.0)', async () => {
    const member = fleet.member('tls1.0');
    await sClient(member.address, member.port, ['-name', 'modern.client', '-tls1_2']);
    const conn = connOfHelo(fleet.events(), 'modern.client');
    const failed = await waitForEvent(fleet, (e) => e.type === 'tls-failed' && e.conn === conn);
    expect(failed).toMatchObject({ alert: 'protocol_version' });
  });

  it('records the whole session in order: connect, banner, EHLO, STARTTLS, TLS, MAIL, RCPT, DATA, QUIT, close', async () => {
    const member = fleet.member('tls1.2');
    const client = await RawSmtpClient.open(member.address, member.port);
    expect((await client.reply()).code).toBe(220);
    expect((await client.command('EHLO ordered.client')).code).toBe(250);
    expect((await client.command('STARTTLS')).code).toBe(220);
    await client.startTls({ ca: readFileSync(fleet.caFile), servername: member.hostname });
    expect((await client.command('EHLO ordered.client')).code).toBe(250);
    expect((await client.command('MAIL FROM:<a@ordered.client>')).code).toBe(250);
    expect((await client.command(`RCPT TO:<probe@${member.domain}>`)).code).toBe(250);
    expect((await client.command('DATA')).code).toBe(354);
    expect((await client.command('Subject: order\r\nMessage-ID: <order@ordered.client>\r\n\r\nbody\r\n.')).code).toBe(250);
    expect((await client.command('QUIT')).code).toBe(221);
    const conn = (await waitForEvent(fleet, (e) => e.type === 'data' && e.messageId === '<order@ordered.client>')).conn;
    await waitForEvent(fleet, (e) => e.type === 'close' && e.conn === conn);
    const types = fleet
      .events()
      .filter((e) => e.conn === conn && e.type !== 'reply' && e.type !== 'command')
      .map((e) => e.type);
    expect(types).toEqual(['connect', 'helo', 'starttls', 'client-hello', 'tls', 'helo', 'mail-from', 'rcpt-to', 'data', 'close']);
    const seqs = fleet.events().filter((e) => e.conn === conn).map((e) => e.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    expect(fleet.events().some((e) => e.conn === conn && e.type === 'command' && e.verb === 'QUIT')).toBe(true);
  });
});
