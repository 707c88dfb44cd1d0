import { Resolver } from 'node:dns/promises';
import { readFileSync, rmSync } from 'node:fs';
import { rootCertificates, type ConnectionOptions } from 'node:tls';
import type { Probe } from '../probes/probe.js';
import { BuiltinSender, builtinNames, sessionFailure } from './builtin-sender.js';
import { SenderError, type ProbeTarget, type SendResult, type Sender, type SenderEnvironment } from './sender.js';
import { SmtpClientError, SmtpClientSession } from './smtp-client.js';
import { fetchStsPolicy } from './sts-fetch.js';
import { mxMatches, parseStsRecord, type StsPolicy } from './sts-policy.js';
import { deliverTlsReport, parseTlsRptRecord, type ReportDelivery } from './tlsrpt-delivery.js';
import { buildTlsReport } from '../tlsrpt/build-tlsrpt.js';

/** RFC 8460 §4.3 result types this sender can meet. */
export type TlsRptResultType =
  | 'starttls-not-supported'
  | 'certificate-host-mismatch'
  | 'certificate-expired'
  | 'certificate-not-trusted'
  | 'validation-failure'
  | 'sts-policy-fetch-error'
  | 'sts-policy-invalid'
  | 'sts-webpki-invalid';

/** What happened to one probe, as a TLS-RPT report would state it (RFC 8460 §4.4). */
export interface StsSessionResult {
  domain: string;
  policy: { type: 'sts'; mode: StsPolicy['mode']; mx: string[]; maxAge: number } | { type: 'no-policy-found' };
  mxHost: string;
  address: string;
  /** Null when the session met the policy. */
  failure: TlsRptResultType | null;
  detail: string;
}

interface CachedPolicy {
  id: string;
  policy: StsPolicy;
  /** ms since the epoch: fetched at + max_age (RFC 8461 §3.2). */
  expires: number;
}

/**
 * `builtin:mta-sts`: the sending side of RFC 8461, so that a fresh machine can show what a
 * sender that honours MTA-STS does at every profile. Like an MTA it finds everything through
 * DNS (the harness's): the `_mta-sts` TXT record (§3.1), the policy host, the MX.
 *
 * Per probe, for the recipient domain (§5, "Policy Application"):
 * - the policy: the cached one while its id is what the TXT record says and it has not
 *   expired; else fetched anew (§3.3); a failed fetch falls back to an unexpired cached policy
 *   (§3.3: "the sender MUST apply that cached policy"; an attacker who blocks the fetch removes nothing, §10.2),
 *   else to no policy;
 * - `enforce`: deliver only to an MX that a policy `mx` pattern matches (§4.1) over STARTTLS
 *   with a certificate valid for that MX host under PKIX (§4.2); otherwise not at all;
 * - `testing`: check the same, report what failed, and deliver anyway (opportunistically);
 * - no policy, or `none`: opportunistic, as builtin:opportunistic.
 *
 * Not an MTA: it gives up at once where an MTA would defer and retry (§5: "the sending MTA ...
 * SHOULD treat the message as a temporary failure"), and the run records that as not delivered.
 * postalsys's mx-connect implements the same RFC, but fetches policies through the process's
 * global trust store and DNS, and badmx needs the harness's resolver and the test root.
 */
export class MtaStsSender implements Sender {
  readonly kind = 'builtin' as const;
  readonly spec: string;
  readonly label: string;
  readonly needsDns = true;
  readonly notes = [
    'RFC 8461 sending side: _mta-sts TXT and policy fetched through the harness DNS; enforce: STARTTLS with a certificate valid for a listed MX, or no delivery; testing and no policy: opportunistic',
    'policies cached for max_age across the run (a changed id refetches); a failed fetch falls back to the cached policy',
    'DEVIATION: TLS-RPT (RFC 8460) reports sent at once, one per probe, to every rua of the domain (an MTA sends one a day per domain, §4.1)',
  ];
  /** What each probe met, for TLS-RPT (the run reads the receivers, not this). */
  readonly results: StsSessionResult[] = [];
  /** The TLS reports it sent and where each went. */
  readonly reports: { domain: string; probe: string; deliveries: ReportDelivery[] }[] = [];
  readonly #helo: string;
  readonly #timeoutMs: number;
  readonly #cache = new Map<string, CachedPolicy>();
  #resolver: Resolver | null = null;
  #ca: string[] = [...rootCertificates];
  #workDir: string | null = null;
  readonly #policyPort: number;
  /** Where no policy applies, or a testing one failed: opportunistic delivery, as builtin:opportunistic does it, with this sender's EHLO name. */
  readonly #fallback: BuiltinSender;

