import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sClient } from '../helpers/openssl.js';
import { RawSmtpClient } from '../helpers/smtp-client.js';
import { startTestFleet, waitForEvent, type TestFleet } from '../helpers/fleet.js';
import { testNet } from '../helpers/net-plan.js';

/**
 * Each profile's misconfiguration, proven with OpenSSL's own client (not our code):
 * what it negotiates, what it sends, and what a verifying client concludes.
 */

let fleet: TestFleet;
beforeAll(async () => {
  fleet = await startTestFleet({ addressBase: testNet('receivers/profiles-openssl').base });
});
afterAll(async () => {
  await fleet?.stop();
});

/** s_client against a profile, trusting the bundle and checking the MX hostname unless told otherwise. */
async function probe(profile: string, extra: string[] = [], verifyHost = true) {
  const member = fleet.member(profile);
  const args = ['-CAfile', fleet.caFile, '-servername', member.hostname, ...extra];
  if (verifyHost) args.push('-verify_hostname', member.hostname);
  return sClient(member.address, member.port, args);
}

const LEGACY = ['-cipher', 'DEFAULT:@SECLEVEL=0'];

describe('STARTTLS behaviours', () => {
  it('no-starttls: not in EHLO, and the command is refused with 502', async () => {
    const client = await RawSmtpClient.open(fleet.member('no-starttls').address, fleet.member('no-starttls').port);
    const banner = await client.reply();
    expect(banner.code).toBe(220);
    expect(banner.text).toContain('mx.no-starttls.badmx.test');
    const ehlo = await client.command('EHLO client.example');
    expect(ehlo.code).toBe(250);
    expect(ehlo.lines[0]).toContain('mx.no-starttls.badmx.test');
    expect(ehlo.text).not.toMatch(/STARTTLS/);
    const starttls = await client.command('STARTTLS');
    expect(starttls.code).toBe(502);
    // and mail is still accepted in the clear, as RFC 3207 requires of a public MX
    expect((await client.command('MAIL FROM:<a@client.example>')).code).toBe(250);
    expect((await client.command('RCPT TO:<x@no-starttls.badmx.test>')).code).toBe(250);
    client.destroy();
  });

  it('starttls-454: advertised, then answered "454 4.7.0 TLS not available"', async () => {
    const member = fleet.member('starttls-454');
    const client = await RawSmtpClient.open(member.address, member.port);
    await client.reply();
    expect((await client.command('EHLO client.example')).text).toMatch(/^250[- ]STARTTLS$/m);
    const reply = await client.command('STARTTLS');
    expect(reply.lines[0]).toBe('454 4.7.0 TLS not available');
    client.destroy();
    const openssl = await probe('starttls-454');
    expect(openssl.protocol).toBeNull();
  });

  it.each([['tls12', '-tls1_2'], ['tls13', '-tls1_3'], ['default']])('handshake-failure: a fatal handshake_failure alert for every client (%s)', async (label, ...version) => {
    const ehlo = `${label}.handshake.client`;
    const result = await probe('handshake-failure', ['-name', ehlo, ...version]);
    expect(result.output).toMatch(/alert handshake failure|alert number 40/);
    expect(result.protocol).toBeNull();
    const helo = await waitForEvent(fleet, (e) => e.type === 'helo' && e.name === ehlo);
    const failed = await waitForEvent(fleet, (e) => e.type === 'tls-failed' && e.conn === helo.conn);
    expect(failed).toMatchObject({ origin: 'profile', alert: 'handshake_failure' });
  });
});

describe('protocol versions', () => {
  it('tls1.0 completes with -tls1, verifies chain and name, and refuses -tls1_2', async () => {
    const ok = await probe('tls1.0', ['-tls1', ...LEGACY, '-verify_return_error']);
    expect(ok.protocol).toBe('TLSv1');
    expect(ok.verifyCode).toBe(0);
    const refused = await probe('tls1.0', ['-tls1_2']);
    expect(refused.protocol).toBeNull();
    expect(refused.output).toMatch(/unsupported protocol|protocol version/i);
  });

  it('tls1.0 offers static-RSA AES-CBC-SHA first', async () => {
    const ok = await probe('tls1.0', ['-tls1', ...LEGACY]);
    expect(ok.cipher).toBe('AES128-SHA');
  });

  it('tls1.1 completes with -tls1_1 only', async () => {
    expect((await probe('tls1.1', ['-tls1_1', ...LEGACY, '-verify_return_error'])).protocol).toBe('TLSv1.1');
    expect((await probe('tls1.1', ['-tls1', ...LEGACY])).protocol).toBeNull();
    expect((await probe('tls1.1', ['-tls1_2'])).protocol).toBeNull();
  });

  it('tls1.2 control: TLS 1.2 only, chain and hostname verify against the bundle', async () => {
    const ok = await probe('tls1.2', ['-verify_return_error']);
    expect(ok.protocol).toBe('TLSv1.2');
    expect(ok.verifyCode).toBe(0);
    expect(ok.cipher).toMatch(/^ECDHE-RSA-AES(128|256)-GCM/);
    expect((await probe('tls1.2', ['-tls1_3'])).protocol).toBeNull();
    expect((await probe('tls1.2', ['-tls1_1', ...LEGACY])).protocol).toBeNull();
  });

  it('tls1.3 control: TLS 1.3 only, chain and hostname verify, recipient domain verifies too', async () => {
    const ok = await probe('tls1.3', ['-verify_return_error']);
    expect(ok.protocol).toBe('TLSv1.3');
    expect(ok.verifyCode).toBe(0);
    const byDomain = await probe('tls1.3', ['-verify_return_error', '-verify_hostname', 'tls1.3.badmx.test'], false);
    expect(byDomain.verifyCode).toBe(0);
    expect((await probe('tls1.3', ['-tls1_2'])).protocol).toBeNull();
  });
});

