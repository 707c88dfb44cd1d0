import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sClient } from '../helpers/openssl.js';
import { RawSmtpClient } from '../helpers/smtp-client.js';
import { startTestFleet, waitForEvent, type TestFleet } from '../helpers/fleet.js';

/**
 * The tampering suite (issue 18, part 1 begun): each receiver tampers with the STARTTLS
 * transition as a man in the middle would, shown with a raw SMTP client (the test's own bytes on
 * the wire) and with OpenSSL's s_client -starttls smtp, an independent client.
 *
 * Addresses 127.0.210.x.
 */

const CODES = [221, 354, 421, 500, 501, 530] as const;
const PROFILES = [...CODES.map((c) => `starttls-${c}`), 'starttls-220-plaintext', 'ehlo-refused'];
let fleet: TestFleet;

beforeAll(async () => {
  fleet = await startTestFleet({ addressBase: '127.0.210.0', profiles: PROFILES });
});
afterAll(async () => {
  await fleet?.stop();
});

async function session(profile: string): Promise<{ client: RawSmtpClient; ehlo: { code: number; text: string } }> {
  const member = fleet.member(profile);
  const client = await RawSmtpClient.open(member.address, member.port);
  expect((await client.reply()).code).toBe(220);
  const ehlo = await client.command('EHLO client.example');
  return { client, ehlo };
}

describe('STARTTLS answered with another code than 220', () => {
  it.each(CODES.map((code) => [code]))('starttls-%s: advertised, answered with that code; the session goes on in plaintext (221 and 421 close it)', async (code) => {
    const { client, ehlo } = await session(`starttls-${code}`);
    expect(ehlo.text).toMatch(/^250[- ]STARTTLS$/m);
    const reply = await client.command('STARTTLS');
    expect(reply.code).toBe(code);
    if (code === 221 || code === 421) {
      await expect(client.command('NOOP')).rejects.toThrow();
    } else {
      // Mail is still taken in the clear: what a downgraded sender does next is recorded.
      expect((await client.command('MAIL FROM:<a@client.example>')).code).toBe(250);
      expect((await client.command(`RCPT TO:<x@starttls-${code}.badmx.test>`)).code).toBe(250);
    }
    client.destroy();
    await waitForEvent(fleet, (e) => e.type === 'starttls' && e.profile === `starttls-${code}` && e.reply === code);
  });

  it('openssl s_client sees STARTTLS refused and makes no session', async () => {
    const member = fleet.member('starttls-530');
    const result = await sClient(member.address, member.port, ['-CAfile', fleet.caFile]);
    expect(result.certificatesSent).toBe(0);
    expect(result.output).not.toMatch(/BEGIN CERTIFICATE|Server certificate/);
  });
});

describe('STARTTLS answered 220, then plaintext', () => {
  it('a plaintext reply where the ServerHello should be: s_client fails the handshake on it', async () => {
    const { client } = await session('starttls-220-plaintext');
    const reply = await client.command('STARTTLS');
    expect(reply.code).toBe(220);
    expect((await client.reply()).lines[0]).toMatch(/^250 (2\.0\.0 )?TLS not started: carry on in plaintext$/);
    expect((await client.command('MAIL FROM:<a@client.example>')).code).toBe(250);
    client.destroy();
    const member = fleet.member('starttls-220-plaintext');
    const result = await sClient(member.address, member.port, ['-CAfile', fleet.caFile]);
    expect(result.output).toMatch(/wrong version number|packet length too long|record layer failure|unexpected eof/i);
    expect(result.output).not.toMatch(/BEGIN CERTIFICATE/);
  });
});

describe('EHLO refused', () => {
  it('EHLO gets 500, HELO 250 with no extensions, and STARTTLS is not implemented (502); s_client finds no STARTTLS', async () => {
    const { client, ehlo } = await session('ehlo-refused');
    expect(ehlo.code).toBe(500);
    const helo = await client.command('HELO client.example');
    expect(helo.code).toBe(250);
    expect(helo.lines).toHaveLength(1);
    expect((await client.command('STARTTLS')).code).toBe(502);
    expect((await client.command('MAIL FROM:<a@client.example>')).code).toBe(250);
    client.destroy();
    const member = fleet.member('ehlo-refused');
    const result = await sClient(member.address, member.port, ['-CAfile', fleet.caFile]);
    expect(result.output).not.toMatch(/BEGIN CERTIFICATE/);
  });
});
