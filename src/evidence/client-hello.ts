/**
 * The TLS ClientHello a sender sends after STARTTLS: when the receiver has all of it
 * ({@link clientHelloFraming}), and what it says ({@link parseClientHello}), as plain JSON
 * data for run.json. Pure: bytes in, data out, no I/O; tls-fingerprint.ts computes JA3 and
 * JA4 from the parsed data.
 *
 * Everything here reads bytes a peer chose, so every length is checked before it is used,
 * nothing throws, and the work is bounded by {@link MAX_CLIENT_HELLO_INPUT}.
 */
import {
  cipherSuiteFlags,
  cipherSuiteName,
  extensionTypeName,
  groupName,
  isGrease,
  isPostQuantumGroup,
  signatureSchemeName,
  tlsVersionLabel,
  type CipherSuiteFlags,
} from './tls-registry.js';

/**
 * The most bytes {@link clientHelloFraming} looks at: a sender whose first 64 KiB after
 * STARTTLS hold no complete ClientHello is not speaking TLS as badmx understands it. Real
 * ClientHellos are a few hundred bytes, about 1.8 KB with an X25519MLKEM768 key share
 * (draft-ietf-tls-ecdhe-mlkem), and far below this with any post-quantum share deployed.
 */
export const MAX_CLIENT_HELLO_INPUT = 65_536;

/**
 * Where a receiver is in reading a ClientHello from the bytes a client sent after the 220
 * to STARTTLS:
 * - `incomplete`: no verdict yet, read more;
 * - `complete`: the whole ClientHello handshake message is in; `length` is the number of
 *   bytes consumed, through the end of the TLS record that completed it;
 * - `not-tls`: these bytes are not a TLS ClientHello (and never will be, whatever follows);
 *   `reason` says why, in one line.
 */
export type ClientHelloFraming = { state: 'incomplete' } | { state: 'complete'; length: number } | { state: 'not-tls'; reason: string };

/** TLSPlaintext.type handshake(22): RFC 8446 §5.1, RFC 5246 §6.2.1. */
const CONTENT_TYPE_HANDSHAKE = 22;
/** HandshakeType client_hello(1): RFC 8446 §4, RFC 5246 §7.4. */
const HANDSHAKE_CLIENT_HELLO = 1;
/** TLSPlaintext.length "MUST NOT exceed 2^14 bytes": RFC 8446 §5.1, RFC 5246 §6.2.1. */
const MAX_PLAINTEXT_FRAGMENT = 16_384;
/** record header: type(1) legacy_record_version(2) length(2) */
const RECORD_HEADER = 5;
/** msg_type(1) length(3), RFC 8446 §4 */
const HANDSHAKE_HEADER = 4;
/**
 * The smallest ClientHello body: legacy_version(2) random(32) session_id length(1)
 * cipher_suites length(2) + one suite(2) compression_methods length(1) + one method(1).
 * RFC 5246 §7.4.1.2 and RFC 8446 §4.1.2 require at least one of each.
 */
const MIN_CLIENT_HELLO_BODY = 41;

interface Reassembled {
  state: 'complete';
  /** bytes consumed, through the end of the record that completed the message */
  length: number;
  /** the ClientHello handshake message: header and body */
  message: Uint8Array;
  recordVersion: number;
  recordCount: number;
}

const CONTENT_TYPE_NAMES: Readonly<Record<number, string>> = { 20: 'change_cipher_spec', 21: 'alert', 22: 'handshake', 23: 'application_data', 24: 'heartbeat' };

function byteHex(b: number): string {
  return `0x${b.toString(16).padStart(2, '0')}`;
}

/** What the first byte looks like when it is not a TLS record: the receiver logs the reason. */
function firstByteReason(buf: Uint8Array): string {
  const b0 = buf[0] ?? 0;
  // RFC 5246 Appendix E.2: an SSL 2.0 CLIENT-HELLO has the high bit of its first byte set (a
  // two-byte record header) and msg_type 1 in its third byte.
  if ((b0 & 0x80) !== 0 && buf.length >= 3 && buf[2] === 1) return 'an SSL 2.0-format ClientHello (RFC 5246 Appendix E.2), not a TLS record';
  if (b0 >= 0x20 && b0 < 0x7f) return `first byte ${byteHex(b0)} ('${String.fromCharCode(b0)}') is text, not a TLS record`;
  const name = CONTENT_TYPE_NAMES[b0];
  return name === undefined ? `first byte ${byteHex(b0)} is not a TLS record type` : `first record is ${name}(${b0}), not handshake(22)`;
}

