import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INJECTION_SILENCE_MS } from '../../src/receivers/receiver-connection.js';
import { sClient } from '../helpers/openssl.js';
import { RawSmtpClient } from '../helpers/smtp-client.js';
import { startTestFleet, waitForEvent, type TestFleet } from '../helpers/fleet.js';
import { testNet } from '../helpers/net-plan.js';

/**
 * The tampering suite (issue 18, part 1 begun): each receiver tampers with the STARTTLS
 * transition as a man in the middle would, shown with a raw SMTP client (the test's own bytes on
 * the wire) and with OpenSSL's s_client -starttls smtp, an independent client.
 *
 * Addresses 127.0.210.x.
 */

const CODES = [221, 354, 421, 500, 501, 530] as const;
const PROFILES = [...CODES.map((c) => `starttls-${c}`), 'starttls-220-plaintext', 'ehlo-refused', 'starttls-injection', 'greeting-554', 'starttls-220-no-transition', 'starttls-second-ehlo'];
let fleet: TestFleet;

beforeAll(async () => {
  fleet = await startTestFleet({ addressBase: testNet('receivers/tampering-profiles').base, profiles: PROFILES });
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

describe('response injection (EAST B_1): starttls-injection', () => {
  const probe = async (mode: 'honest' | 'vulnerable') => {
    const member = fleet.member('starttls-injection');
    const script = fileURLToPath(new URL('../fixtures/clients/injection-probe.py', import.meta.url));
    const { stdout } = await execa('python3', [script, member.address, String(member.port), fleet.caFile, member.hostname, mode], { timeout: 30_000 });
    return JSON.parse(stdout) as {
      afterStarttls: string[];
      tlsVersion: string;
      replyWithin1s: string | null;
      ehloInsideTls: string[];
      replyAfterMs: number;
    };
  };

  it("Python's ssl client: the 220 and forged 250 lines in one read, a real handshake, then silence on the EHLO inside TLS", async () => {
    const seen = await probe('honest');
    expect(seen.afterStarttls).toEqual(['220 Ready to start TLS', `250-${fleet.member('starttls-injection').hostname}`, '250 AUTH LOGIN']);
    expect(seen.tlsVersion).toBe('TLSv1.3');
    expect(seen.replyWithin1s).toBeNull();
    expect(seen.replyAfterMs).toBeGreaterThanOrEqual(INJECTION_SILENCE_MS - 100);
    // The real reply inside TLS: no AUTH (never offered), no STARTTLS.
    expect(seen.ehloInsideTls[0]).toMatch(/^250-/);
    expect(seen.ehloInsideTls.join('\n')).not.toMatch(/AUTH|STARTTLS/);
    const check = await waitForEvent(fleet, (e) => e.type === 'injection-check' && e.profile === 'starttls-injection');
    expect(check).toMatchObject({ withheld: 'EHLO', lines: [] });
  });

  it('a client that sends MAIL before the reply is recorded doing so', async () => {
    const seen = await probe('vulnerable');
    expect(seen.replyWithin1s).toBeNull();
    const check = await waitForEvent(fleet, (e) => e.type === 'injection-check' && e.profile === 'starttls-injection' && e.lines.length > 0);
    expect(check).toMatchObject({ withheld: 'EHLO', lines: ['MAIL FROM:<a@client.example>'] });
  });
});

describe('a greeting that is not 220: greeting-554', () => {
  it('greets 554; a client that goes on finds no STARTTLS (502), and mail is taken in the clear; s_client gives up', async () => {
    const member = fleet.member('greeting-554');
    const client = await RawSmtpClient.open(member.address, member.port);
    const greeting = await client.reply();
    expect(greeting.code).toBe(554);
    const ehlo = await client.command('EHLO client.example');
    expect(ehlo.code).toBe(250);
    expect(ehlo.text).not.toMatch(/STARTTLS/);
    expect((await client.command('STARTTLS')).code).toBe(502);
    expect((await client.command('MAIL FROM:<a@client.example>')).code).toBe(250);
    client.destroy();
    const result = await sClient(member.address, member.port, ['-CAfile', fleet.caFile]);
    expect(result.output).not.toMatch(/BEGIN CERTIFICATE/);
  });
});

describe('STARTTLS answered 220 without a transition: starttls-220-no-transition', () => {
  it('220, then the session stays in plaintext: a ClientHello is answered 500 in clear (s_client: wrong version number), plaintext commands go on', async () => {
    const member = fleet.member('starttls-220-no-transition');
    const result = await sClient(member.address, member.port, ['-CAfile', fleet.caFile]);
    expect(result.output).toMatch(/wrong version number|packet length too long|record layer failure/i);
    expect(result.output).not.toMatch(/BEGIN CERTIFICATE/);
    await waitForEvent(fleet, (e) => e.type === 'command' && e.profile === 'starttls-220-no-transition' && e.verb === '(TLS record)');
    const { client } = await session('starttls-220-no-transition');
    expect((await client.command('STARTTLS')).code).toBe(220);
    expect((await client.command('NOOP')).code).toBe(250);
    expect((await client.command('MAIL FROM:<a@client.example>')).code).toBe(250);
    client.destroy();
  });
});

describe('STARTTLS only from the second EHLO: starttls-second-ehlo', () => {
  it('the first EHLO reply lacks STARTTLS, the second has it; s_client, which greets once, finds none, asks anyway and gets a real session', async () => {
    const { client, ehlo } = await session('starttls-second-ehlo');
    expect(ehlo.code).toBe(250);
    expect(ehlo.text).not.toMatch(/STARTTLS/);
    const again = await client.command('EHLO client.example');
    expect(again.text).toMatch(/^250[- ]STARTTLS$/m);
    client.destroy();
    const member = fleet.member('starttls-second-ehlo');
    const result = await sClient(member.address, member.port, ['-CAfile', fleet.caFile, '-verify_hostname', member.hostname]);
    expect(result.output).toMatch(/Didn't find STARTTLS in server response, trying anyway/);
    expect(result.cipher).not.toBeNull();
    expect(result.verifyCode).toBe(0);
  });
});

