import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BadmxError } from '../../src/errors.js';
import { loadUserCertificate, type LoadUserCertificateOptions, type UserCertificateFiles } from '../../src/certs/user-certificate.js';
import { UserPki, type Issued } from '../helpers/user-pki.js';

const ZONE = 'badmx.example.com';
const DAY = 86_400_000;
const pki = new UserPki();
let root: Issued;
let intermediate: Issued;
let leaf: Issued;
let roots: string[];

beforeAll(async () => {
  root = await pki.root();
  intermediate = await pki.issue(root, { ca: true, cn: 'Stand-in Intermediate' });
  leaf = await pki.issue(intermediate, { names: [`*.${ZONE}`, ZONE] });
  roots = [root.pem];
});

function load(files: UserCertificateFiles, options: LoadUserCertificateOptions = {}) {
  return loadUserCertificate(files, { roots, ...options });
}

function loadError(files: UserCertificateFiles, options: LoadUserCertificateOptions = {}): string {
  try {
    load(files, options);
  } catch (error) {
    expect(error).toBeInstanceOf(BadmxError);
    expect((error as BadmxError).code).toBe('EINPUT');
    const message = (error as BadmxError).message;
    expect(message.split('\n')).toHaveLength(1);
    return message;
  }
  throw new Error('loaded');
}

describe('loading the user certificate', () => {
  it('reads leaf + intermediate, its DNS-IDs, key type and that it chains to the trusted root', () => {
    const chain = pki.file('chain.pem', leaf.pem, intermediate.pem);
    const cert = load({ cert: chain, key: leaf.key });
    expect(cert.chainLength).toBe(2);
    expect(cert.dnsNames).toEqual([`*.${ZONE}`, ZONE]);
    expect(cert.namesFromCommonName).toBe(false);
    expect(cert.keyType).toBe('rsa');
    expect(cert.publiclyTrusted).toBe(true);
    expect(cert.warnings).toEqual([]);
    expect(cert.chainPem).toBe(`${leaf.pem.trim()}\n${intermediate.pem.trim()}\n`);
    expect(cert.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });

  it('a chain that does not end at a trusted root loads, with a warning', () => {
    const cert = loadUserCertificate({ cert: pki.file('chain2.pem', leaf.pem, intermediate.pem), key: leaf.key });
    expect(cert.publiclyTrusted).toBe(false);
    expect(cert.warnings.join('\n')).toMatch(/does not chain to a publicly trusted root/);
  });

  it('uses the CN only when there is no subjectAltName at all, and says so', async () => {
    const noSan = await pki.issue(intermediate, { cn: `*.${ZONE}` });
    const cert = load({ cert: pki.file('nosan.pem', noSan.pem, intermediate.pem), key: noSan.key });
    expect(cert.dnsNames).toEqual([`*.${ZONE}`]);
    expect(cert.namesFromCommonName).toBe(true);
    expect(cert.warnings.join('\n')).toMatch(/no subjectAltName; its CN is used, but senders following RFC 9525 §6\.3 ignore it/);
    // with a SAN, the CN is ignored even when it names something else
    const both = await pki.issue(intermediate, { cn: `cn-only.${ZONE}`, names: [`mx.${ZONE}`] });
    expect(load({ cert: pki.file('both.pem', both.pem, intermediate.pem), key: both.key }).dnsNames).toEqual([`mx.${ZONE}`]);
  });

  it('an ECDSA key is accepted and reported as such', async () => {
    const ec = await pki.issue(intermediate, { names: [`*.${ZONE}`], key: 'ec' });
    expect(load({ cert: pki.file('ec.pem', ec.pem, intermediate.pem), key: ec.key }).keyType).toBe('ec');
  });

  it('a suffix wildcard is not a usable name', async () => {
    const suffix = await pki.issue(intermediate, { names: ['*.com'] });
    const cert = load({ cert: pki.file('suffix.pem', suffix.pem, intermediate.pem), key: suffix.key });
    expect(cert.dnsNames).toEqual([]);
    expect(cert.warnings.join('\n')).toMatch(/names no usable DNS host name: it covers no profile/);
  });

  it('warns when it expires within 7 days', async () => {
    const short = await pki.issue(intermediate, { names: [`*.${ZONE}`], days: 3 });
    const cert = load({ cert: pki.file('short.pem', short.pem, intermediate.pem), key: short.key });
    expect(cert.warnings.join('\n')).toMatch(/expires .* within 7 days/);
  });

  it.each([
    ['a missing certificate file', () => ({ cert: join(pki.dir, 'missing.pem'), key: leaf.key }), /^certificate .*missing\.pem: cannot read it \(no such file\)$/],
    ['a missing key file', () => ({ cert: leaf.cert, key: join(pki.dir, 'missing.key') }), /^key .*missing\.key: cannot read it \(no such file\)$/],
    ['a file with no PEM certificate', () => ({ cert: pki.file('junk.pem', 'hello\n'), key: leaf.key }), /^certificate .*junk\.pem: no PEM certificate in it/],
    [
      'a corrupt PEM block',
      () => ({ cert: pki.file('bad.pem', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'), key: leaf.key }),
      /^certificate .*bad\.pem: certificate 1 is not a valid certificate/,
    ],
    ['a key that is not PEM', () => ({ cert: leaf.cert, key: pki.file('junk.key', 'nope') }), /^key .*junk\.key: not a PEM private key/],
    ['the key of another certificate', () => ({ cert: leaf.cert, key: intermediate.key }), /^key .*: does not belong to the certificate in .* \(their public keys differ\)$/],
    [
      'intermediates before the leaf',
      () => ({ cert: pki.file('reversed.pem', intermediate.pem, leaf.pem), key: leaf.key }),
      /the first certificate is a CA certificate; put the server's own \(leaf\) certificate first/,
    ],
    [
      'an intermediate that did not issue the leaf',
      () => ({ cert: pki.file('wrong-issuer.pem', leaf.pem, root.pem), key: leaf.key }),
      /certificate 2 did not issue certificate 1; order the file leaf first/,
    ],
  ])('%s is one line naming the file', (_what, files, pattern) => {
    expect(loadError(files())).toMatch(pattern);
  });

  it('an expired or not yet valid certificate is refused', () => {
    const files = { cert: pki.file('chain3.pem', leaf.pem, intermediate.pem), key: leaf.key };
    expect(loadError(files, { now: new Date(Date.now() + 40 * DAY) })).toMatch(/^certificate .*chain3\.pem: the certificate expired on \d{4}-.*; renew it$/);
    expect(loadError(files, { now: new Date(Date.now() - 2 * DAY) })).toMatch(/^certificate .*chain3\.pem: the certificate is not valid until \d{4}-/);
  });

  it('an encrypted key says how to decrypt it', async () => {
    const { execa } = await import('execa');
    const encrypted = join(pki.dir, 'encrypted.key');
    await execa('openssl', ['pkey', '-in', leaf.key, '-aes256', '-passout', 'pass:secret', '-out', encrypted]);
    expect(readFileSync(encrypted, 'utf8')).toMatch(/ENCRYPTED/);
    expect(loadError({ cert: leaf.cert, key: encrypted })).toMatch(/the private key is encrypted; give an unencrypted PEM key/);
  });
});