/**
 * Reads records (RFC 8446 §5.1) from the start of `buf` and reassembles the first handshake
 * message across them: "Handshake messages MAY be coalesced into a single TLSPlaintext record
 * or fragmented across several records", and they "MUST NOT be interleaved with other record
 * types" (RFC 8446 §5.1; RFC 5246 §6.2.1 says the same).
 */
function reassemble(buf: Uint8Array): Reassembled | { state: 'incomplete' } | { state: 'not-tls'; reason: string } {
  const limit = Math.min(buf.length, MAX_CLIENT_HELLO_INPUT);
  const fragments: Uint8Array[] = [];
  let collected = 0;
  let offset = 0;
  let recordCount = 0;
  let recordVersion = 0;
  let messageLength = -1;

  /** Checks the handshake header once 4 bytes of it are known (possibly from a partial record). */
  const checkHeader = (head: Uint8Array): { state: 'not-tls'; reason: string } | null => {
    const type = head[0];
    if (type !== HANDSHAKE_CLIENT_HELLO) return { state: 'not-tls', reason: `first handshake message is type ${type}, not client_hello(1)` };
    const length = ((head[1] ?? 0) << 16) | ((head[2] ?? 0) << 8) | (head[3] ?? 0);
    if (length < MIN_CLIENT_HELLO_BODY) return { state: 'not-tls', reason: `ClientHello length ${length} is below the ${MIN_CLIENT_HELLO_BODY} bytes of its fixed fields` };
    // Each record of at most 2^14 bytes adds a 5-byte header: the fewest bytes the message can arrive in.
    const onWire = HANDSHAKE_HEADER + length + RECORD_HEADER * Math.ceil((HANDSHAKE_HEADER + length) / MAX_PLAINTEXT_FRAGMENT);
    if (onWire > MAX_CLIENT_HELLO_INPUT) return { state: 'not-tls', reason: `ClientHello length ${length} cannot arrive within ${MAX_CLIENT_HELLO_INPUT} bytes` };
    messageLength = length;
    return null;
  };

  // Each header byte is judged as soon as it is in, so that a client speaking something else
  // is told apart from its first byte, not after 5.
  while (offset < limit) {
    const type = buf[offset] ?? 0;
    if (type !== CONTENT_TYPE_HANDSHAKE) {
      if (recordCount === 0) return { state: 'not-tls', reason: firstByteReason(buf) };
      return { state: 'not-tls', reason: `record ${recordCount + 1} is content type ${type} before the ClientHello was complete (RFC 8446 §5.1)` };
    }
    if (offset + 1 >= limit) break;
    const major = buf[offset + 1] ?? 0;
    const minor = buf[offset + 2] ?? 0;
    // legacy_record_version is 0x0301 (RFC 8446 §5.1) or any SSL 3.0/TLS version below it; major 3 in every case.
    if (major !== 3) return { state: 'not-tls', reason: `record version ${byteHex(major)}${offset + 2 < limit ? byteHex(minor).slice(2) : '..'} is not SSL 3.0 or TLS` };
    if (offset + RECORD_HEADER > limit) break;
    const fragmentLength = ((buf[offset + 3] ?? 0) << 8) | (buf[offset + 4] ?? 0);
    if (fragmentLength === 0) return { state: 'not-tls', reason: 'a zero-length handshake record (RFC 8446 §5.1: MUST NOT be sent)' };
    if (fragmentLength > MAX_PLAINTEXT_FRAGMENT) return { state: 'not-tls', reason: `record length ${fragmentLength} exceeds 2^14 (RFC 8446 §5.1)` };
    if (recordCount === 0) recordVersion = (major << 8) | minor;
    const start = offset + RECORD_HEADER;
    const end = start + fragmentLength;
    if (end > limit) {
      // A partial record: its handshake header can still rule the stream out early.
      if (messageLength < 0 && collected + (limit - start) >= HANDSHAKE_HEADER) {
        const head = concat([...fragments, buf.subarray(start, limit)], HANDSHAKE_HEADER);
        const bad = checkHeader(head);
        if (bad) return bad;
      }
      break;
    }
    fragments.push(buf.subarray(start, end));
    collected += fragmentLength;
    recordCount += 1;
    offset = end;
    if (messageLength < 0 && collected >= HANDSHAKE_HEADER) {
      const bad = checkHeader(concat(fragments, HANDSHAKE_HEADER));
      if (bad) return bad;
    }
    if (messageLength >= 0 && collected >= HANDSHAKE_HEADER + messageLength) {
      return { state: 'complete', length: offset, message: concat(fragments, HANDSHAKE_HEADER + messageLength), recordVersion, recordCount };
    }
  }
  if (buf.length >= MAX_CLIENT_HELLO_INPUT) return { state: 'not-tls', reason: `no complete ClientHello in the first ${MAX_CLIENT_HELLO_INPUT} bytes` };
  return { state: 'incomplete' };
}

