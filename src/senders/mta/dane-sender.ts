import { rmSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { tlsaAssociation, type TlsaMatchingType, type TlsaSelector } from '../../certs/tlsa.js';
import type { Probe } from '../../probes/probe.js';
import { BuiltinSender, builtinNames, sessionFailure } from '../builtin-sender.js';
import { queryDns, type DnsAnswer } from '../dns-query.js';
import { SenderError, type ProbeTarget, type SendResult, type Sender, type SenderEnvironment } from '../sender.js';
import { SmtpClientError, SmtpClientSession } from '../smtp-client.js';
import { startSenderResolver, type SenderResolver } from './sender-resolver.js';

/** A TLSA record as a DANE client reads it (RFC 6698 §2.1). */
export interface TlsaRecord {
  usage: number;
  selector: number;
  matchingType: number;
  certificate: Buffer;
}

/**
 * `builtin:dane`: the sending side of RFC 7672, so that a fresh machine can show what a sender
 * that honours DANE does at every profile. It resolves through a validating unbound of its own
 * (sender-resolver.ts), as postfix:dane and exim:dane do, and reads the AD bit and RCODE itself
 * (dns-query.ts). Per probe (RFC 7672 §2.1, §2.2):
 * - the MX RRset, then the MX host's address; a lookup that fails (SERVFAIL: bogus) defers;
 * - where both are secure, the TLSA RRset at `_25._tcp.<MX host>`: SERVFAIL (bogus) defers
 *   (§2.1.1); a secure answer with usable records (DANE-TA(2) or DANE-EE(3), §3.1.3) makes
 *   STARTTLS mandatory and the certificate must match (§3.1.1: DANE-EE the key alone, names and
 *   dates ignored; §3.1.2: DANE-TA the chain up to the named trust anchor, its dates, and the
 *   MX host's or the next-hop domain's name, §3.2.3); records that are all unusable still make
 *   TLS mandatory, unauthenticated (§3.1.3);
 * - otherwise (insecure, no records): opportunistic, as builtin:opportunistic.
 *
 * Not an MTA: where an MTA would defer and retry, it gives up at once and says why, and the run
 * records that as not delivered.
 */
export class DaneSender implements Sender {
  readonly kind = 'builtin' as const;
  readonly spec: string;
  readonly label: string;
  readonly needsDns = true;
  readonly notes = [
    'RFC 7672 sending side: MX, address and TLSA looked up through a validating unbound of its own that trusts only the harness zone\'s DS; secure usable TLSA: STARTTLS required and the certificate must match (DANE-EE: key only; DANE-TA: chain, dates and name); bogus: not delivered; insecure or none: opportunistic',
    'gives up where an MTA would defer and retry (the run records it as not delivered)',
  ];
  readonly #helo: string;
  readonly #timeoutMs: number;
  readonly #fallback: BuiltinSender;
  #resolver: SenderResolver | null = null;
  resolverAddress: string | null = null;
  #workDir: string | null = null;

  constructor(options: { label?: string; timeoutMs?: number } = {}) {
    ({ spec: this.spec, label: this.label, helo: this.#helo } = builtinNames('dane', options.label));
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#fallback = new BuiltinSender('opportunistic', { label: this.label, timeoutMs: this.#timeoutMs });
  }

  async prepare(env: SenderEnvironment): Promise<void> {
    this.#workDir = env.workDir;
    this.#resolver = await startSenderResolver(env, env.workDir, this.spec);
    this.resolverAddress = this.#resolver.unbound.address;
  }

  check(): Promise<void> {
    if (!this.#resolver) return Promise.reject(new SenderError(`${this.spec}: the harness did not prepare this sender (no DNS server)`));
    return Promise.resolve();
  }

  async close(): Promise<void> {
    await this.#resolver?.stop();
    this.#resolver = null;
    if (this.#workDir) rmSync(this.#workDir, { recursive: true, force: true });
  }

  async send(probe: Probe, message: string, target: ProbeTarget): Promise<SendResult> {
    const resolver = this.#resolver?.unbound;
    if (!resolver) return { accepted: false, final: true, detail: 'not prepared: no validating resolver' };
    const ask = (name: string, type: 'MX' | 'A' | 'TLSA'): Promise<DnsAnswer> => queryDns(resolver, name, type, { timeoutMs: this.#timeoutMs });
    try {
      const domain = target.domain.toLowerCase();
      const mx = await ask(domain, 'MX');
      if (mx.rcode !== 'NOERROR') return { accepted: true, final: true, detail: `MX lookup for ${domain}: ${mx.rcode}; not delivered` };
      const exchanges = mx.answers.flatMap((a) => (a.type === 'MX' ? [{ preference: a.data.preference ?? 0, host: a.data.exchange.toLowerCase().replace(/\.$/, '') }] : []));
      const host = exchanges.sort((a, b) => a.preference - b.preference)[0]?.host;
      if (!host) return { accepted: true, final: true, detail: `no MX for ${domain}; not delivered` };
      const a = await ask(host, 'A');
      const found = a.answers.find((r) => r.type === 'A');
      const address = found?.type === 'A' ? found.data : undefined;
      if (a.rcode !== 'NOERROR' || typeof address !== 'string') return { accepted: true, final: true, detail: `address lookup for ${host}: ${a.rcode}; not delivered` };
      // §2.2.2: TLSA records are looked up only for an MX host whose MX and address records are secure.
      if (!mx.authenticated || !a.authenticated) return this.#opportunistic(probe, message, target, address, `MX or address of ${host} not DNSSEC-secure: DANE does not apply (RFC 7672 §2.2)`);
      const tlsa = await ask(`_25._tcp.${host}`, 'TLSA');
      if (tlsa.rcode === 'SERVFAIL') return { accepted: true, final: true, detail: `TLSA lookup error for ${host}:25 (SERVFAIL: the records fail DNSSEC validation): not delivered (RFC 7672 §2.1.2)` };
      const records = tlsa.rcode === 'NOERROR' && tlsa.authenticated ? tlsa.answers.flatMap((r) => (r.type === 'TLSA' ? [r.data] : [])) : [];
      if (tlsa.rcode !== 'NOERROR' && tlsa.rcode !== 'NXDOMAIN') return { accepted: true, final: true, detail: `TLSA lookup error for ${host}:25 (${tlsa.rcode}): not delivered (RFC 7672 §2.1.2)` };
      if (records.length === 0) return this.#opportunistic(probe, message, target, address, tlsa.authenticated ? `no TLSA records for ${host}` : `TLSA records for ${host} not DNSSEC-secure: not used (RFC 7672 §2.2)`);
      return await this.#dane(probe, message, { ...target, address }, host, domain, records);
    } catch (error) {
      return sessionFailure(error);
    }
  }

  async #opportunistic(probe: Probe, message: string, target: ProbeTarget, address: string, why: string): Promise<SendResult> {
    const result = await this.#fallback.send(probe, message, { ...target, address });
    return { ...result, detail: `${why}; ${result.detail}` };
  }

  /** DANE: STARTTLS is mandatory, and the certificate must match a usable record (RFC 7672 §3). */
  async #dane(probe: Probe, message: string, target: ProbeTarget, host: string, domain: string, records: TlsaRecord[]): Promise<SendResult> {
    const usable = records.filter((r) => (r.usage === 2 || r.usage === 3) && (r.selector === 0 || r.selector === 1) && r.matchingType >= 0 && r.matchingType <= 2);
    const session = await SmtpClientSession.connect(target.address, target.port, this.#timeoutMs);
    try {
      const banner = await session.reply('banner');
      if (banner.code !== 220) throw new SmtpClientError(`banner ${banner.lines.join(' / ')}`, 'EREPLY', 'banner', banner.code);
      await session.greet(this.#helo);
      if (!session.extensions.has('STARTTLS')) {
        return { accepted: true, final: true, detail: `DANE: ${host} has TLSA records but does not offer STARTTLS: not delivered (RFC 7672 §2.2)` };
      }
      await session.command('STARTTLS');
      // SNI: the MX host (§8.1); the certificate is checked against the TLSA records below, not by PKIX.
      // ca: [] so that Node's roots are not in the context: the chain read back is what the server sent (§3.1.2: the anchor must be in it).
      const tls = await session.startTls({ servername: host, rejectUnauthorized: false, minVersion: 'TLSv1.2', ca: [] });
      const problem = usable.length === 0 ? null : daneMismatch(presentedChain(tls), usable, [host, domain]);
      if (problem) return { accepted: true, final: true, detail: `DANE: ${problem} (RFC 7672 §3): not delivered` };
      await session.greet(this.#helo);
      await session.transaction(probe.from, probe.recipient, message);
      return { accepted: true, final: true, detail: `delivered over ${tls.getProtocol() ?? 'TLS'}, ${usable.length === 0 ? 'unauthenticated: every TLSA record is unusable (RFC 7672 §3.1.3)' : 'authenticated by DANE'}` };
    } finally {
      await session.quit();
    }
  }
}

/** The chain the server presented, leaf first. */
function presentedChain(socket: TLSSocket): X509Certificate[] {
  const chain: X509Certificate[] = [];
  let certificate: PeerCertificate | null = socket.getPeerCertificate(true);
  const seen = new Set<string>();
  while (certificate?.raw && !seen.has(certificate.fingerprint256)) {
    seen.add(certificate.fingerprint256);
    chain.push(new X509Certificate(certificate.raw));
    certificate = (certificate as PeerCertificate & { issuerCertificate?: PeerCertificate }).issuerCertificate ?? null;
  }
  return chain;
}

function matches(record: TlsaRecord, certificate: X509Certificate): boolean {
  return tlsaAssociation(certificate, record.selector as TlsaSelector, record.matchingType as TlsaMatchingType).equals(Buffer.from(record.certificate));
}

/**
 * Why the presented chain matches none of the usable records, or null when one authenticates it:
 * DANE-EE(3) matches the leaf alone (§3.1.1); DANE-TA(2) matches a certificate the server sent
 * above the leaf, each certificate below it signed by the next, the leaf within its dates and
 * naming one of the reference identifiers, the MX host or the next-hop domain (§3.1.2, §3.2.3).
 */
export function daneMismatch(chain: readonly X509Certificate[], records: readonly TlsaRecord[], names: readonly string[], now = new Date()): string | null {
  const leaf = chain[0];
  if (!leaf) return 'the server presented no certificate';
  if (records.some((r) => r.usage === 3 && matches(r, leaf))) return null;
  for (const record of records.filter((r) => r.usage === 2)) {
    const anchor = chain.findIndex((certificate, i) => i > 0 && matches(record, certificate));
    if (anchor < 0) continue;
    const signed = chain.slice(0, anchor).every((certificate, i) => certificate.checkIssued(chain[i + 1] as X509Certificate) && certificate.verify((chain[i + 1] as X509Certificate).publicKey));
    if (!signed) return 'the chain up to the DANE-TA trust anchor does not verify';
    const outside = chain.slice(0, anchor).find((certificate) => now < new Date(certificate.validFrom) || now > new Date(certificate.validTo));
    if (outside) return `${outside === leaf ? 'the certificate is' : 'a certificate below the trust anchor is'} outside its validity dates (DANE-TA checks them)`;
    if (!names.some((name) => leaf.checkHost(name) !== undefined)) return `the certificate names neither ${names.join(' nor ')} (DANE-TA checks the name)`;
    return null;
  }
  return 'no TLSA record matches the certificate chain presented';
}
