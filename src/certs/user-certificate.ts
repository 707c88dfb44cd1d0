import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { rootCertificates } from 'node:tls';
// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata polyfill loaded first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { BadmxError } from '../errors.js';
import { READ_LIMITS, ReadBoundedError, readBounded } from '../files/read-bounded.js';
import { usableIdentifier } from './name-coverage.js';

/**
 * The operator's own certificate (`--cert`/`--key`, or `{ cert, key }` from a config
 * file): in public mode, a vendor's servers trust only publicly trusted certificates, so
 * the profiles whose certificate must be valid serve this one instead of the generated
 * test PKI's. Everything that would make it silently useless is checked when it is
 * loaded, and each problem is one line naming the file.
 */

/** Warn when the certificate ends this soon: a run that outlives it would turn every control into a certificate fault. */
export const EXPIRY_WARNING_MS = 7 * 86_400_000;

export interface UserCertificateFiles {
  /** PEM: the leaf first, then its intermediates in order (what the receiver sends, RFC 8446 §4.4.2). */
  cert: string;
  /** PEM private key of the leaf, unencrypted. */
  key: string;
}

export interface UserCertificate {
  certFile: string;
  keyFile: string;
  /** The PEM chain as it is served: leaf first. */
  chainPem: string;
  keyPem: string;
  chainLength: number;
  /** `rsa`, `ec`, `ed25519`, ...: decides which cipher suites below TLS 1.3 can use it. */
  keyType: string;
  /** The reference identifiers it presents (RFC 6125 §6.4.4): its dNSName SANs, or its CN when it has no SAN. */
  dnsNames: string[];
  /** True when `dnsNames` is the subject CN because the certificate has no subjectAltName. */
  namesFromCommonName: boolean;
  notBefore: Date;
  notAfter: Date;
  subject: string;
  issuer: string;
  /** Whether the chain ends at a root of the trust store it was checked against (Node's Mozilla bundle by default). */
  publiclyTrusted: boolean;
  /** Things to say up front that do not stop a run. */
  warnings: string[];
}

