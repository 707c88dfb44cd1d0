import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sClient } from '../helpers/openssl.js';
import { startTestFleet, type TestFleet } from '../helpers/fleet.js';
import { testNet } from '../helpers/net-plan.js';

/**
 * The weak-crypto suite (issue 18), each receiver proven with OpenSSL's own client (not badmx's
 * code): valid in every respect but one, and that one is what s_client sees. Debian's OpenSSL
 * runs at security level 2 by default (/etc/ssl/openssl.cnf), which is itself a sender that
 * refuses the weak key and the weak group; the weakness is then shown at level 0 or 1.
 *
 * Addresses 127.0.208.x.
 */

const PROFILES = ['tls1.2', 'rsa-1024', 'dh-1024', 'static-rsa', 'cbc-only', 'no-san', 'wrong-eku', 'sni-required', 'expired-intermediate'];
let fleet: TestFleet;

beforeAll(async () => {
  fleet = await startTestFleet({ addressBase: testNet('receivers/weak-crypto-openssl').base, profiles: PROFILES });
});
afterAll(async () => {
  await fleet?.stop();
});

async function probe(profile: string, extra: string[] = []) {
  const member = fleet.member(profile);
  return sClient(member.address, member.port, ['-CAfile', fleet.caFile, '-servername', member.hostname, '-verify_hostname', member.hostname, ...extra]);
}

/** The leaf a profile serves, as `openssl x509 -text` prints it. */
function leafText(profile: string, ...options: string[]): string {
  const result = execFileSync('openssl', ['x509', '-noout', '-text', ...options], { input: fleet.pki.credentials.get(profile)?.chainPem ?? '' });
  return result.toString();
}

