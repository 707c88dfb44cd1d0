import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { inject, describe, expect, it } from 'vitest';
import { ensurePki } from '../../src/certs/pki.js';
import { selectProfiles } from '../../src/profiles/catalogue.js';
import { studyProfiles } from '../helpers/study.js';

const profiles = studyProfiles();
const certsDir = inject('certsDir');

function pemCerts(file: string): X509Certificate[] {
  return (readFileSync(file, 'utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map(
    (pem) => new X509Certificate(pem),
  );
}

describe('test PKI', () => {
  it('the CA bundle holds the root only', async () => {
    const pki = await ensurePki({ dir: certsDir, zone: 'badmx.test', profiles });
    const bundle = pemCerts(pki.caFile);
    expect(bundle).toHaveLength(1);
    expect(bundle[0]?.subject).toContain('badmx Test Root CA');
    expect(bundle[0]?.ca).toBe(true);
    expect(bundle[0]?.issuer).toBe(bundle[0]?.subject);
  });

  it('reuses a valid cached PKI without generating anything', async () => {
    const pki = await ensurePki({ dir: certsDir, zone: 'badmx.test', profiles });
    expect(pki.generated).toEqual([]);
  });

  it('private keys are mode 0600, certificates are readable', () => {
    for (const id of ['root', 'intermediate', 'leaf-tls1.2']) {
      expect(statSync(join(certsDir, `${id}.key.pem`)).mode & 0o777).toBe(0o600);
      expect(statSync(join(certsDir, `${id}.crt.pem`)).mode & 0o777).toBe(0o644);
    }
  });

  it('every certificate carries the key identifiers RFC 5280 requires, and the leaves the MX names', async () => {
    const text = (await execa('openssl', ['x509', '-noout', '-text', '-in', join(certsDir, 'leaf-tls1.2.crt.pem')])).stdout;
    expect(text).toMatch(/Authority Key Identifier/);
    expect(text).toMatch(/Subject Key Identifier/);
    expect(text).toMatch(/DNS:mx\.tls1\.2\.badmx\.test, DNS:tls1\.2\.badmx\.test/);
    expect(text).toMatch(/TLS Web Server Authentication/);
    const sha1 = (await execa('openssl', ['x509', '-noout', '-text', '-in', join(certsDir, 'leaf-sha1-signature.crt.pem')])).stdout;
    expect(sha1).toMatch(/Signature Algorithm: sha1WithRSAEncryption/);
    const wrong = (await execa('openssl', ['x509', '-noout', '-text', '-in', join(certsDir, 'leaf-wrong-host.crt.pem')])).stdout;
    expect(wrong).not.toMatch(/wrong-host\.badmx\.test/);
  });

  it('regenerates only what a changed spec touches, and everything when the zone changes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'badmx-pki-'));
    const few = selectProfiles(profiles, ['tls1.2', 'expired']);
    const first = await ensurePki({ dir, zone: 'badmx.test', profiles: few });
    expect(first.generated.sort()).toEqual(['intermediate', 'leaf-expired', 'leaf-tls1.2', 'root', 'untrusted-intermediate', 'untrusted-root']);
    const tls12 = few.find((p) => p.name === 'tls1.2')!;
    const changed = [{ ...tls12, certificate: { ...tls12.certificate, signature: 'sha1' as const } }, few[1]!];
    expect((await ensurePki({ dir, zone: 'badmx.test', profiles: changed })).generated).toEqual(['leaf-tls1.2']);
    const moved = await ensurePki({ dir, zone: 'other.test', profiles: changed });
    expect(moved.generated).toHaveLength(6);
    expect(readFileSync(join(dir, 'chains', 'tls1.2.pem'), 'utf8')).toBe(moved.credentials.get('tls1.2')?.chainPem);
  });

  it('regenerates certificates whose validity runs low, and keeps the CAs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'badmx-pki-'));
    const few = selectProfiles(profiles, ['tls1.2', 'expired', 'not-yet-valid']);
    await ensurePki({ dir, zone: 'badmx.test', profiles: few });
    const later = new Date(Date.now() + 380 * 86_400_000);
    const renewed = await ensurePki({ dir, zone: 'badmx.test', profiles: few, now: later });
    expect(renewed.generated).toEqual(['leaf-tls1.2']);
    const leaf = pemCerts(join(dir, 'leaf-tls1.2.crt.pem'))[0]!;
    expect(Date.parse(leaf.validTo)).toBeGreaterThan(later.getTime() + 300 * 86_400_000);
    const muchLater = new Date(Date.now() + 5 * 365 * 86_400_000);
    expect((await ensurePki({ dir, zone: 'badmx.test', profiles: few, now: muchLater })).generated).toContain('leaf-not-yet-valid');
  });

  it('regenerates a certificate whose files were tampered with', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'badmx-pki-'));
    const few = selectProfiles(profiles, ['tls1.3']);
    await ensurePki({ dir, zone: 'badmx.test', profiles: few });
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'leaf-tls1.3.key.pem'), readFileSync(join(dir, 'root.key.pem')));
    expect((await ensurePki({ dir, zone: 'badmx.test', profiles: few })).generated).toEqual(['leaf-tls1.3']);
  });
});
