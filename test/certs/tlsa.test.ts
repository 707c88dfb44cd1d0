import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { tlsaAssociation } from '../../src/certs/tlsa.js';

/**
 * TLSA association data (RFC 6698 §2.1) for the test PKI's certificates, checked against what the
 * openssl command line computes from the same files: the SubjectPublicKeyInfo or the whole
 * certificate in DER, hashed with SHA-256 or SHA-512.
 */

const openssl = (args: string[], input?: Buffer): Buffer => execFileSync('openssl', args, { input: input ?? Buffer.alloc(0) });

describe('TLSA association data', () => {
  const files = ['intermediate.crt.pem', 'root.crt.pem'].map((name) => join(inject('certsDir'), name));

  it.each(files)('%s: 3 1 1 / 2 1 1 (SPKI, SHA-256), 3 0 1 (certificate, SHA-256), 3 1 2 (SPKI, SHA-512), as openssl computes them', (file) => {
    const pem = readFileSync(file, 'utf8');
    const spki = openssl(['pkey', '-pubin', '-outform', 'DER'], openssl(['x509', '-noout', '-pubkey', '-in', file]));
    const der = openssl(['x509', '-outform', 'DER', '-in', file]);
    const digest = (algorithm: string, data: Buffer): string => openssl(['dgst', `-${algorithm}`, '-binary'], data).toString('hex');
    expect(tlsaAssociation(pem, 1, 1).toString('hex')).toBe(digest('sha256', spki));
    expect(tlsaAssociation(pem, 0, 1).toString('hex')).toBe(digest('sha256', der));
    expect(tlsaAssociation(pem, 1, 2).toString('hex')).toBe(digest('sha512', spki));
    expect(tlsaAssociation(pem, 1, 0).equals(spki)).toBe(true);
    expect(tlsaAssociation(pem, 0, 0).equals(der)).toBe(true);
  });
});