describe('weak-crypto receivers, as OpenSSL sees them', () => {
  it('rsa-1024: a trusted 1024-bit RSA leaf; refused at security level 2 ("EE certificate key too weak"), verified at level 0', async () => {
    const strict = await probe('rsa-1024', ['-verify_return_error']);
    expect(strict.verifyCode).toBe(66);
    expect(strict.output).toMatch(/EE certificate key too weak/);
    expect(strict.output).toMatch(/certificate verify failed/);
    const lax = await probe('rsa-1024', ['-cipher', 'DEFAULT:@SECLEVEL=0', '-auth_level', '0', '-verify_return_error']);
    expect(lax.verifyCode).toBe(0);
    expect(lax.output).toMatch(/Server public key is 1024 bit/);
    expect(leafText('rsa-1024')).toMatch(/Public-Key: \(1024 bit\)/);
  });

  it('dh-1024: only DHE, over the 1024-bit Oakley Group 2; refused at level 2 ("dh key too small"), negotiated at level 0', async () => {
    const strict = await probe('dh-1024', ['-tls1_2']);
    expect(strict.protocol).toBeNull();
    expect(strict.output).toMatch(/dh key too small/i);
    const lax = await probe('dh-1024', ['-tls1_2', '-cipher', 'DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0', '-verify_return_error']);
    expect(lax.cipher).toBe('DHE-RSA-AES128-GCM-SHA256');
    expect(lax.output).toMatch(/Server Temp Key: DH, 1024 bits/);
    // No elliptic-curve key exchange is offered at all.
    expect((await probe('dh-1024', ['-tls1_2', '-cipher', 'ECDHE-RSA-AES128-GCM-SHA256'])).protocol).toBeNull();
    // And no TLS 1.3 (whose groups are not finite-field here).
    expect((await probe('dh-1024', ['-tls1_3'])).protocol).toBeNull();
  });

  it('static-rsa: TLS 1.2 with RSA key exchange only, no forward secrecy; verifies', async () => {
    const result = await probe('static-rsa', ['-verify_return_error']);
    expect(result.protocol).toBe('TLSv1.2');
    expect(result.cipher).toBe('AES128-GCM-SHA256');
    expect(result.output).not.toMatch(/Server Temp Key/);
    expect((await probe('static-rsa', ['-cipher', 'ECDHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES128-GCM-SHA256'])).protocol).toBeNull();
  });

  it('cbc-only: TLS 1.2, ECDHE with CBC suites only (no AEAD); verifies', async () => {
    const result = await probe('cbc-only', ['-verify_return_error']);
    expect(result.protocol).toBe('TLSv1.2');
    expect(result.cipher).toMatch(/^ECDHE-RSA-AES(128|256)-SHA(256|384)?$/);
    expect((await probe('cbc-only', ['-cipher', 'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305'])).protocol).toBeNull();
  });

  it('no-san: the MX host in the subject CN and no subjectAltName; OpenSSL still matches the CN (RFC 6125 §6.4.4 fallback)', async () => {
    const text = leafText('no-san');
    expect(text).toMatch(/Subject: CN = mx\.no-san\.badmx\.test/);
    expect(text).not.toMatch(/Subject Alternative Name/);
    // OpenSSL's X509_check_host falls back to the CN when there is no DNS subjectAltName: the MX host verifies.
    const result = await probe('no-san', ['-verify_return_error']);
    expect(result.verifyCode).toBe(0);
    expect(result.output).toMatch(/Verified peername: mx\.no-san\.badmx\.test/);
    // The recipient domain is nowhere in it: a sender checking the next-hop domain (Postfix "secure") cannot match.
    const domain = await sClient(fleet.member('no-san').address, fleet.member('no-san').port, ['-CAfile', fleet.caFile, '-verify_hostname', 'no-san.badmx.test', '-verify_return_error']);
    expect(domain.verifyCode).toBe(62);
    expect(domain.output).toMatch(/hostname mismatch/);
  });

  it('wrong-eku: extendedKeyUsage TLS Web Client Authentication only; a verifying client refuses it ("unsuitable certificate purpose", verify error 26)', async () => {
    expect(leafText('wrong-eku')).toMatch(/X509v3 Extended Key Usage: \n\s+TLS Web Client Authentication\n/);
    const result = await probe('wrong-eku', ['-verify_return_error']);
    expect(result.verifyCode).toBe(26);
    expect(result.output).toMatch(/unsuitable certificate purpose/);
    expect(result.output).toMatch(/certificate verify failed/);
  });

  it('sni-required: its own certificate only to a client that names the MX host or the domain by SNI; to any other, a trusted one for other names', async () => {
    const member = fleet.member('sni-required');
    const named = await probe('sni-required', ['-verify_return_error']);
    expect(named.verifyCode).toBe(0);
    expect(named.output).toMatch(/subject=CN = mx\.sni-required\.badmx\.test/);
    const domain = await sClient(member.address, member.port, ['-CAfile', fleet.caFile, '-servername', 'sni-required.badmx.test', '-verify_hostname', 'sni-required.badmx.test', '-verify_return_error']);
    expect(domain.verifyCode).toBe(0);
    const unnamed = await sClient(member.address, member.port, ['-CAfile', fleet.caFile, '-noservername', '-verify_hostname', member.hostname]);
    expect(unnamed.output).toMatch(/subject=CN = mx\.elsewhere\.invalid/);
    // The chain is trusted; only the name is wrong (error 62), as at wrong-host.
    expect(unnamed.verifyCode).toBe(62);
    const other = await sClient(member.address, member.port, ['-CAfile', fleet.caFile, '-servername', 'mx.other.example', '-verify_hostname', member.hostname]);
    expect(other.verifyCode).toBe(62);
  });

  it('expired-intermediate: a current leaf under an intermediate of the trusted root whose validity ended; sent in the chain; "certificate has expired" at depth 1', async () => {
    const result = await probe('expired-intermediate', ['-showcerts']);
    expect(result.certificatesSent).toBe(2);
    expect(result.verifyCode).toBe(10);
    expect(result.output).toMatch(/depth=1 .*badmx Expired Intermediate CA[\s\S]*verify error:num=10:certificate has expired/);
    // The leaf itself is current.
    const leaf = leafText('expired-intermediate', '-dates');
    expect(new Date(/notAfter=(.*)/.exec(leaf)?.[1] ?? 0).getTime()).toBeGreaterThan(Date.now());
  });

  it('the control beside them verifies at level 2, as the study\'s does', async () => {
    const result = await probe('tls1.2', ['-verify_return_error']);
    expect(result.verifyCode).toBe(0);
  });
});
