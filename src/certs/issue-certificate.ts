import { generateKeyPair, randomBytes, webcrypto } from 'node:crypto';
import { promisify } from 'node:util';
// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata polyfill loaded first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import type { CertSpec } from './cert-plan.js';

/**
 * Issues one certificate of the test PKI.
 *
 * Why @peculiar/x509 and not `selfsigned`: selfsigned cannot write the Subject and
 * Authority Key Identifier extensions, which RFC 5280 §4.2.1.1/§4.2.1.2 require of CA
 * certificates and of every certificate a CA issues, and which strict verifiers enforce
 * (Python >= 3.13 turns on VERIFY_X509_STRICT by default and rejects a chain without
 * them). A control profile must be correct in every respect except the one under test,
 * so the PKI is built with the library selfsigned itself uses underneath.
 */

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKey = webcrypto.CryptoKey;

const subtle = webcrypto.subtle;
const generateKeyPairAsync = promisify(generateKeyPair);

/** RSA for every key: the TLS 1.0/1.1 profiles offer static-RSA suites, which need an RSA key. */
export const KEY_BITS = 2048;

export interface KeyMaterial {
  /** PKCS#8 PEM. */
  privateKeyPem: string;
  /** SPKI PEM. */
  publicKeyPem: string;
}

export interface IssuedCertificate {
  certPem: string;
  keyPem: string;
  notBefore: Date;
  notAfter: Date;
  /** SHA-256 fingerprint, hex. */
  fingerprint: string;
}

export interface Issuer {
  spec: CertSpec;
  certPem: string;
  keyPem: string;
}

/** Generates an RSA key pair off the main thread (libuv pool), so many can be made at once. */
export async function generateKey(bits: number = KEY_BITS): Promise<KeyMaterial> {
  const { privateKey, publicKey } = await generateKeyPairAsync('rsa', {
    modulusLength: bits,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

const DAY_MS = 86_400_000;

export async function issueCertificate(
  spec: CertSpec,
  key: KeyMaterial,
  issuer: Issuer | null,
  now: Date,
): Promise<IssuedCertificate> {
  const hash = spec.signature === 'sha1' ? 'SHA-1' : 'SHA-256';
  const algorithm = { name: 'RSASSA-PKCS1-v1_5', hash };
  const publicKey = await importPublic(key.publicKeyPem);
  // WebCrypto binds the digest to the key, so the signing key is imported with the digest this certificate is signed with.
  const signingKey = await importPrivate(issuer ? issuer.keyPem : key.privateKeyPem, hash);
  const issuerPublic = issuer ? await importPublic(new x509.X509Certificate(issuer.certPem).publicKey.toString('pem')) : publicKey;

  const extensions: x509.Extension[] = spec.ca
    ? [
        new x509.BasicConstraintsExtension(true, spec.issuer === 'self' ? 1 : 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      ]
    : [
        new x509.BasicConstraintsExtension(false, undefined, true),
        // keyEncipherment: static-RSA key exchange (TLS 1.0/1.1 profiles); digitalSignature: (EC)DHE and TLS 1.3.
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        // RFC 5280 §4.2.1.12: an EKU without id-kp-serverAuth restricts the key to other purposes (the wrong-eku profile).
        new x509.ExtendedKeyUsageExtension([spec.eku === 'client-auth-only' ? x509.ExtendedKeyUsage.clientAuth : x509.ExtendedKeyUsage.serverAuth]),
        // No subjectAltName at all for a CN-only leaf (the no-san profile): the name is in the subject CN alone.
        ...(spec.san === 'none' ? [] : [new x509.SubjectAlternativeNameExtension(spec.dnsNames.map((value) => ({ type: 'dns' as const, value })))]),
        // RFC 5280 §4.2.1.13: where the issuer's CRL is (a revoked leaf's, which that CRL lists).
        ...(spec.crlUrl ? [new x509.CRLDistributionPointsExtension([spec.crlUrl])] : []),
      ];
  extensions.push(await x509.SubjectKeyIdentifierExtension.create(publicKey));
  if (issuer) extensions.push(await x509.AuthorityKeyIdentifierExtension.create(issuerPublic));

  const notBefore = new Date(now.getTime() + spec.validity.notBeforeDays * DAY_MS);
  const notAfter = new Date(now.getTime() + spec.validity.notAfterDays * DAY_MS);
  const subject: x509.JsonName = [{ CN: [spec.commonName] }, { O: ['badmx test PKI'] }];
  const serialNumber = serial();

  const cert = issuer
    ? await x509.X509CertificateGenerator.create({
        serialNumber,
        subject,
        issuer: new x509.X509Certificate(issuer.certPem).subject,
        notBefore,
        notAfter,
        signingAlgorithm: algorithm,
        publicKey,
        signingKey,
        extensions,
      })
    : await x509.X509CertificateGenerator.createSelfSigned({
        serialNumber,
        name: subject,
        notBefore,
        notAfter,
        signingAlgorithm: algorithm,
        keys: { publicKey, privateKey: signingKey },
        extensions,
      });

  const fingerprint = Buffer.from(await cert.getThumbprint('SHA-256')).toString('hex');
  return { certPem: `${cert.toString('pem').trimEnd()}\n`, keyPem: key.privateKeyPem, notBefore, notAfter, fingerprint };
}

/** A positive serial number of 128 random bits (RFC 5280 §4.1.2.2: at most 20 octets, positive). */
function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}

async function importPublic(pem: string): Promise<CryptoKey> {
  return (await subtle.importKey('spki', pemBody(pem), { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, true, [
    'verify',
  ]));
}

async function importPrivate(pem: string, hash: string): Promise<CryptoKey> {
  return (await subtle.importKey('pkcs8', pemBody(pem), { name: 'RSASSA-PKCS1-v1_5', hash }, false, ['sign']));
}

function pemBody(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}