  constructor(options: { label?: string; timeoutMs?: number; policyPort?: number } = {}) {
    ({ spec: this.spec, label: this.label, helo: this.#helo } = builtinNames('mta-sts', options.label));
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#policyPort = options.policyPort ?? 443;
    this.#fallback = new BuiltinSender('opportunistic', { label: this.label, timeoutMs: this.#timeoutMs });
  }

  prepare(env: SenderEnvironment): Promise<void> {
    const resolver = new Resolver({ timeout: 3_000, tries: 2 });
    resolver.setServers([env.dns.address.includes(':') ? `[${env.dns.address}]:${env.dns.port}` : `${env.dns.address}:${env.dns.port}`]);
    this.#resolver = resolver;
    // The system's roots and the harness test root, as every managed sender trusts them.
    this.#ca = [...rootCertificates, readFileSync(env.caFile, 'utf8')];
    this.#workDir = env.workDir;
    return Promise.resolve();
  }

  check(): Promise<void> {
    if (!this.#resolver) return Promise.reject(new SenderError(`${this.spec}: the harness did not prepare this sender (no DNS server)`));
    return Promise.resolve();
  }

  close(): Promise<void> {
    if (this.#workDir) rmSync(this.#workDir, { recursive: true, force: true });
    return Promise.resolve();
  }

  async send(probe: Probe, message: string, target: ProbeTarget): Promise<SendResult> {
    const resolver = this.#resolver;
    if (!resolver) return { accepted: false, final: true, detail: 'not prepared: no DNS server' };
    const start = new Date();
    // This probe's own results: probes to other domains are in flight at the same time.
    const met: StsSessionResult[] = [];
    const result = await this.#send(probe, message, target, resolver, met);
    this.results.push(...met);
    if (met.length > 0) await this.#report(target.domain.toLowerCase(), probe, met, start, resolver);
    return result;
  }

  /**
   * RFC 8460: tell the domain what its policy met, where its `_smtp._tls` record asks. A sending
   * MTA sends one report a day per domain (§4.1); this sender sends one per probe, at once, so
   * that the run can hold it (a documented deviation, in `notes`).
   */
  async #report(domain: string, probe: Probe, met: StsSessionResult[], start: Date, resolver: Resolver): Promise<void> {
    const record = parseTlsRptRecord(await resolver.resolveTxt(`_smtp._tls.${domain}`).catch((): string[][] => []));
    if ('error' in record) return;
    const withPolicy = met.find((r) => r.policy.type === 'sts');
    const policy = withPolicy?.policy.type === 'sts' ? withPolicy.policy : null;
    // A domain whose _mta-sts record named a policy that could not be fetched declared one all the same.
    const declared = policy !== null || met.some((r) => r.failure?.startsWith('sts-') === true);
    const sessions = met.filter((r) => r.mxHost !== '');
    const failures = met.filter((r) => r.failure !== null);
    const report = buildTlsReport({
      organizationName: this.label,
      contactInfo: `mailto:tlsrpt@${this.#helo}`,
      reportId: `${probe.id}.${domain}`,
      start,
      end: new Date(Math.max(Date.now(), start.getTime() + 1)),
      policies: [
        {
          policyType: declared ? 'sts' : 'no-policy-found',
          policyDomain: domain,
          ...(policy ? { policyString: ['version: STSv1', `mode: ${policy.mode}`, ...policy.mx.map((mx) => `mx: ${mx}`), `max_age: ${policy.maxAge}`], mxHost: policy.mx } : {}),
          successful: sessions.filter((r) => r.failure === null).length,
          failed: failures.length,
          failures: failures.map((r) => ({
            resultType: r.failure as TlsRptResultType,
            count: 1,
            ...(r.mxHost ? { receivingMxHostname: r.mxHost } : {}),
            ...(r.address ? { receivingIp: r.address } : {}),
            failureReasonCode: r.detail.slice(0, 200),
          })),
        },
      ],
    });
    const deliveries = await deliverTlsReport(report, record.rua, {
      resolver,
      ca: this.#ca,
      helo: this.#helo,
      submitter: this.#helo,
      from: `tlsrpt@${this.#helo}`,
      policyDomain: domain,
      timeoutMs: this.#timeoutMs,
    });
    this.reports.push({ domain, probe: probe.id, deliveries });
  }

  async #send(probe: Probe, message: string, target: ProbeTarget, resolver: Resolver, met: StsSessionResult[]): Promise<SendResult> {
    const domain = target.domain.toLowerCase();
    const { policy, note } = await this.#policyFor(domain, resolver, met);
    let mxHost: string;
    let address: string;
    try {
      mxHost = await lowestMx(resolver, domain);
      const addresses = await resolver.resolve4(mxHost);
      address = addresses[0] ?? '';
      if (!address) throw new Error(`no A record for ${mxHost}`);
    } catch (error) {
      // Nothing was said to any receiver: try again later, as an MTA would (RFC 5321 §4.5.4.1).
      return { accepted: false, final: false, detail: `DNS: ${(error as Error).message}`, failure: { kind: 'unreachable', code: null } };
    }
    const record = (failure: TlsRptResultType | null, detail: string): void => {
      met.push({
        domain,
        policy: policy ? { type: 'sts', mode: policy.mode, mx: policy.mx, maxAge: policy.maxAge } : { type: 'no-policy-found' },
        mxHost,
        address,
        failure,
        detail,
      });
    };
    const where = { ...target, hostname: mxHost, address };

    if (!policy || policy.mode === 'none') {
      const how = await this.#opportunistic(probe, message, where);
      record(null, how.detail);
      return { ...how, detail: `${note}; ${how.detail}` };
    }
    // §4.1: the MX must be one the policy lists.
    const problem = mxMatches(mxHost, policy.mx) ? null : ({ type: 'validation-failure', detail: `MX ${mxHost} matches no mx pattern of the policy (${policy.mx.join(', ')})` } as const);
    if (problem && policy.mode === 'enforce') {
      record(problem.type, problem.detail);
      // Accepted: the sender took the probe and this is its final word, as a managed MTA's log
      // line is (judge-cell.ts reads it when no connection reached the receiver). Nothing was
      // refused at submission: a built-in sender is its own submission.
      return { accepted: true, final: true, detail: `${note}; MTA-STS enforce: ${problem.detail} (RFC 8461 §4.1): not delivered` };
    }
    try {
      const how = await this.#validated(probe, message, where);
      record(problem?.type ?? null, problem?.detail ?? how);
      return { accepted: true, final: true, detail: `${note}; ${how}${problem ? ` (testing: ${problem.detail})` : ''}` };
    } catch (error) {
      // Only what the policy is about fails the policy (RFC 8460 §4.3: no STARTTLS, a failed
      // handshake, a certificate): a busy MX, a refused recipient or a dropped connection is an
      // SMTP outcome, said as builtin:opportunistic says it, never retried in another session.
      if (!isTlsFailure(error)) {
        record(null, (error as Error).message);
        return sessionFailure(error, note);
      }
      const failure = resultType(error);
      const detail = (error as Error).message;
      record(failure, detail);
      if (policy.mode === 'enforce') return { accepted: true, final: true, detail: `${note}; MTA-STS enforce: ${detail} (RFC 8461 §4.2, §5): not delivered` };
      // §5: in testing mode the sender delivers regardless, and reports.
      const how = await this.#opportunistic(probe, message, where);
      return { ...how, detail: `${note}; testing: ${detail}; ${how.detail}` };
    }
  }

  /** The policy that applies to a domain now, and a few words on where it came from. */
  async #policyFor(domain: string, resolver: Resolver, met: StsSessionResult[]): Promise<{ policy: StsPolicy | null; note: string }> {
    const now = Date.now();
    const cached = this.#cache.get(domain);
    const fresh = cached && cached.expires > now ? cached : null;
    // NXDOMAIN, SERVFAIL: no record to go by.
    const txt = await resolver.resolveTxt(`_mta-sts.${domain}`).catch((): string[][] => []);
    const record = parseStsRecord(txt);
    if ('error' in record) {
      // §3.3: without a record, a cached unexpired policy still applies.
      return fresh ? { policy: fresh.policy, note: `MTA-STS ${fresh.policy.mode} (cached; ${record.error})` } : { policy: null, note: `no MTA-STS policy (${record.error})` };
    }
    if (fresh && fresh.id === record.id) return { policy: fresh.policy, note: `MTA-STS ${fresh.policy.mode} (cached, id ${record.id})` };
    const fetched = await fetchStsPolicy(domain, { resolver, ca: this.#ca, port: this.#policyPort, userAgent: `badmx-${this.#helo}` });
    if ('failure' in fetched) {
      if (fresh) return { policy: fresh.policy, note: `MTA-STS ${fresh.policy.mode} (cached; the fetch failed: ${fetched.failure.detail})` };
      met.push({ domain, policy: { type: 'no-policy-found' }, mxHost: '', address: '', failure: fetched.failure.kind, detail: fetched.failure.detail });
      return { policy: null, note: `no valid MTA-STS policy: ${fetched.failure.detail} (RFC 8461 §3.3, §5: deliver as without one)` };
    }
    this.#cache.set(domain, { id: record.id, policy: fetched.policy, expires: now + fetched.policy.maxAge * 1000 });
    return { policy: fetched.policy, note: `MTA-STS ${fetched.policy.mode} (fetched, id ${record.id})` };
  }

  /** STARTTLS required, the certificate verified for the MX host (RFC 8461 §4.2). Throws what failed. */
  async #validated(probe: Probe, message: string, target: ProbeTarget): Promise<string> {
    const tls: ConnectionOptions = { servername: target.hostname, ca: this.#ca, rejectUnauthorized: true };
    const session = await SmtpClientSession.connect(target.address, target.port, this.#timeoutMs);
    try {
      const banner = await session.reply('banner');
      if (banner.code !== 220) throw new SmtpClientError(`banner ${banner.lines.join(' / ')}`, 'EREPLY', 'banner', banner.code);
      await session.greet(this.#helo);
      if (!session.extensions.has('STARTTLS')) throw new SmtpClientError('the MX does not offer STARTTLS', 'EPROTOCOL', 'EHLO');
      await session.command('STARTTLS');
      const socket = await session.startTls(tls);
      await session.greet(this.#helo);
      await session.transaction(probe.from, probe.recipient, message);
      return `delivered over ${socket.getProtocol() ?? 'TLS'}, certificate valid for ${target.hostname}`;
    } finally {
      await session.quit();
    }
  }

  /** What builtin:opportunistic does (the same code, under this sender's name): TLS when offered, unverified; plaintext otherwise. */
  #opportunistic(probe: Probe, message: string, target: ProbeTarget): Promise<SendResult> {
    return this.#fallback.send(probe, message, target);
  }
}

/** The lowest-preference MX of a domain (RFC 5321 §5.1). */
async function lowestMx(resolver: Resolver, domain: string): Promise<string> {
  const records = await resolver.resolveMx(domain);
  const best = [...records].sort((a, b) => a.priority - b.priority)[0];
  if (!best) throw new Error(`no MX record for ${domain}`);
  return best.exchange.toLowerCase().replace(/\.$/, '');
}

/** The failures a policy is about: no STARTTLS offered, STARTTLS refused, the handshake or the certificate. */
function isTlsFailure(error: unknown): boolean {
  if (!(error instanceof SmtpClientError)) return false;
  return (error.stage === 'EHLO' && error.code === 'EPROTOCOL') || error.stage === 'STARTTLS';
}


/** The RFC 8460 §4.3.1 result type of a failed validated session. */
function resultType(error: unknown): TlsRptResultType {
  if (error instanceof SmtpClientError && error.stage === 'EHLO') return 'starttls-not-supported';
  if (error instanceof SmtpClientError && error.stage === 'STARTTLS' && error.code !== 'ETLS') return 'starttls-not-supported';
  const code = ((error as { cause?: { code?: string } }).cause?.code ?? '').toUpperCase();
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') return 'certificate-expired';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return 'certificate-host-mismatch';
  if (/SELF_SIGNED|UNABLE_TO_GET_ISSUER|UNABLE_TO_VERIFY_LEAF|CERT_UNTRUSTED|CERT_CHAIN_TOO_LONG/.test(code)) return 'certificate-not-trusted';
  return 'validation-failure';
}
