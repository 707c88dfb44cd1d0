import { isClientHello, parseClientHello, type ClientHello } from '../evidence/client-hello.js';
import { ja3, ja4 } from '../evidence/tls-fingerprint.js';
import type { ReceiverEvent } from '../recorder/events.js';

/** A connection's ClientHello in brief (ConnectionSummary.clientHello): its fingerprints, or why there are none. */
export interface ConnectionHello {
  /** JA4 (FoxIO), null when the bytes hold no readable ClientHello. */
  ja4: string | null;
  /** JA3's MD5 (Salesforce), likewise. */
  ja3: string | null;
  /** Why the recorded octets are no ClientHello badmx can read, else null. */
  error: string | null;
}

/** One distinct ClientHello of a sender (same JA4, JA3 and SNI), with where it was seen. */
export interface SenderHello {
  ja4: string;
  /** JA4_r: the sorted lists written out. */
  ja4Raw: string;
  ja3: string;
  ja3Full: string;
  /** How many of the sender's connections sent it, and at which profiles. */
  connections: number;
  profiles: string[];
  /** The first one as parsed (evidence/client-hello.ts), and its octets as recorded (hex): the raw data. */
  hello: ClientHello;
  hex: string;
}

/** What a sender offers in its TLS handshakes (run.json `senders[].tlsClient`). */
export interface SenderTlsClient {
  hellos: SenderHello[];
  /** Plain findings over all of them, worst first: "offers TLS 1.0 and TLS 1.1", "offers 3DES", "sends no SNI". */
  findings: string[];
}

function read(hex: string): ClientHello | { error: string } {
  return parseClientHello(Buffer.from(hex, 'hex'));
}

/** The brief of one recorded `client-hello` event. */
export function connectionHello(event: Extract<ReceiverEvent, { type: 'client-hello' }>): ConnectionHello {
  if (!event.complete) return { ja4: null, ja3: null, error: 'the client sent something other than a complete ClientHello' };
  const hello = read(event.hex);
  if (!isClientHello(hello)) return { ja4: null, ja3: null, error: hello.error };
  return { ja4: ja4(hello).ja4, ja3: ja3(hello).hash, error: null };
}

/**
 * A sender's ClientHellos, from the `client-hello` events of the connections attributed to it
 * (its cells' evidence): grouped by JA4, JA3 and SNI, and read into findings. Null when none of
 * its connections reached a ClientHello (no TLS attempted, or none recorded by this badmx).
 */
export function senderTlsClient(
  events: readonly ReceiverEvent[],
  connections: readonly { conn: string; profile: string }[],
): SenderTlsClient | null {
  const wanted = new Map(connections.map((c) => [c.conn, c.profile]));
  const groups = new Map<string, SenderHello>();
  for (const event of events) {
    if (event.type !== 'client-hello' || !event.complete || !wanted.has(event.conn)) continue;
    const hello = read(event.hex);
    if (!isClientHello(hello)) continue;
    const four = ja4(hello);
    const three = ja3(hello);
    const key = JSON.stringify([four.ja4, three.hash, hello.sni]);
    const profile = wanted.get(event.conn) as string;
    const seen = groups.get(key);
    if (seen) {
      seen.connections += 1;
      if (!seen.profiles.includes(profile)) seen.profiles.push(profile);
    } else {
      groups.set(key, { ja4: four.ja4, ja4Raw: four.raw, ja3: three.hash, ja3Full: three.full, connections: 1, profiles: [profile], hello, hex: event.hex });
    }
  }
  if (groups.size === 0) return null;
  const hellos = [...groups.values()];
  return { hellos, findings: helloFindings(hellos) };
}

function listed(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/**
 * What the ClientHellos say in plain words. Only what is on the wire: a ClientHello without
 * supported_versions states only its highest version (RFC 5246 Appendix E.1), so its legacy
 * versions are said to be "not ruled out", not "offered".
 */
export function helloFindings(hellos: readonly Pick<SenderHello, 'hello' | 'connections'>[]): string[] {
  const findings: string[] = [];
  const stated = new Set<string>();
  const implied = new Set<string>();
  for (const { hello } of hellos) {
    for (const version of hello.legacyVersionsOffered) (hello.versionsSource === 'supported_versions' ? stated : implied).add(version);
  }
  const name = (v: string) => v.replace(/^TLSv/, 'TLS ').replace(/^SSLv3$/, 'SSL 3.0');
  const order = ['SSLv3', 'TLSv1.0', 'TLSv1.1'];
  const statedList = order.filter((v) => stated.has(v));
  const impliedList = order.filter((v) => implied.has(v) && !stated.has(v));
  if (statedList.length) findings.push(`offers ${listed(statedList.map(name))} (retired: RFC 8996${stated.has('SSLv3') ? ', RFC 7568' : ''})`);
  if (impliedList.length) findings.push(`does not rule out ${listed(impliedList.map(name))}: a ClientHello without supported_versions states only its highest version`);
  const any = (flag: keyof ClientHello['weaknesses']) => hellos.some(({ hello }) => hello.weaknesses[flag]);
  if (any('null')) findings.push('offers NULL cipher suites (no encryption)');
  if (any('anon')) findings.push('offers anonymous cipher suites (no server authentication)');
  if (any('export')) findings.push('offers EXPORT cipher suites (FREAK, Logjam)');
  if (any('rc4')) findings.push('offers RC4 (prohibited by RFC 7465)');
  if (any('des')) findings.push('offers single DES');
  if (any('tripleDes')) findings.push('offers 3DES (64-bit blocks: Sweet32, CVE-2016-2183)');
  if (any('staticRsa')) findings.push('offers RSA key transport (no forward secrecy)');
  if (any('cbc')) findings.push('offers CBC cipher suites');
  if (hellos.some(({ hello }) => hello.compressionMethods.some((m) => m !== 0))) findings.push('offers TLS compression (CRIME)');
  const total = hellos.reduce((sum, h) => sum + h.connections, 0);
  const withoutSni = hellos.filter(({ hello }) => hello.sni === null).reduce((sum, h) => sum + h.connections, 0);
  if (withoutSni === total) findings.push('sends no SNI');
  else if (withoutSni > 0) findings.push(`sends no SNI on ${withoutSni} of ${total} connections`);
  if (hellos.some(({ hello }) => hello.offersPostQuantum)) findings.push('offers a post-quantum key exchange');
  return findings;
}