/** The first `length` bytes of the fragments, joined. */
function concat(parts: readonly Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    if (at >= length) break;
    const take = part.subarray(0, length - at);
    out.set(take, at);
    at += take.length;
  }
  return out;
}

/**
 * Tells a receiver whether it has the whole ClientHello yet, from the bytes the client sent
 * after the 220 to STARTTLS. Bounded: it reads records only while they fit in the input and
 * the first {@link MAX_CLIENT_HELLO_INPUT} bytes; an input of that size without a complete
 * ClientHello is `not-tls`.
 */
export function clientHelloFraming(buf: Uint8Array): ClientHelloFraming {
  const r = reassemble(buf);
  return r.state === 'complete' ? { state: 'complete', length: r.length } : r;
}

/** A 16-bit code point from a ClientHello list, with its IANA name. */
export interface TlsCode {
  /** The code, as sent (e.g. 4865 for TLS_AES_128_GCM_SHA256, 0x1301). */
  code: number;
  /** The IANA name (tls-registry.ts), or null when badmx does not know the code or it is GREASE. */
  name: string | null;
  /** A GREASE value (RFC 8701): sent to keep peers tolerant of unknown values, never a real choice. */
  grease: boolean;
}

/** One key share the client sent (RFC 8446 §4.2.8 KeyShareEntry). */
export interface KeyShare {
  group: TlsCode;
  /** Length of key_exchange in bytes: 32 for x25519, 1216 for X25519MLKEM768. */
  length: number;
}

/** Legacy protocol versions a ClientHello can offer; RFC 8996 deprecates TLS 1.0 and 1.1, RFC 7568 SSL 3.0. */
export type LegacyTlsVersion = 'SSLv3' | 'TLSv1.0' | 'TLSv1.1';

/**
 * A parsed ClientHello (RFC 8446 §4.1.2; RFC 5246 §7.4.1.2 below TLS 1.3), as plain JSON
 * data: this is what run.json records of a sender's TLS client. Versions are written as
 * TLSv1.0 … TLSv1.3 and SSLv3, anything else as its code in 4 hex digits (0x7f1c), see
 * tls-registry.ts `tlsVersionLabel`. Lists keep the client's order and its GREASE values
 * (marked), so fingerprints can be computed again from this data alone.
 */
