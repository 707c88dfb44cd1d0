import fc from 'fast-check';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_CLIENT_HELLO_INPUT, clientHelloFraming, isClientHello, parseClientHello, type ClientHello, type TlsCode } from '../../src/evidence/client-hello.js';
import { cipherSuiteFlagsFromName, cipherSuiteName, isGrease } from '../../src/evidence/tls-registry.js';
import { clientHello, ext, helloMessage, records } from './fixtures/client-hello/build.js';
import { LIVE_CLIENTS } from './fixtures/client-hello/live-clients.js';
import { captureClientHello, foxioClientHello, tsharkHello, writePcap } from './fixtures/client-hello/tshark.js';
import { testNet } from '../helpers/net-plan.js';

const FIXTURES = join(import.meta.dirname, 'fixtures/client-hello');
const SAMPLES = join(FIXTURES, 'samples');
const FOXIO = join(FIXTURES, 'foxio');
const sampleNames = readdirSync(SAMPLES)
  .filter((f) => f.endsWith('.bin'))
  .map((f) => f.slice(0, -4))
  .sort();
const sample = (name: string): Uint8Array => new Uint8Array(readFileSync(join(SAMPLES, `${name}.bin`)));
const scratch = mkdtempSync(join(tmpdir(), 'badmx-client-hello-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function parsed(bytes: Uint8Array): ClientHello {
  const h = parseClientHello(bytes);
  if (!isClientHello(h)) throw new Error(h.error);
  return h;
}

const codesOf = (list: readonly TlsCode[]): number[] => list.map((c) => c.code);

const MODERN = { suites: [0x1301, 0xc02f], extensions: [ext.sni('mx.example.test'), ext.groups([29, 23]), ext.sigAlgs([0x0804, 0x0403]), ext.versions([0x0304, 0x0303]), ext.keyShare([[29, 32]])] };

describe('clientHelloFraming', () => {
  it('is complete at the end of the record that completes the ClientHello, and ignores what follows', () => {
    const bytes = clientHello(MODERN);
    expect(clientHelloFraming(bytes)).toEqual({ state: 'complete', length: bytes.length });
    const more = Uint8Array.from([...bytes, 20, 3, 3, 0, 1, 1, 23, 3, 3]);
    expect(clientHelloFraming(more)).toEqual({ state: 'complete', length: bytes.length });
  });

  it('is incomplete for every proper prefix of real ClientHellos, including ones split across records', () => {
    for (const name of sampleNames) {
      const bytes = sample(name);
      const framing = clientHelloFraming(bytes);
      expect(framing, name).toEqual({ state: 'complete', length: bytes.length });
      for (let n = 0; n < bytes.length; n++) expect(clientHelloFraming(bytes.subarray(0, n)).state, `${name} prefix ${n}`).toBe('incomplete');
    }
  });

  it('reassembles a ClientHello fragmented into records of any size (RFC 8446 §5.1) to the same parse', () => {
    const message = helloMessage({ ...MODERN, extensions: [...MODERN.extensions, ext.alpn(['h2', 'http/1.1', 'smtp'])] });
    const whole = parsed(records(message));
    for (const size of [1, 2, 3, 4, 5, 7, 64, 255, message.length - 1]) {
      const bytes = records(message, size);
      expect(clientHelloFraming(bytes), `fragment ${size}`).toEqual({ state: 'complete', length: bytes.length });
      expect(parsed(bytes), `fragment ${size}`).toEqual({ ...whole, recordCount: Math.ceil(message.length / size) });
    }
    // The record that completes the message may carry the start of another (coalescing, RFC 8446 §5.1).
    const coalesced = records(Uint8Array.from([...message, 2, 0, 0, 0]));
    expect(clientHelloFraming(coalesced)).toEqual({ state: 'complete', length: coalesced.length });
  });

  it('says not-tls as soon as the bytes cannot be a ClientHello, with the reason', () => {
    const notTls = (bytes: number[] | Uint8Array): string => {
      const f = clientHelloFraming(Uint8Array.from(bytes));
      if (f.state !== 'not-tls') throw new Error(`expected not-tls, got ${f.state}`);
      return f.reason;
    };
    expect(notTls(Buffer.from('QUIT\r\n'))).toMatch(/text/);
    expect(notTls([21, 3, 1, 0, 2, 2, 40])).toMatch(/alert\(21\)/);
    expect(notTls([23])).toMatch(/application_data/);
    expect(notTls([0x80, 0x2e, 0x01, 0x03, 0x01])).toMatch(/SSL 2\.0/);
    expect(notTls([22, 4, 1, 0, 4])).toMatch(/record version/);
    expect(notTls([22, 3, 1, 0, 0])).toMatch(/zero-length/);
    expect(notTls([22, 3, 1, 0x40, 0x01])).toMatch(/2\^14/);
    // A ServerHello, known from the first 4 bytes of the fragment, before the record is in.
    expect(notTls([22, 3, 3, 0, 80, 2, 0, 0, 76])).toMatch(/type 2, not client_hello/);
    expect(notTls([22, 3, 1, 0, 80, 1, 0, 0, 3])).toMatch(/below/);
    // 16 MiB announced: it could never arrive within the bound.
    expect(notTls([22, 3, 1, 0x40, 0, 1, 0xff, 0xff, 0xff])).toMatch(/cannot arrive/);
    // Another content type before the message is complete (RFC 8446 §5.1: no interleaving).
    const message = helloMessage(MODERN);
    const first = records(message.subarray(0, 20));
    expect(notTls([...first, 20, 3, 3, 0, 1, 1])).toMatch(/record 2 is content type 20/);
    expect(notTls([...first, 21, 3, 3, 0, 2, 2, 40])).toMatch(/record 2 is content type 21/);
  });

  it(`is bounded: ${MAX_CLIENT_HELLO_INPUT} bytes without a complete ClientHello are not-tls`, () => {
    // A 20 000-byte ClientHello in 1-byte records needs 6 bytes a byte: 120 000 bytes, never within the bound.
    const message = helloMessage({ suites: [0x1301], extensions: [[0xffee, new Array<number>(19_900).fill(0)]] });
    const oneByteRecords = records(message, 1);
    expect(clientHelloFraming(oneByteRecords.subarray(0, MAX_CLIENT_HELLO_INPUT - 1)).state).toBe('incomplete');
    expect(clientHelloFraming(oneByteRecords.subarray(0, MAX_CLIENT_HELLO_INPUT))).toEqual({ state: 'not-tls', reason: `no complete ClientHello in the first ${MAX_CLIENT_HELLO_INPUT} bytes` });
    const started = performance.now();
    expect(clientHelloFraming(oneByteRecords).state).toBe('not-tls');
    expect(parseClientHello(oneByteRecords)).toEqual({ error: `no complete ClientHello in the first ${MAX_CLIENT_HELLO_INPUT} bytes` });
    expect(performance.now() - started).toBeLessThan(2_000);
    // The largest ClientHello that fits is complete.
    const big = records(helloMessage({ suites: [0x1301], extensions: [[0xffee, new Array<number>(65_000).fill(0)]] }));
    expect(big.length).toBeLessThan(MAX_CLIENT_HELLO_INPUT);
    expect(clientHelloFraming(big)).toEqual({ state: 'complete', length: big.length });
  });
});

describe('parseClientHello', () => {
  it('reads a TLS 1.3 ClientHello', () => {
    const h = parsed(clientHello({ ...MODERN, sessionId: new Array<number>(32).fill(1), extensions: [[0x0a0a, []], ...MODERN.extensions, ext.alpn(['smtp']), ext.pointFormats([0])] }));
    expect(h).toMatchObject({
      recordVersion: 'TLSv1.0',
      legacyVersion: 'TLSv1.2',
      versions: ['TLSv1.3', 'TLSv1.2'],
      versionsSource: 'supported_versions',
      legacyVersionsOffered: [],
      sessionIdLength: 32,
      cipherSuites: [
        { code: 0x1301, name: 'TLS_AES_128_GCM_SHA256', grease: false },
        { code: 0xc02f, name: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', grease: false },
      ],
      compressionMethods: [0],
      sni: 'mx.example.test',
      alpn: ['smtp'],
      ecPointFormats: [0],
      keyShares: [{ group: { code: 29, name: 'x25519', grease: false }, length: 32 }],
      offersPostQuantum: false,
      recordCount: 1,
      anomalies: [],
    });
    expect(h.extensions[0]).toEqual({ code: 0x0a0a, name: null, grease: true });
    expect(codesOf(h.extensions)).toEqual([0x0a0a, 0, 10, 13, 43, 51, 16, 11]);
    expect(h.signatureAlgorithms.map((s) => s.name)).toEqual(['rsa_pss_rsae_sha256', 'ecdsa_secp256r1_sha256']);
    expect(JSON.parse(JSON.stringify(h))).toEqual(h);
  });

  it('implies the versions of a ClientHello without supported_versions from legacy_version (RFC 5246 Appendix E.1, RFC 8446 §4.2.1)', () => {
    const versions = (legacyVersion: number): Pick<ClientHello, 'versions' | 'versionsSource' | 'legacyVersionsOffered' | 'supportedVersions'> => {
      const h = parsed(clientHello({ legacyVersion, suites: [0x002f], extensions: null }));
      return { versions: h.versions, versionsSource: h.versionsSource, legacyVersionsOffered: h.legacyVersionsOffered, supportedVersions: h.supportedVersions };
    };
    expect(versions(0x0303)).toEqual({ versions: ['TLSv1.2', 'TLSv1.1', 'TLSv1.0'], versionsSource: 'legacy_version', legacyVersionsOffered: ['TLSv1.0', 'TLSv1.1'], supportedVersions: null });
    expect(versions(0x0301).versions).toEqual(['TLSv1.0']);
    expect(versions(0x0300)).toMatchObject({ versions: ['SSLv3'], legacyVersionsOffered: ['SSLv3'] });
    // 0x0304 without supported_versions still negotiates TLS 1.2 or below (RFC 8446 §4.2.1).
    expect(versions(0x0304).versions).toEqual(['TLSv1.2', 'TLSv1.1', 'TLSv1.0']);
    expect(versions(0x0200).versions).toEqual(['0x0200']);
    const withGrease = parsed(clientHello({ suites: [0x1301], extensions: [ext.versions([0x7a7a, 0x0304, 0x0302, 0x7f1c])] }));
    expect(withGrease.versions).toEqual(['TLSv1.3', 'TLSv1.1', '0x7f1c']);
    expect(withGrease.legacyVersionsOffered).toEqual(['TLSv1.1']);
    expect(withGrease.supportedVersions?.[0]).toEqual({ code: 0x7a7a, name: null, grease: true });
  });

  it('flags weak cipher suites offered, from their IANA names', () => {
    const weak = (suites: number[]): string[] =>
      Object.entries(parsed(clientHello({ suites, extensions: null })).weaknesses)
        .filter(([, v]) => v)
        .map(([k]) => k)
        .sort();
    expect(weak([0x1301, 0x1302, 0xc02b, 0xcca9, 0x00ff, 0x5600, 0x0a0a])).toEqual([]);
    expect(weak([0xc011])).toEqual(['rc4']); // TLS_ECDHE_RSA_WITH_RC4_128_SHA
    expect(weak([0x000a])).toEqual(['cbc', 'staticRsa', 'tripleDes']);
    expect(weak([0x0003])).toEqual(['export', 'rc4', 'staticRsa']);
    expect(weak([0x0009])).toEqual(['cbc', 'des', 'staticRsa']);
    expect(weak([0x0014])).toEqual(['cbc', 'des', 'export']);
    expect(weak([0xc006])).toEqual(['null']);
    expect(weak([0x0000])).toEqual(['null']);
    expect(weak([0xc0b4])).toEqual(['null']); // TLS_SHA256_SHA256, RFC 9150
    expect(weak([0x00a6])).toEqual(['anon']);
    expect(weak([0xc018])).toEqual(['anon', 'cbc']);
    expect(weak([0x009c])).toEqual(['staticRsa']);
    expect(weak([0xc013, 0x9999])).toEqual(['cbc']);
    expect(cipherSuiteFlagsFromName('TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA')).toMatchObject({ tripleDes: true, des: false, cbc: true });
  });

  it('names suites, groups and signature schemes; GREASE is marked and unnamed (RFC 8701)', () => {
    for (let i = 0; i < 16; i++) expect(isGrease(i * 0x1010 + 0x0a0a)).toBe(true);
    expect([0x0a0b, 0x0a1a, 0xaaab, 0x1a0a, 0].some(isGrease)).toBe(false);
    expect(cipherSuiteName(0x00ff)).toBe('TLS_EMPTY_RENEGOTIATION_INFO_SCSV');
    expect(cipherSuiteName(0x0a0a)).toBeNull();
    const h = parsed(clientHello({ suites: [0xdada, 0x1303], extensions: [ext.groups([0x2a2a, 0x11ec, 0x001d]), ext.keyShare([[0x2a2a, 1], [0x11ec, 1216]]), ext.sigAlgs([0x0202, 0x0807])] }));
    expect(h.cipherSuites).toEqual([
      { code: 0xdada, name: null, grease: true },
      { code: 0x1303, name: 'TLS_CHACHA20_POLY1305_SHA256', grease: false },
    ]);
    expect(h.supportedGroups.map((g) => g.name)).toEqual([null, 'X25519MLKEM768', 'x25519']);
    expect(h.keyShares).toEqual([
      { group: { code: 0x2a2a, name: null, grease: true }, length: 1 },
      { group: { code: 0x11ec, name: 'X25519MLKEM768', grease: false }, length: 1216 },
    ]);
    expect(h.offersPostQuantum).toBe(true);
    expect(h.signatureAlgorithms.map((s) => s.name)).toEqual(['dsa_sha1', 'ed25519']);
  });

  it('keeps SNI and ALPN bytes losslessly, one character per byte', () => {
    const h = parsed(clientHello({ suites: [0x1301], extensions: [ext.sni('mx.\u00e9.test'), ext.alpn([[0xba, 0xad], 'http/1.1', []])] }));
    expect(h.sni).toBe('mx.\u00e9.test');
    expect(h.alpn).toEqual(['\u00ba\u00ad', 'http/1.1', '']);
  });

  it('records anomalies that do not stop parsing', () => {
    const h = parsed(
      clientHello({
        suites: [0x1301],
        extensions: [ext.sni('a.test'), [41, [0, 0]], ext.sni('b.test'), [10, [0, 3, 0, 29, 0]], [13, [0, 2, 4, 3, 9]], [16, [0, 5, 9, 1]]],
      }),
    );
    expect(h.sni).toBe('a.test');
    expect(h.supportedGroups).toEqual([]);
    expect(h.anomalies).toEqual([
      'duplicate server_name (RFC 8446 §4.2: at most one of each type); the first is used',
      'supported_groups is malformed (supported_groups: odd length 3); its values are left out',
      'signature_algorithms: 1 bytes after its value',
      'application_layer_protocol_negotiation is malformed (ClientHello: needs 5 more bytes, 2 left); its values are left out',
      'pre_shared_key is not the last extension (RFC 8446 §4.2.11)',
    ]);
    expect(codesOf(h.extensions)).toEqual([0, 41, 0, 10, 13, 16]);
  });

  it('gives one-line errors for ClientHellos whose fixed fields are malformed', () => {
    const error = (bytes: Uint8Array): string => {
      const h = parseClientHello(bytes);
      if (isClientHello(h)) throw new Error('parsed');
      return h.error;
    };
    expect(error(clientHello({ suites: [0x1301], sessionId: new Array<number>(33).fill(0), extensions: null }))).toMatch(/session id of 33 bytes/);
    expect(error(clientHello({ suites: [], extensions: [] }).slice())).toMatch(/below|cipher_suites/);
    expect(error(clientHello({ suites: [0x1301], compression: [], extensions: [] }))).toMatch(/compression/);
    expect(error(Uint8Array.from([22, 3, 1, 0, 5, 1, 0, 0, 1]))).toMatch(/below/);
    expect(error(new Uint8Array(0))).toBe('incomplete ClientHello (0 bytes)');
    // an extensions block longer than what is left
    const message = helloMessage({ suites: [0x1301], extensions: [ext.sni('a.test')] });
    const broken = message.slice();
    broken[broken.length - 12] = 0xff;
    expect(error(records(broken))).toMatch(/^malformed ClientHello: /);
  });

  it('reads real ClientHellos: committed samples from OpenSSL, Python, Node, curl, GnuTLS and Chromium', () => {
    const h = Object.fromEntries(sampleNames.map((n) => [n, parsed(sample(n))]));
    expect(h['openssl-tls1']).toMatchObject({ legacyVersion: 'TLSv1.0', versions: ['TLSv1.0'], versionsSource: 'legacy_version', legacyVersionsOffered: ['TLSv1.0'], supportedVersions: null });
    expect(h['openssl-tls1_2-weak']).toMatchObject({ sni: null, alpn: ['http/1.1'], weaknesses: { null: true, anon: true, cbc: true, staticRsa: true, rc4: false } });
    expect(h['openssl-fragmented']?.recordCount).toBe(3);
    expect(h['openssl-starttls-smtp']).toMatchObject({ alpn: ['smtp'], sni: 'mx.client-hello.test', versions: ['TLSv1.3', 'TLSv1.2', 'TLSv1.1', 'TLSv1.0'] });
    const chromium = h.chromium;
    expect(chromium?.handshakeLength).toBeGreaterThan(1500);
    expect(chromium?.offersPostQuantum).toBe(true);
    expect(chromium?.keyShares.find((k) => k.group.name === 'X25519MLKEM768')?.length).toBe(1216);
    expect(chromium?.cipherSuites[0]?.grease).toBe(true);
    for (const [name, hello] of Object.entries(h)) expect(hello.anomalies, name).toEqual([]);
  });
});

/** Compares our parse of `bytes` with tshark's dissection of the same bytes in a pcap. */
async function expectSameAsTshark(bytes: Uint8Array, label: string): Promise<void> {
  const pcap = join(scratch, `${label.replace(/[^\w.-]/g, '_')}.pcap`);
  writePcap(pcap, bytes);
  const t = await tsharkHello(pcap);
  const h = parsed(bytes);
  expect({
    handshakeVersion: t.handshakeVersion,
    recordVersion: t.recordVersion,
    ciphers: t.ciphers,
    extensions: t.extensions,
    groups: t.groups,
    pointFormats: t.pointFormats,
    sigAlgs: t.sigAlgs,
    supportedVersions: t.supportedVersions,
    sni: t.sni,
    alpn: t.alpn,
  }).toEqual({
    handshakeVersion: versionCode(h.legacyVersion),
    recordVersion: versionCode(h.recordVersion),
    ciphers: codesOf(h.cipherSuites),
    extensions: codesOf(h.extensions),
    groups: codesOf(h.supportedGroups),
    pointFormats: h.ecPointFormats,
    sigAlgs: expectedSigAlgs(h, t.sigAlgs),
    supportedVersions: codesOf(h.supportedVersions ?? []),
    // tshark shows bytes as UTF-8, an invalid byte as U+FFFD; ours are one character per byte.
    sni: h.sni === null ? null : asTsharkShows(h.sni),
    alpn: h.alpn.map(asTsharkShows),
  });
}

/**
 * tshark reports the entries of signature_algorithms, signature_algorithms_cert and
 * delegated_credential (RFC 9345) all under tls.handshake.sig_hash_alg, in extension order.
 * Ours for the first two, exactly; delegated_credential's (which badmx does not parse) are
 * whatever is left over, at its place.
 */
function expectedSigAlgs(h: ClientHello, tshark: readonly number[]): number[] {
  const delegated = tshark.length - h.signatureAlgorithms.length - h.signatureAlgorithmsCert.length;
  const out: number[] = [];
  for (const e of h.extensions) {
    if (e.code === 13) out.push(...codesOf(h.signatureAlgorithms));
    else if (e.code === 50) out.push(...codesOf(h.signatureAlgorithmsCert));
    else if (e.code === 34 && delegated > 0) out.push(...tshark.slice(out.length, out.length + delegated));
  }
  return out;
}

function asTsharkShows(latin1: string): string {
  return Buffer.from(latin1, 'latin1').toString('utf8');
}

function versionCode(label: string): number {
  const known: Record<string, number> = { SSLv3: 0x0300, 'TLSv1.0': 0x0301, 'TLSv1.1': 0x0302, 'TLSv1.2': 0x0303, 'TLSv1.3': 0x0304 };
  return known[label] ?? Number.parseInt(label.slice(2), 16);
}

describe('parseClientHello against tshark (Wireshark 4.0), an independent dissector', () => {
  it.each(sampleNames)('committed sample %s', async (name) => {
    await expectSameAsTshark(sample(name), name);
  });

  it('ClientHellos in FoxIO JA4 test captures (test/evidence/fixtures/client-hello/foxio)', async () => {
    const expected = JSON.parse(readFileSync(join(FOXIO, 'expected.json'), 'utf8')) as { pcap: string; srcport: number }[];
    for (const { pcap, srcport } of expected) {
      const bytes = await foxioClientHello(join(FOXIO, pcap), srcport);
      await expectSameAsTshark(bytes, `${pcap}-${srcport}`);
    }
  }, 120_000);

  it('synthetic ClientHellos: fragmented, GREASE everywhere, no extensions', async () => {
    await expectSameAsTshark(clientHello({ ...MODERN, extensions: [[0x1a1a, [0]], ...MODERN.extensions, ext.alpn(['h2']), ext.pointFormats([0, 1, 2]), [50, [0, 4, 8, 7, 4, 1]]] }, 50), 'fragmented');
    await expectSameAsTshark(clientHello({ legacyVersion: 0x0301, suites: [0x0005, 0x000a, 0x00ff], extensions: null }), 'no-extensions');
  }, 60_000);

  describe('live ClientHellos captured over loopback', () => {
    it.each(LIVE_CLIENTS.map((c, i) => [c.name, c, i] as const))('%s', async (_name, client, i) => {
      const port = 20_720 + i;
      const bytes = await captureClientHello({ address: testNet('evidence/client-hello').host(1), port, smtp: client.smtp, run: () => client.run(testNet('evidence/client-hello').host(1), port) });
      await expectSameAsTshark(bytes, `live-${client.name}`);
    }, 60_000);
  });
});

describe('robustness (fast-check)', () => {
  const outcome = (bytes: Uint8Array): void => {
    const f = clientHelloFraming(bytes);
    expect(['incomplete', 'complete', 'not-tls']).toContain(f.state);
    if (f.state === 'complete') expect(f.length).toBeLessThanOrEqual(Math.min(bytes.length, MAX_CLIENT_HELLO_INPUT));
    const h = parseClientHello(bytes);
    if (isClientHello(h)) {
      expect(f.state).toBe('complete');
      expect(JSON.parse(JSON.stringify(h))).toEqual(h);
    } else {
      expect(typeof h.error).toBe('string');
      expect(h.error).not.toMatch(/\n/);
    }
  };

  it('never throws on arbitrary bytes, nor on bytes that start like a handshake record', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 4_096 }), outcome), { numRuns: 2_000 });
    const recordLike = fc.tuple(fc.uint8Array({ minLength: 0, maxLength: 2_000 }), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffffff })).map(([rest, recordLength, helloLength]) =>
      Uint8Array.from([22, 3, 1, recordLength >> 8, recordLength & 0xff, 1, helloLength >> 16, (helloLength >> 8) & 0xff, helloLength & 0xff, ...rest]),
    );
    fc.assert(fc.property(recordLike, outcome), { numRuns: 2_000 });
  });

  it('never throws on truncations and mutations of real ClientHellos', () => {
    const real = fc.constantFrom(...sampleNames.map(sample));
    const mutated = fc.tuple(real, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), fc.nat()).map(([bytes, edits, cut]) => {
      const copy = bytes.slice();
      for (const [at, value] of edits) copy[at % copy.length] = value;
      return copy.subarray(0, cut % (copy.length + 1));
    });
    fc.assert(fc.property(mutated, outcome), { numRuns: 3_000 });
    // Mutations inside the body only (record and handshake headers intact) reach the extension parsers.
    const bodyOnly = fc.tuple(real, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 })).map(([bytes, edits]) => {
      const copy = bytes.slice();
      for (const [at, value] of edits) copy[9 + (at % (copy.length - 9))] = value;
      return copy;
    });
    fc.assert(fc.property(bodyOnly, outcome), { numRuns: 3_000 });
  });

  it('stays bounded on large inputs', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 41, max: 0xffff }), (fragment, helloLength) => {
        const header = [1, helloLength >> 16, (helloLength >> 8) & 0xff, helloLength & 0xff];
        const bytes = records(Uint8Array.from([...header, ...new Array<number>(70_000).fill(0)]), fragment);
        const started = performance.now();
        outcome(bytes);
        expect(performance.now() - started).toBeLessThan(1_000);
      }),
      { numRuns: 50 },
    );
  });
});
