/**
 * The little DER (X.690) the test PKI writes by hand: what a CRL (RFC 5280 §5) and an OCSP
 * response (RFC 6960 §4.2) are made of, and a reader for the few fields taken from a
 * certificate as it was encoded. Definite lengths only, as DER requires (X.690 §10.1).
 */

export function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** One TLV: the tag octet, the length, the contents. */
export function tlv(tag: number, ...contents: Buffer[]): Buffer {
  const body = Buffer.concat(contents);
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
}

export const sequence = (...items: Buffer[]): Buffer => tlv(0x30, ...items);
/** A context-specific constructed tag: [n] EXPLICIT, or [n] IMPLICIT of a constructed type. */
export const explicit = (n: number, ...items: Buffer[]): Buffer => tlv(0xa0 | n, ...items);
export const octetString = (value: Buffer): Buffer => tlv(0x04, value);
export const derNull = (): Buffer => Buffer.from([0x05, 0x00]);
/** A BIT STRING of whole octets (no unused bits). */
export const bitString = (value: Buffer): Buffer => tlv(0x03, Buffer.from([0]), value);
export const enumerated = (value: number): Buffer => tlv(0x0a, Buffer.from([value]));

/** A non-negative INTEGER from hex (a certificate serial, a CRL number), with the leading zero octet X.690 §8.3.2 needs when the top bit is set. */
export function integer(hex: string): Buffer {
  let value = Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
  while (value.length > 1 && value[0] === 0 && ((value[1] ?? 0) & 0x80) === 0) value = value.subarray(1);
  if (value.length === 0) value = Buffer.from([0]);
  if ((value[0] ?? 0) & 0x80) value = Buffer.concat([Buffer.from([0]), value]);
  return tlv(0x02, value);
}

export function oid(dotted: string): Buffer {
  const [first = 0, second = 0, ...rest] = dotted.split('.').map(Number);
  const octets = [first * 40 + second];
  for (const arc of rest) {
    const base128: number[] = [];
    for (let n = arc; ; n = Math.floor(n / 128)) {
      base128.unshift((n % 128) | (base128.length ? 0x80 : 0));
      if (n < 128) break;
    }
    octets.push(...base128);
  }
  return tlv(0x06, Buffer.from(octets));
}

const two = (n: number): string => String(n).padStart(2, '0');
const clock = (d: Date): string => `${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}${two(d.getUTCHours())}${two(d.getUTCMinutes())}${two(d.getUTCSeconds())}Z`;

/** GeneralizedTime, whole seconds, UTC (RFC 5280 §4.1.2.5.2; RFC 6960 uses it throughout). */
export function generalizedTime(date: Date): Buffer {
  return tlv(0x18, Buffer.from(`${date.getUTCFullYear()}${clock(date)}`, 'ascii'));
}

/** Time as RFC 5280 §5.1.2.4 asks of a CRL: UTCTime through 2049, GeneralizedTime from 2050. */
export function time(date: Date): Buffer {
  const year = date.getUTCFullYear();
  return year < 2050 ? tlv(0x17, Buffer.from(`${two(year % 100)}${clock(date)}`, 'ascii')) : generalizedTime(date);
}

/** One TLV read back: its tag, its whole encoding, and its contents. */
export interface DerElement {
  tag: number;
  encoded: Buffer;
  contents: Buffer;
}

/** The elements of a constructed value's contents, in order. */
export function children(contents: Buffer): DerElement[] {
  const found: DerElement[] = [];
  let at = 0;
  while (at < contents.length) {
    const tag = contents[at] ?? 0;
    let length = contents[at + 1] ?? 0;
    let header = 2;
    if (length & 0x80) {
      const count = length & 0x7f;
      length = 0;
      for (let i = 0; i < count; i++) length = length * 256 + (contents[at + 2 + i] ?? 0);
      header += count;
    }
    if (at + header + length > contents.length) throw new Error('truncated DER');
    found.push({ tag, encoded: contents.subarray(at, at + header + length), contents: contents.subarray(at + header, at + header + length) });
    at += header + length;
  }
  return found;
}

/**
 * A certificate's tbsCertificate fields (RFC 5280 §4.1) as they were encoded: the subject Name
 * and the subjectPublicKey BIT STRING's value, which RFC 6960 §4.1.1 hashes into a CertID.
 */
export function certificateFields(der: Buffer): { subject: Buffer; subjectPublicKey: Buffer } {
  const tbs = children(children(der)[0]?.contents ?? Buffer.alloc(0))[0];
  if (!tbs) throw new Error('not a certificate');
  const fields = children(tbs.contents);
  // [0] version, serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo, ...
  const offset = fields[0]?.tag === 0xa0 ? 1 : 0;
  const subject = fields[offset + 4];
  const spki = fields[offset + 5];
  const bits = spki ? children(spki.contents)[1] : undefined;
  if (!subject || !bits || bits.tag !== 0x03) throw new Error('not a certificate');
  return { subject: subject.encoded, subjectPublicKey: bits.contents.subarray(1) };
}