export interface ClientHello {
  /** legacy_record_version of the first record (RFC 8446 §5.1): 0x0301 for most clients whatever they offer. */
  recordVersion: string;
  /** ClientHello.legacy_version (client_version in RFC 5246 §7.4.1.2): the highest version offered when supported_versions is absent, 0x0303 (TLSv1.2) when present. */
  legacyVersion: string;
  /**
   * The versions the client offers, without GREASE. From supported_versions (RFC 8446 §4.2.1)
   * when the client sent it, in its order (usually highest first). Without it the ClientHello
   * only states a maximum (RFC 5246 Appendix E.1): a server may then choose any version from
   * TLS 1.0 up to legacy_version, capped at TLS 1.2 (RFC 8446 §4.2.1: without the extension a
   * server "MUST negotiate TLS 1.2 or prior"), so that range is listed, highest first; its floor
   * is badmx's assumption (TLS 1.0), because the client's minimum is not on the wire. SSL 3.0
   * appears only when legacy_version is 0x0300. See {@link ClientHello.versionsSource}.
   */
  versions: string[];
  /** Where {@link ClientHello.versions} comes from: the supported_versions extension, or implied by legacy_version. */
  versionsSource: 'supported_versions' | 'legacy_version';
  /** {@link ClientHello.versions} that are SSL 3.0, TLS 1.0 or TLS 1.1, in that order of the list. */
  legacyVersionsOffered: LegacyTlsVersion[];
  /** The supported_versions extension as sent, GREASE included; null when absent. */
  supportedVersions: TlsCode[] | null;
  /** legacy_session_id length: 32 from TLS 1.3 clients in middlebox compatibility mode (RFC 8446 §D.4), 0 or a resumed session's id otherwise. */
  sessionIdLength: number;
  /** cipher_suites in the client's order, GREASE and signalling values (TLS_EMPTY_RENEGOTIATION_INFO_SCSV, TLS_FALLBACK_SCSV) included. */
  cipherSuites: TlsCode[];
  /** legacy_compression_methods: [0] (null) from any modern client; 1 is DEFLATE (RFC 3749, CRIME). */
  compressionMethods: number[];
  /** Extension types in the client's order, GREASE included. */
  extensions: TlsCode[];
  /** supported_groups (RFC 8446 §4.2.7; elliptic_curves in RFC 4492) in order. */
  supportedGroups: TlsCode[];
  /** key_share entries (RFC 8446 §4.2.8) in order. */
  keyShares: KeyShare[];
  /** ec_point_formats (RFC 8422 §5.1.2) in order: 0 uncompressed, 1 ansiX962_compressed_prime, 2 ansiX962_compressed_char2. */
  ecPointFormats: number[];
  /** signature_algorithms (RFC 8446 §4.2.3; RFC 5246 §7.4.1.4.1 hash/signature pairs) in order. */
  signatureAlgorithms: TlsCode[];
  /** signature_algorithms_cert (RFC 8446 §4.2.3) in order; empty when absent. */
  signatureAlgorithmsCert: TlsCode[];
  /**
   * The host_name of server_name (RFC 6066 §3), one character per byte (ISO-8859-1), so
   * that nothing the client sent is lost; null when the client sent none. Print it through
   * src/text, never raw.
   */
  sni: string | null;
  /** application_layer_protocol_negotiation (RFC 7301) protocol names in order, one character per byte (ISO-8859-1); empty when absent. */
  alpn: string[];
  /** Any offered cipher suite (GREASE and unknown codes aside) that is RC4, 3DES, single DES, EXPORT, NULL, anonymous, CBC, or RSA key transport. */
  weaknesses: CipherSuiteFlags;
  /** A post-quantum or hybrid group (ML-KEM, Kyber drafts) among supported_groups or key shares. */
  offersPostQuantum: boolean;
  /** Length of the ClientHello handshake message body (the 24-bit length of RFC 8446 §4). */
  handshakeLength: number;
  /** How many TLS records the message arrived in: more than 1 when fragmented (large post-quantum key shares). */
  recordCount: number;
  /**
   * What does not follow the RFCs but did not stop parsing, one line each: a duplicate
   * extension (RFC 8446 §4.2), pre_shared_key not last (RFC 8446 §4.2.11), an extension
   * whose body is malformed (its values are then left out), bytes after the extensions.
   */
  anomalies: string[];
}

/** Why the ClientHello could not be read at all. */
class Malformed extends Error {}

/** A bounds-checked reader: every read past the end throws {@link Malformed}. */
class Reader {
  private at = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly what: string,
  ) {}

  get remaining(): number {
    return this.bytes.length - this.at;
  }

  u8(): number {
    this.need(1);
    return this.bytes[this.at++] ?? 0;
  }

  u16(): number {
    this.need(2);
    const v = ((this.bytes[this.at] ?? 0) << 8) | (this.bytes[this.at + 1] ?? 0);
    this.at += 2;
    return v;
  }

  take(n: number): Uint8Array {
    this.need(n);
    const out = this.bytes.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }

  /** A length-prefixed vector (RFC 8446 §3.4) with a `prefix`-byte length. */
  vector(prefix: 1 | 2): Reader {
    const length = prefix === 1 ? this.u8() : this.u16();
    return new Reader(this.take(length), this.what);
  }

  private need(n: number): void {
    if (this.at + n > this.bytes.length) throw new Malformed(`${this.what}: needs ${n} more bytes, ${this.remaining} left`);
  }
}

function code(c: number, name: (c: number) => string | null): TlsCode {
  const grease = isGrease(c);
  return { code: c, name: grease ? null : name(c), grease };
}

/** A vector of 16-bit codes; its byte length must be even (RFC 8446 §3.4). */
function codeList(r: Reader, prefix: 1 | 2, what: string, name: (c: number) => string | null): TlsCode[] {
  const v = r.vector(prefix);
  if (v.remaining % 2 !== 0) throw new Malformed(`${what}: odd length ${v.remaining}`);
  const out: TlsCode[] = [];
  while (v.remaining > 0) out.push(code(v.u16(), name));
  return out;
}