export interface LoadUserCertificateOptions {
  now?: Date;
  /** Trust anchors (PEM) for `publiclyTrusted`; Node's bundled Mozilla roots by default. */
  roots?: readonly string[];
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[^-]*-----END CERTIFICATE-----/g;

export function loadUserCertificate(files: UserCertificateFiles, options: LoadUserCertificateOptions = {}): UserCertificate {
  const now = options.now ?? new Date();
  const certText = readInput(files.cert, 'certificate');
  const keyText = readInput(files.key, 'key');
  const where = `certificate ${files.cert}`;

  const blocks = certText.match(PEM_CERT) ?? [];
  if (blocks.length === 0) throw input(`${where}: no PEM certificate in it (expected "-----BEGIN CERTIFICATE-----" blocks, leaf first)`);
  const chain = blocks.map((pem, i) => {
    try {
      return new X509Certificate(pem);
    } catch (error) {
      throw input(`${where}: certificate ${i + 1} is not a valid certificate (${(error as Error).message})`);
    }
  });
  const leaf = chain[0] as X509Certificate;
  if (leaf.ca) throw input(`${where}: the first certificate is a CA certificate; put the server's own (leaf) certificate first, then its intermediates`);
  // Each certificate must be issued by the next: that is the order a receiver must send them in (RFC 8446 §4.4.2, RFC 5246 §7.4.2).
  for (let i = 0; i + 1 < chain.length; i++) {
    const child = chain[i] as X509Certificate;
    const parent = chain[i + 1] as X509Certificate;
    if (!child.checkIssued(parent) || !child.verify(parent.publicKey)) {
      throw input(`${where}: certificate ${i + 2} did not issue certificate ${i + 1}; order the file leaf first, then each issuer in turn`);
    }
  }

  // A receiver starts unattended: there is nobody to type a passphrase (PKCS#8 or legacy OpenSSL encryption).
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|^Proc-Type: 4,ENCRYPTED/m.test(keyText)) {
    throw input(`key ${files.key}: the private key is encrypted; give an unencrypted PEM key (openssl pkey -in key.pem -out plain.pem)`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(keyText);
  } catch (error) {
    throw input(`key ${files.key}: not a PEM private key (${(error as Error).message})`);
  }
  // Compare public keys rather than trust a signature check alone: the key served must be the leaf's.
  const spki = (k: KeyObject): Buffer => k.export({ type: 'spki', format: 'der' });
  if (!spki(createPublicKey(key)).equals(spki(leaf.publicKey))) {
    throw input(`key ${files.key}: does not belong to the certificate in ${files.cert} (their public keys differ)`);
  }

  const t = now.getTime();
  for (const [i, cert] of chain.entries()) {
    const which = i === 0 ? 'the certificate' : `intermediate ${i + 1}`;
    const notBefore = Date.parse(cert.validFrom);
    const notAfter = Date.parse(cert.validTo);
    if (notAfter < t) throw input(`${where}: ${which} expired on ${new Date(notAfter).toISOString()}; renew it`);
    if (notBefore > t) throw input(`${where}: ${which} is not valid until ${new Date(notBefore).toISOString()}`);
  }

  const notBefore = new Date(Date.parse(leaf.validFrom));
  const notAfter = new Date(Date.parse(leaf.validTo));
  const { dnsNames, fromCommonName } = presentedNames(blocks[0] as string);
  const publiclyTrusted = chainsToRoot(chain, options.roots ?? rootCertificates);
  const warnings: string[] = [];
  if (notAfter.getTime() - t < EXPIRY_WARNING_MS) {
    warnings.push(`certificate ${files.cert} expires ${notAfter.toISOString()}, within 7 days: renew it before a run that outlasts it`);
  }
  if (fromCommonName) {
    warnings.push(`certificate ${files.cert} has no subjectAltName; its CN is used, but senders following RFC 9525 §6.3 ignore it`);
  }
  if (dnsNames.length === 0) warnings.push(`certificate ${files.cert} names no usable DNS host name: it covers no profile`);
  if (!publiclyTrusted) {
    warnings.push(`certificate ${files.cert} does not chain to a publicly trusted root (Node's Mozilla bundle): vendors will not trust it`);
  }

  return {
    certFile: files.cert,
    keyFile: files.key,
    chainPem: blocks.map((pem) => `${pem}\n`).join(''),
    keyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
    chainLength: chain.length,
    keyType: leaf.publicKey.asymmetricKeyType ?? 'unknown',
    dnsNames,
    namesFromCommonName: fromCommonName,
    notBefore,
    notAfter,
    subject: leaf.subject.replaceAll('\n', ', '),
    issuer: leaf.issuer.replaceAll('\n', ', '),
    publiclyTrusted,
    warnings,
  };
}

/** RFC 6125 §6.4.4: DNS-IDs from the subjectAltName; the CN only when there is no subjectAltName at all. */
function presentedNames(pem: string): { dnsNames: string[]; fromCommonName: boolean } {
  const cert = new x509.X509Certificate(pem);
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  if (san) {
    const dns = san.names.items.filter((name) => name.type === 'dns').map((name) => name.value);
    return { dnsNames: dns.filter(usableIdentifier), fromCommonName: false };
  }
  const cn = cert.subjectName.getField('CN');
  return { dnsNames: cn.filter(usableIdentifier), fromCommonName: cn.length > 0 };
}

/** Whether the last certificate of the chain is a trust anchor, or is issued (and signed) by one. */
function chainsToRoot(chain: X509Certificate[], roots: readonly string[]): boolean {
  const last = chain[chain.length - 1] as X509Certificate;
  return roots.some((pem) => {
    try {
      const root = new X509Certificate(pem);
      if (root.fingerprint256 === last.fingerprint256) return true;
      return last.checkIssued(root) && last.verify(root.publicKey);
    } catch {
      return false;
    }
  });
}

/** A PEM file, at most READ_LIMITS.pem (1 MiB) of it and only a regular file: a path to /dev/zero is an error, not a process that grows without end. */
function readInput(file: string, what: 'certificate' | 'key'): string {
  try {
    return readBounded(file, READ_LIMITS.pem);
  } catch (error) {
    if (!(error instanceof ReadBoundedError)) throw error;
    throw input(`${what} ${file}: cannot read it (${error.reason})`);
  }
}

function input(message: string): BadmxError {
  return new BadmxError(message, 'EINPUT');
}
