import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sClient } from '../helpers/openssl.js';
import { startTestFleet, waitForEvent, type TestFleet } from '../helpers/fleet.js';
import { harnessZone } from '../../src/run/harness-zone.js';
import { testNet } from '../helpers/net-plan.js';

/**
 * The revoked profile (weak-crypto suite, issue 18), proven by clients that are not badmx's:
 * OpenSSL's s_client sees the stapled OCSP response say "revoked" and the chain otherwise
 * verify; curl fetches the CRL from the URL the leaf names, from the harness's own CRL host;
 * `openssl verify -crl_check` with that CRL says "certificate revoked" (23); `openssl ocsp`
 * verifies the stapled response's signature against the test root; Python's ssl (smtplib)
 * refuses the receiver with the CRL loaded and delivers without it.
 *
 * Addresses 127.0.212.x; the CRL host on port 10080 (tests run without root: not 80).
 */

const CRL_PORT = 10080;
let fleet: TestFleet;
let dir: string;

beforeAll(async () => {
  fleet = await startTestFleet({ addressBase: testNet('receivers/revoked-openssl').base, profiles: ['tls1.2', 'revoked'], crlPort: CRL_PORT });
  dir = mkdtempSync(join(tmpdir(), 'badmx-revoked-'));
});
afterAll(async () => {
  await fleet?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function leafPem(): string {
  const chain = fleet.pki.credentials.get('revoked')?.chainPem ?? '';
  return `${chain.split('-----END CERTIFICATE-----')[0]}-----END CERTIFICATE-----\n`;
}

function intermediatePem(): string {
  return readFileSync(join(fleet.pki.dir, 'intermediate.crt.pem'), 'utf8');
}

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

async function probe(extra: string[] = []) {
  const member = fleet.member('revoked');
  return sClient(member.address, member.port, ['-CAfile', fleet.caFile, '-verify_hostname', member.hostname, ...extra]);
}

/** The CRL, fetched by curl from the URL in the leaf, reaching the harness's CRL host (the URL's port 80 redirected to the test's). */
async function fetchCrl(): Promise<{ url: string; der: Buffer; status: string }> {
  const text = execFileSync('openssl', ['x509', '-noout', '-ext', 'crlDistributionPoints'], { input: leafPem() }).toString();
  const url = /URI:(\S+)/.exec(text)?.[1] ?? '';
  const host = new URL(url).hostname;
  const out = join(dir, 'fetched.crl');
  const result = await execa('curl', ['-sS', '-o', out, '-w', '%{http_code} %{content_type}', '--connect-to', `${host}:80:${fleet.member('revoked').address}:${CRL_PORT}`, url], { reject: false });
  return { url, der: readFileSync(out), status: result.stdout };
}

/** The OCSP response s_client received stapled (TLS 1.2: the CertificateStatus message, RFC 6066 §8), from its -msg dump. */
async function stapledResponse(): Promise<Buffer> {
  const { output } = await probe(['-status', '-tls1_2', '-msg']);
  const lines = output.split('\n');
  const start = lines.findIndex((l) => /CertificateStatus/.test(l));
  const hex: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (!/^ {4}[0-9a-f]{2}( |$)/.test(line)) break;
    hex.push(line.trim().replaceAll(' ', ''));
  }
  // handshake type (1) and length (3), status_type ocsp (1), response length (3): then the DER.
  const message = Buffer.from(hex.join(''), 'hex');
  expect(message[0]).toBe(22);
  expect(message[4]).toBe(1);
  const length = message.readUIntBE(5, 3);
  return message.subarray(8, 8 + length);
}

describe('revoked: a valid certificate its issuer has revoked, as independent clients see it', () => {
  it('the leaf is otherwise valid: trusted chain, the MX host, TLS 1.2 and 1.3 (s_client without revocation checking: verify OK)', async () => {
    for (const version of ['-tls1_2', '-tls1_3']) {
      const result = await probe([version, '-verify_return_error']);
      expect(result.verifyCode, version).toBe(0);
      expect(result.output).toMatch(/Verification: OK/);
    }
    const text = execFileSync('openssl', ['x509', '-noout', '-text'], { input: leafPem() }).toString();
    expect(text).toMatch(/X509v3 CRL Distribution Points:\s+Full Name:\s+URI:http:\/\/crl\.revoked\.badmx\.test\/intermediate\.crl/);
    expect(text).toMatch(/Issuer: CN = badmx Test Intermediate CA/);
  });

  it('s_client -status: the receiver staples an OCSP response, successful, Cert Status revoked, over TLS 1.2 and TLS 1.3; none to a client that does not ask', async () => {
    for (const version of ['-tls1_2', '-tls1_3']) {
      const { output } = await probe(['-status', version]);
      expect(output, version).toMatch(/OCSP Response Status: successful \(0x0\)/);
      expect(output, version).toMatch(/Cert Status: revoked/);
      expect(output, version).toMatch(/Revocation Reason: keyCompromise \(0x1\)/);
    }
    await waitForEvent(fleet, (e) => e.type === 'ocsp-staple' && e.profile === 'revoked' && e.certStatus === 'revoked');
    const before = fleet.events().filter((e) => e.type === 'ocsp-staple').length;
    const plain = await probe(['-status']);
    expect(plain.output).toMatch(/Cert Status: revoked/);
    const unasked = await probe([]);
    expect(unasked.output).not.toMatch(/OCSP Response Status/);
    await waitForEvent(fleet, () => fleet.events().filter((e) => e.type === 'ocsp-staple').length === before + 1);
    // The control staples nothing even when asked.
    const control = fleet.member('tls1.2');
    expect((await sClient(control.address, control.port, ['-status'])).output).toMatch(/OCSP response: no response sent/);
  });

  it('openssl ocsp: the stapled response verifies against the test root (signed by the issuing intermediate) and says revoked', async () => {
    const response = file('staple.der', await stapledResponse());
    const result = await execa(
      'openssl',
      ['ocsp', '-respin', response, '-CAfile', fleet.caFile, '-issuer', file('intermediate.pem', intermediatePem()), '-cert', file('leaf.pem', leafPem()), '-no_nonce'],
      { reject: false, all: true },
    );
    expect(result.all).toMatch(/Response verify OK/);
    expect(result.all).toMatch(/leaf\.pem: revoked/);
    expect(result.all).toMatch(/Reason: keyCompromise/);
  });

  it('curl fetches the CRL the leaf names from the harness (recorded as crl-fetch); openssl verifies its signature, it lists the leaf, and verify -crl_check says "certificate revoked" (23)', async () => {
    const { url, der, status } = await fetchCrl();
    expect(url).toBe('http://crl.revoked.badmx.test/intermediate.crl');
    expect(status).toBe('200 application/pkix-crl');
    const crlPem = file('crl.pem', execFileSync('openssl', ['crl', '-inform', 'DER', '-outform', 'PEM'], { input: der }));
    const crl = await execa('openssl', ['crl', '-in', crlPem, '-noout', '-text', '-CAfile', file('issuer.pem', intermediatePem())], { reject: false, all: true });
    expect(crl.all).toMatch(/verify OK/);
    const serial = execFileSync('openssl', ['x509', '-noout', '-serial'], { input: leafPem() }).toString().trim().replace('serial=', '');
    expect(crl.all).toContain(`Serial Number: ${serial}`);
    expect(crl.all).toMatch(/Key Compromise/);
    expect(crl.all).toMatch(/Issuer: CN = badmx Test Intermediate CA/);

    const leaf = file('leaf.pem', leafPem());
    const untrusted = file('intermediate.pem', intermediatePem());
    const unchecked = await execa('openssl', ['verify', '-CAfile', fleet.caFile, '-untrusted', untrusted, leaf], { reject: false, all: true });
    expect(unchecked.all).toMatch(/: OK$/m);
    const checked = await execa('openssl', ['verify', '-crl_check', '-CAfile', fleet.caFile, '-untrusted', untrusted, '-CRLfile', crlPem, leaf], { reject: false, all: true });
    expect(checked.exitCode).not.toBe(0);
    expect(checked.all).toMatch(/error 23 at 0 depth lookup: certificate revoked/);

    const fetch = await waitForEvent(fleet, (e) => e.type === 'crl-fetch' && e.profile === 'revoked');
    expect(fetch).toMatchObject({ method: 'GET', path: '/intermediate.crl', host: 'crl.revoked.badmx.test', status: 200, bytes: der.length });
    expect(fetch.type === 'crl-fetch' && fetch.userAgent).toMatch(/^curl\//);
  });

  it("Python's smtplib delivers to it without revocation checking, and refuses it with the CRL loaded (VERIFY_CRL_CHECK_LEAF): certificate revoked", async () => {
    const { der } = await fetchCrl();
    const crlPem = file('python-crl.pem', execFileSync('openssl', ['crl', '-inform', 'DER', '-outform', 'PEM'], { input: der }));
    const member = fleet.member('revoked');
    const script = `
import smtplib, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[1])
if sys.argv[2] != '-':
    ctx.load_verify_locations(cafile=sys.argv[2])
    ctx.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF
s = smtplib.SMTP(sys.argv[3], int(sys.argv[4]), local_hostname='python.client.test', timeout=10)
s._host = sys.argv[5]  # the name starttls() verifies: the MX host, not the address connected to
s.ehlo()
try:
    s.starttls(context=ctx)
except ssl.SSLCertVerificationError as e:
    print('REFUSED', e.verify_code, e.verify_message)
    sys.exit(0)
print('TLS', s.sock.version())
s.quit()
`;
    const run = async (crl: string) =>
      (await execa('python3', ['-c', script, fleet.caFile, crl, member.address, String(member.port), member.hostname], { reject: false, all: true })).all ?? '';
    expect(await run('-')).toMatch(/^TLS TLSv1\.[23]$/m);
    expect(await run(crlPem)).toMatch(/^REFUSED 23 certificate revoked$/m);
  });

  it('the harness zone resolves the CRL host to the profile\'s own address', () => {
    const zone = harnessZone({ zone: fleet.zone, members: fleet.members, mailbox: { ...fleet.mailbox } }, testNet('receivers/revoked-openssl').host(253));
    const member = fleet.member('revoked');
    expect(zone.records).toContainEqual({ name: 'crl.revoked.badmx.test', type: 'A', ttl: 60, data: member.address });
    expect(zone.records.filter((r) => r.name.startsWith('crl.'))).toHaveLength(1);
  });
});