function latin1(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

const EXT_SERVER_NAME = 0;
const EXT_SUPPORTED_GROUPS = 10;
const EXT_EC_POINT_FORMATS = 11;
const EXT_SIGNATURE_ALGORITHMS = 13;
const EXT_ALPN = 16;
const EXT_PRE_SHARED_KEY = 41;
const EXT_SUPPORTED_VERSIONS = 43;
const EXT_SIGNATURE_ALGORITHMS_CERT = 50;
const EXT_KEY_SHARE = 51;

const LEGACY: readonly LegacyTlsVersion[] = ['SSLv3', 'TLSv1.0', 'TLSv1.1'];

/** The versions a ClientHello without supported_versions lets a server choose: see {@link ClientHello.versions}. */
function impliedVersions(legacyVersion: number): string[] {
  if (legacyVersion === 0x0300) return ['SSLv3'];
  if (legacyVersion < 0x0301 || legacyVersion >> 8 !== 3) return [tlsVersionLabel(legacyVersion)];
  const out: string[] = [];
  for (let v = Math.min(legacyVersion, 0x0303); v >= 0x0301; v--) out.push(tlsVersionLabel(v));
  return out;
}

function parseBody(body: Uint8Array, recordVersion: number, recordCount: number): ClientHello {
  const r = new Reader(body, 'ClientHello');
  const legacyVersion = r.u16();
  r.take(32); // random
  const sessionId = r.vector(1);
  // RFC 8446 §4.1.2 and RFC 5246 §7.4.1.2: opaque legacy_session_id<0..32>
  if (sessionId.remaining > 32) throw new Malformed(`session id of ${sessionId.remaining} bytes (at most 32)`);
  const suites = r.vector(2);
  if (suites.remaining < 2 || suites.remaining % 2 !== 0) throw new Malformed(`cipher_suites of ${suites.remaining} bytes (RFC 8446 §4.1.2: CipherSuite cipher_suites<2..2^16-2>)`);
  const cipherSuites: TlsCode[] = [];
  while (suites.remaining > 0) cipherSuites.push(code(suites.u16(), cipherSuiteName));
  const compression = r.vector(1);
  if (compression.remaining < 1) throw new Malformed('no compression methods (RFC 5246 §7.4.1.2: at least one)');
  const compressionMethods = [...compression.take(compression.remaining)];

  const hello: ClientHello = {
    recordVersion: tlsVersionLabel(recordVersion),
    legacyVersion: tlsVersionLabel(legacyVersion),
    versions: [],
    versionsSource: 'legacy_version',
    legacyVersionsOffered: [],
    supportedVersions: null,
    sessionIdLength: sessionId.remaining,
    cipherSuites,
    compressionMethods,
    extensions: [],
    supportedGroups: [],
    keyShares: [],
    ecPointFormats: [],
    signatureAlgorithms: [],
    signatureAlgorithmsCert: [],
    sni: null,
    alpn: [],
    weaknesses: { rc4: false, tripleDes: false, des: false, export: false, null: false, anon: false, cbc: false, staticRsa: false },
    offersPostQuantum: false,
    handshakeLength: body.length,
    recordCount,
    anomalies: [],
  };

  // RFC 5246 §7.4.1.2: a ClientHello may end after compression_methods (no extensions at all).
  if (r.remaining > 0) {
    const extensions = r.vector(2);
    if (r.remaining > 0) hello.anomalies.push(`${r.remaining} bytes after the extensions`);
    const seen = new Set<number>();
    while (extensions.remaining > 0) {
      const type = extensions.u16();
      const data = extensions.vector(2);
      const ext = code(type, extensionTypeName);
      hello.extensions.push(ext);
      const label = ext.name ?? `extension ${type}`;
      if (seen.has(type)) {
        hello.anomalies.push(`duplicate ${label} (RFC 8446 §4.2: at most one of each type); the first is used`);
        continue;
      }
      seen.add(type);
      try {
        readExtension(type, data, hello);
        if (data.remaining > 0) hello.anomalies.push(`${label}: ${data.remaining} bytes after its value`);
      } catch (err) {
        if (!(err instanceof Malformed)) throw err;
        hello.anomalies.push(`${label} is malformed (${err.message}); its values are left out`);
      }
    }
    const psk = hello.extensions.findIndex((e) => e.code === EXT_PRE_SHARED_KEY);
    if (psk >= 0 && psk !== hello.extensions.length - 1) hello.anomalies.push('pre_shared_key is not the last extension (RFC 8446 §4.2.11)');
  }

  const offered = hello.supportedVersions?.filter((v) => !v.grease).map((v) => tlsVersionLabel(v.code));
  if (offered !== undefined) {
    hello.versions = offered;
    hello.versionsSource = 'supported_versions';
  } else {
    hello.versions = impliedVersions(legacyVersion);
  }
  hello.legacyVersionsOffered = LEGACY.filter((v) => hello.versions.includes(v));
  for (const suite of cipherSuites) {
    const flags = cipherSuiteFlags(suite.code);
    for (const key of Object.keys(flags) as (keyof CipherSuiteFlags)[]) if (flags[key]) hello.weaknesses[key] = true;
  }
  hello.offersPostQuantum = hello.supportedGroups.some((g) => isPostQuantumGroup(g.code)) || hello.keyShares.some((k) => isPostQuantumGroup(k.group.code));
  return hello;
}

/** Reads the extensions badmx reports on into `hello`; throws {@link Malformed} on a malformed body. */
function readExtension(type: number, data: Reader, hello: ClientHello): void {
  switch (type) {
    case EXT_SERVER_NAME: {
      // RFC 6066 §3: ServerName server_name_list<1..2^16-1>; host_name is name_type 0, and the list holds at most one of each type.
      const list = data.vector(2);
      while (list.remaining > 0) {
        const nameType = list.u8();
        const name = list.vector(2);
        if (nameType === 0 && hello.sni === null) hello.sni = latin1(name.take(name.remaining));
      }
      return;
    }
    case EXT_SUPPORTED_GROUPS:
      hello.supportedGroups = codeList(data, 2, 'supported_groups', groupName);
      return;
    case EXT_EC_POINT_FORMATS: {
      const list = data.vector(1);
      hello.ecPointFormats = [...list.take(list.remaining)];
      return;
    }
    case EXT_SIGNATURE_ALGORITHMS:
      hello.signatureAlgorithms = codeList(data, 2, 'signature_algorithms', signatureSchemeName);
      return;
    case EXT_SIGNATURE_ALGORITHMS_CERT:
      hello.signatureAlgorithmsCert = codeList(data, 2, 'signature_algorithms_cert', signatureSchemeName);
      return;
    case EXT_ALPN: {
      // RFC 7301 §3.1: ProtocolName protocol_name_list<2..2^16-1>, each opaque ProtocolName<1..2^8-1>.
      const list = data.vector(2);
      const names: string[] = [];
      while (list.remaining > 0) {
        const name = list.vector(1);
        names.push(latin1(name.take(name.remaining)));
      }
      hello.alpn = names;
      return;
    }
    case EXT_SUPPORTED_VERSIONS:
      // RFC 8446 §4.2.1: ProtocolVersion versions<2..254> in a ClientHello.
      hello.supportedVersions = codeList(data, 1, 'supported_versions', tlsVersionLabel);
      return;
    case EXT_KEY_SHARE: {
      // RFC 8446 §4.2.8: KeyShareEntry client_shares<0..2^16-1>; each group(2) key_exchange<1..2^16-1>.
      const list = data.vector(2);
      const shares: KeyShare[] = [];
      while (list.remaining > 0) {
        const group = code(list.u16(), groupName);
        const key = list.vector(2);
        shares.push({ group, length: key.remaining });
        key.take(key.remaining);
      }
      hello.keyShares = shares;
      return;
    }
    default:
      data.take(data.remaining);
  }
}

/**
 * Parses the ClientHello from the bytes a client sent after STARTTLS (TLS records, as
 * {@link clientHelloFraming} reads them; anything after the completing record is ignored).
 * Never throws: bytes that hold no complete, well-formed ClientHello give `{ error }`, one
 * line. A ClientHello whose fixed fields and extension framing are sound is returned even
 * when an extension's body is not: that goes into `anomalies`.
 */
export function parseClientHello(bytes: Uint8Array): ClientHello | { error: string } {
  try {
    const r = reassemble(bytes);
    if (r.state === 'incomplete') return { error: `incomplete ClientHello (${bytes.length} bytes)` };
    if (r.state === 'not-tls') return { error: r.reason };
    return parseBody(r.message.subarray(HANDSHAKE_HEADER), r.recordVersion, r.recordCount);
  } catch (err) {
    if (err instanceof Malformed) return { error: `malformed ClientHello: ${err.message}` };
    return { error: `malformed ClientHello: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** Narrows a {@link parseClientHello} result. */
export function isClientHello(v: ClientHello | { error: string }): v is ClientHello {
  return !('error' in v);
}