describe('certificate profiles (TLS 1.2 or later, otherwise correct)', () => {
  it('self-signed: the leaf is its own issuer', async () => {
    const result = await probe('self-signed', ['-showcerts']);
    expect(result.protocol).toMatch(/TLSv1\.[23]/);
    expect(result.verifyCode).toBe(18);
    expect(result.output).toMatch(/self-signed certificate/);
    expect(result.certificatesSent).toBe(1);
  });

  it('expired: verification fails with "certificate has expired", and a verifying client aborts', async () => {
    const result = await probe('expired');
    expect(result.verifyCode).toBe(10);
    expect(result.output).toMatch(/certificate has expired/);
    await probe('expired', ['-verify_return_error', '-name', 'strict.expired.client']);
    const helo = await waitForEvent(fleet, (e) => e.type === 'helo' && e.name === 'strict.expired.client');
    const failed = await waitForEvent(fleet, (e) => e.type === 'tls-failed' && e.conn === helo.conn);
    expect(failed).toMatchObject({ origin: 'client', alert: 'certificate_expired' });
  });

  it('not-yet-valid: verification fails with "certificate is not yet valid"', async () => {
    const result = await probe('not-yet-valid');
    expect(result.verifyCode).toBe(9);
    expect(result.output).toMatch(/certificate is not yet valid/);
  });

  it('wrong-host: the chain verifies, but neither the MX hostname nor the recipient domain matches', async () => {
    const chainOnly = await probe('wrong-host', [], false);
    expect(chainOnly.verifyCode).toBe(0);
    const mx = await probe('wrong-host');
    expect(mx.verifyCode).toBe(62);
    expect(mx.output).toMatch(/hostname mismatch/);
    const domain = await probe('wrong-host', ['-verify_hostname', 'wrong-host.badmx.test'], false);
    expect(domain.verifyCode).toBe(62);
  });

  it('untrusted-root: a complete chain that fails with the bundle', async () => {
    const result = await probe('untrusted-root', ['-showcerts']);
    expect(result.certificatesSent).toBe(2);
    expect(result.verifyCode).toBe(20);
    expect(result.output).toMatch(/unable to get local issuer certificate/);
    expect(result.output).toMatch(/Untrusted Intermediate CA/);
  });

  it('incomplete-chain: exactly one certificate sent; verifies once the intermediate is supplied', async () => {
    const result = await probe('incomplete-chain', ['-showcerts']);
    expect(result.certificatesSent).toBe(1);
    expect(result.verifyCode).toBe(21);
    expect(result.output).toMatch(/unable to verify the first certificate/);
    // With the missing intermediate supplied by the client, the same leaf verifies: only the chain is wrong.
    const both = join(mkdtempSync(join(tmpdir(), 'badmx-ca-')), 'root-and-intermediate.pem');
    writeFileSync(both, readFileSync(fleet.caFile, 'utf8') + readFileSync(join(fleet.pki.dir, 'intermediate.crt.pem'), 'utf8'));
    const withIntermediate = await probe('incomplete-chain', ['-CAfile', both]);
    expect(withIntermediate.verifyCode).toBe(0);
  });

  it('sha1-signature: rejected at the default security level, otherwise valid', async () => {
    const result = await probe('sha1-signature', ['-showcerts']);
    expect(result.verifyCode).toBe(68);
    expect(result.output).toMatch(/CA signature digest algorithm too weak/);
    const lenient = await probe('sha1-signature', ['-auth_level', '0', ...LEGACY]);
    expect(lenient.verifyCode).toBe(0);
  });

  it('every controlled profile serves leaf + intermediate', async () => {
    for (const name of ['tls1.2', 'expired', 'wrong-host', 'sha1-signature']) {
      expect((await probe(name, ['-showcerts'])).certificatesSent, name).toBe(2);
    }
  });
});
