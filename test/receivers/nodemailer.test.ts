import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataEvent, TlsEstablishedEvent } from '../../src/recorder/events.js';
import { startTestFleet, waitForEvent, type TestFleet } from '../helpers/fleet.js';
import { testNet } from '../helpers/net-plan.js';

/**
 * Delivery through nodemailer, a real SMTP client nobody here wrote: what the receivers
 * record and the Received header they stamp must match what was negotiated.
 */

let fleet: TestFleet;
beforeAll(async () => {
  fleet = await startTestFleet({ addressBase: testNet('receivers/nodemailer').base });
});
afterAll(async () => {
  await fleet?.stop();
});

type TransportTls = { rejectUnauthorized?: boolean; minVersion?: 'TLSv1' | 'TLSv1.2'; maxVersion?: 'TLSv1.2' | 'TLSv1.3'; ciphers?: string };

async function send(
  profile: string,
  options: { requireTLS?: boolean; ignoreTLS?: boolean; opportunisticTLS?: boolean; tls?: TransportTls; name?: string } = {},
) {
  const member = fleet.member(profile);
  const transport = nodemailer.createTransport({
    host: member.address,
    port: member.port,
    secure: false,
    name: options.name ?? 'sender.example',
    requireTLS: options.requireTLS ?? false,
    ignoreTLS: options.ignoreTLS ?? false,
    opportunisticTLS: options.opportunisticTLS ?? false,
    tls: { ca: readFileSync(fleet.caFile), servername: member.hostname, ...options.tls },
  });
  try {
    return await transport.sendMail({
      from: 'sender@sender.example',
      to: `probe@${member.domain}`,
      subject: `probe ${profile}`,
      text: 'Synthetic patient notice: appointment on 2026-12-01 (test data only).',
      messageId: `<${profile}.${Date.now()}@sender.example>`,
    });
  } finally {
    transport.close();
  }
}

function dataEventFor(messageId: string): Promise<DataEvent> {
  return waitForEvent(fleet, (e) => e.type === 'data' && e.messageId === messageId) as Promise<DataEvent>;
}

describe('delivery with nodemailer', () => {
  it('tls1.2: delivered over verified TLS 1.2; the Received header says ESMTPS and the real version and cipher', async () => {
    const info = await send('tls1.2', { requireTLS: true });
    const data = await dataEventFor(info.messageId);
    expect(data.accepted).toBe(true);
    expect(data.tls).toBe(true);
    const tls = fleet.events().find((e): e is TlsEstablishedEvent => e.type === 'tls' && e.conn === data.conn);
    expect(tls?.version).toBe('TLSv1.2');
    expect(tls?.sni).toBe('mx.tls1.2.badmx.test');
    expect(data.received).toMatch(/^Received: from sender\.example \(\[127\.0\.0\.1\]\) by mx\.tls1\.2\.badmx\.test \(badmx [^)]*profile tls1\.2\)/);
    expect(data.received).toContain(`with ESMTPS (version=TLSv1.2 cipher=${tls?.cipher} bits=`);
    expect(data.received).toContain('for <probe@tls1.2.badmx.test>;');
    // the stored message starts with the same Received header, then the message as sent
    const stored = readFileSync(join(fleet.eventsFile, '..', data.file ?? ''), 'utf8');
    expect(stored.startsWith('Received: from sender.example')).toBe(true);
    expect(stored).toContain(`Message-ID: ${info.messageId}`);
    expect(data.size).toBeGreaterThan(100);
  });

  it('the version in the Received header is the negotiated one, not the configured maximum', async () => {
    // self-signed allows TLS 1.2 and 1.3; this client stops at 1.2
    const info = await send('self-signed', { requireTLS: true, tls: { rejectUnauthorized: false, maxVersion: 'TLSv1.2' } });
    const data = await dataEventFor(info.messageId);
    expect(data.received).toContain('with ESMTPS (version=TLSv1.2 ');
    const info13 = await send('self-signed', { requireTLS: true, tls: { rejectUnauthorized: false } });
    expect((await dataEventFor(info13.messageId)).received).toContain('with ESMTPS (version=TLSv1.3 cipher=TLS_AES_');
  });

  it('tls1.0: a client that allows TLS 1.0 delivers over it', async () => {
    const info = await send('tls1.0', { requireTLS: true, tls: { minVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' } });
    const data = await dataEventFor(info.messageId);
    expect(data.received).toContain('with ESMTPS (version=TLSv1.0 cipher=AES128-SHA bits=128');
  });

  it('tls1.0: a client at modern defaults refuses it, and the refusal lands on that connection', async () => {
    await expect(send('tls1.0', { requireTLS: true, name: 'modern-defaults.example' })).rejects.toThrow();
    const helo = await waitForEvent(fleet, (e) => e.type === 'helo' && e.name === 'modern-defaults.example');
    const failed = await waitForEvent(fleet, (e) => e.type === 'tls-failed' && e.conn === helo.conn);
    expect(failed).toMatchObject({ profile: 'tls1.0', alert: 'protocol_version' });
  });

  it('no-starttls: an opportunistic client delivers in plaintext (ESMTP, no TLS comment)', async () => {
    // nodemailer looks for STARTTLS with /[ -]STARTTLS\b/i over the whole EHLO reply, so the hostname
    // "mx.no-starttls.badmx.test" on its first line makes it try STARTTLS anyway: it gets 502 and, being
    // opportunistic, carries on in the clear. The receiver records both steps.
    const info = await send('no-starttls', { opportunisticTLS: true });
    const data = await dataEventFor(info.messageId);
    expect(fleet.events().some((e) => e.conn === data.conn && e.type === 'starttls' && e.reply === 502)).toBe(true);
    expect(data.tls).toBe(false);
    expect(data.received).toMatch(/ with ESMTP id /);
    expect(data.received).not.toMatch(/ESMTPS|version=/);
  });

  it('no-starttls: a client that requires TLS does not deliver', async () => {
    await expect(send('no-starttls', { requireTLS: true })).rejects.toThrow(/STARTTLS/);
  });

  it('expired: a verifying Node client hangs up mid-handshake, without an alert, and that is what is recorded', async () => {
    await expect(send('expired', { requireTLS: true })).rejects.toThrow(/certificate has expired/);
    // Node checks the certificate itself once OpenSSL has it and then destroys the socket: in TLS 1.3
    // the receiver never sees the client's Finished, nor an alert.
    const failed = await waitForEvent(fleet, (e) => e.type === 'tls-failed' && e.profile === 'expired');
    expect(failed).toMatchObject({ origin: 'none', alert: null });
    expect(fleet.events().some((e) => e.conn === failed.conn && (e.type === 'mail-from' || e.type === 'tls'))).toBe(false);
  });

  it('wrong-host: a verifying client rejects the name mismatch', async () => {
    await expect(send('wrong-host', { requireTLS: true })).rejects.toThrow(/Hostname\/IP does not match|altnames/i);
  });
});
