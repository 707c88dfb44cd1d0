/**
 * TLS client fingerprints of a parsed ClientHello: JA3 (Salesforce, 2017) and JA4 (FoxIO,
 * technical_details/JA4.md in github.com/FoxIO-LLC/ja4; JA4 is BSD-3-Clause, the rest of
 * JA4+ is not and is not implemented here). Both are computed from the {@link ClientHello}
 * data alone, so a saved run.json can be fingerprinted again.
 */
import { createHash } from 'node:crypto';
import type { ClientHello, TlsCode } from './client-hello.js';
import { tlsVersionCode } from './tls-registry.js';

/** JA3: the fingerprint string and its MD5. */
export interface Ja3 {
  /** SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats: decimal, each list dash-joined, GREASE removed. */
  full: string;
  /** MD5 of {@link Ja3.full}, 32 lower-case hex digits. */
  hash: string;
}

function real(list: readonly TlsCode[]): number[] {
  return list.filter((c) => !c.grease).map((c) => c.code);
}

/**
 * JA3 as Salesforce's reference ja3.py and Wireshark (tls.handshake.ja3_full) compute it:
 * the ClientHello's legacy_version, cipher suites, extension types, supported groups and EC
 * point formats, in the client's order, GREASE values (RFC 8701) left out.
 */
export function ja3(hello: ClientHello): Ja3 {
  const full = [
    String(tlsVersionCode(hello.legacyVersion) ?? 0),
    real(hello.cipherSuites).join('-'),
    real(hello.extensions).join('-'),
    real(hello.supportedGroups).join('-'),
    hello.ecPointFormats.join('-'),
  ].join(',');
  return { full, hash: createHash('md5').update(full).digest('hex') };
}

/** JA4 and its raw and original-order forms, with FoxIO's names for them. */
export interface Ja4 {
  /** JA4: sorted cipher and extension lists, hashed (e.g. t13d1516h2_8daaf6152771_e5627efa2ab1). */
  ja4: string;
  /** JA4_r: the same, the lists written out instead of hashed. */
  raw: string;
  /** JA4_o: the lists in the client's order, SNI and ALPN kept among the extensions, hashed. */
  original: string;
  /** JA4_ro: the lists in the client's order, written out. */
  rawOriginal: string;
}

/** JA4's first character: TLS over TCP, QUIC, DTLS. */
export type Ja4Transport = 't' | 'q' | 'd';

const JA4_VERSIONS: ReadonlyMap<number, string> = new Map([
  [0x0304, '13'],
  [0x0303, '12'],
  [0x0302, '11'],
  [0x0301, '10'],
  [0x0300, 's3'],
  [0x0002, 's2'],
  [0xfeff, 'd1'],
  [0xfefd, 'd2'],
  [0xfefc, 'd3'],
]);

const EXT_SERVER_NAME = 0x0000;
const EXT_ALPN = 0x0010;
const EXT_SUPPORTED_VERSIONS = 0x002b;
const EMPTY_HASH = '000000000000';

function hex4(n: number): string {
  return n.toString(16).padStart(4, '0');
}

/** sha256, first 12 hex digits; JA4.md: 000000000000 for an empty list rather than a hash of nothing. */
function hash12(s: string): string {
  return s === '' ? EMPTY_HASH : createHash('sha256').update(s).digest('hex').slice(0, 12);
}

/** JA4.md "TLS and DTLS Version": the highest non-GREASE supported_versions value when the extension is there, else legacy_version. */
function ja4Version(hello: ClientHello): string {
  let version: number | null;
  if (hello.extensions.some((e) => e.code === EXT_SUPPORTED_VERSIONS)) {
    const offered = real(hello.supportedVersions ?? []);
    version = offered.length === 0 ? null : Math.max(...offered);
  } else {
    version = tlsVersionCode(hello.legacyVersion);
  }
  return (version === null ? undefined : JA4_VERSIONS.get(version)) ?? '00';
}

function isAlphanumeric(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
}

/**
 * JA4.md "ALPN Extension Value": the first and last characters of the first ALPN value, 00
 * when there is none or it is empty. When its first or last byte is not an ASCII letter or
 * digit, the first and last characters of the value's hex instead (0x30 0xAB gives "3b").
 *
 * FoxIO's own Python and Rust implementations (as of commit 0e54bc8) predate that rule and
 * print "99" for a non-ASCII first byte; the specification is followed here.
 */
export function ja4Alpn(first: string | undefined): string {
  if (first === undefined || first.length === 0) return '00';
  const bytes = [...first].map((c) => c.charCodeAt(0) & 0xff);
  const a = bytes[0] ?? 0;
  const z = bytes[bytes.length - 1] ?? 0;
  if (isAlphanumeric(a) && isAlphanumeric(z)) return String.fromCharCode(a, z);
  const hex = bytes.map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex[0] ?? '0'}${hex[hex.length - 1] ?? '0'}`;
}

function count2(n: number): string {
  return String(Math.min(n, 99)).padStart(2, '0');
}

/**
 * JA4 of a ClientHello, per FoxIO's technical_details/JA4.md: GREASE ignored everywhere;
 * SNI "d" when the server_name extension is present, else "i"; 2-digit counts of cipher
 * suites and extensions capped at 99 (signalling suites counted, SNI and ALPN counted); the
 * ALPN characters ({@link ja4Alpn}); then sha256 (12 hex digits) of the cipher suites sorted,
 * and of the extensions sorted without SNI and ALPN, followed by "_" and the signature
 * algorithms in the client's order when there are any.
 */
export function ja4(hello: ClientHello, transport: Ja4Transport = 't'): Ja4 {
  const ciphers = real(hello.cipherSuites);
  const extensions = real(hello.extensions);
  const sigs = real(hello.signatureAlgorithms).map(hex4).join(',');
  const sni = extensions.includes(EXT_SERVER_NAME) ? 'd' : 'i';
  const a = `${transport}${ja4Version(hello)}${sni}${count2(ciphers.length)}${count2(extensions.length)}${ja4Alpn(hello.alpn[0])}`;

  const withSigs = (exts: string): string => (exts === '' ? '' : sigs === '' ? exts : `${exts}_${sigs}`);
  const sortedCiphers = [...ciphers].sort((x, y) => x - y).map(hex4).join(',');
  const sortedExts = withSigs(
    extensions
      .filter((e) => e !== EXT_SERVER_NAME && e !== EXT_ALPN)
      .sort((x, y) => x - y)
      .map(hex4)
      .join(','),
  );
  const originalCiphers = ciphers.map(hex4).join(',');
  const originalExts = withSigs(extensions.map(hex4).join(','));
  return {
    ja4: `${a}_${hash12(sortedCiphers)}_${hash12(sortedExts)}`,
    raw: `${a}_${sortedCiphers}_${sortedExts}`,
    original: `${a}_${hash12(originalCiphers)}_${hash12(originalExts)}`,
    rawOriginal: `${a}_${originalCiphers}_${originalExts}`,
  };
}
