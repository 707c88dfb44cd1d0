import { createHash } from 'node:crypto';
import { policyHostname } from './naming.js';
import type { MtaStsSpec } from './profile-schema.js';

/**
 * What a profile publishes by MTA-STS (RFC 8461) and TLS-RPT (RFC 8460), as text: the
 * policy file the policy host serves, its `id`, and the TXT records. Pure, so the zone, the
 * policy server and `badmx zone` all publish the same thing.
 */

/** The local part TLS-RPT reports are mailed to at the probes' own domain (RFC 8460 §3, `rua=mailto:`). */
export const TLSRPT_MAILBOX = 'tlsrpt';

/** The path a policy host accepts TLS-RPT reports on by HTTPS POST (RFC 8460 §3, `rua=https:`; the path is ours to choose). */
export const TLSRPT_HTTPS_PATH = '/tlsrpt';

/** The one path a policy is served at (RFC 8461 §3.3). */
export const POLICY_PATH = '/.well-known/mta-sts.txt';

/** The MX pattern of a policy that does not cover the profile's MX (`mx: not-covered`): a host of the same domain that does not exist. */
export function uncoveredMxPattern(domain: string): string {
  return `mx-elsewhere.${domain}`;
}

/**
 * The policy file (RFC 8461 §3.2): `version`, `mode`, one `mx` per pattern, `max_age`, each
 * line ended by CRLF (the ABNF's `sts-policy-term-delim` allows CRLF or LF; CRLF is what
 * the RFC's own example transmits).
 */
export function stsPolicyText(spec: Pick<MtaStsSpec, 'mode' | 'mx' | 'maxAge'>, names: { hostname: string; domain: string }): string {
  const mx = spec.mx === 'covered' ? names.hostname : uncoveredMxPattern(names.domain);
  return ['version: STSv1', `mode: ${spec.mode}`, `mx: ${mx}`, `max_age: ${spec.maxAge}`].map((line) => `${line}\r\n`).join('');
}

/**
 * The policy's `id` (RFC 8461 §3.1: 1 to 32 alphanumeric characters): derived from the policy
 * text, so it changes exactly when the policy does, as §3.1 asks ("a short string used to
 * track policy updates"), and a sender's cached copy stays valid from run to run.
 */
export function stsPolicyId(policyText: string): string {
  return createHash('sha256').update(policyText).digest('hex').slice(0, 20);
}

/** `_mta-sts.<domain>` TXT (RFC 8461 §3.1). */
export function stsRecord(id: string): string {
  return `v=STSv1; id=${id}`;
}

/** `_smtp._tls.<domain>` TXT (RFC 8460 §3): where senders send their reports, by mail and, where the policy host serves, by HTTPS. */
export function tlsRptRecord(options: { mailboxDomain: string | null; httpsHost?: string | null }): string {
  const rua = options.mailboxDomain ? [`mailto:${TLSRPT_MAILBOX}@${options.mailboxDomain}`] : [];
  if (options.httpsHost) rua.push(`https://${options.httpsHost}${TLSRPT_HTTPS_PATH}`);
  return `v=TLSRPTv1; rua=${rua.join(',')}`;
}

/** What a profile publishes by MTA-STS, where its policy host resolves to, and the policy it serves. */
export interface StsPublication {
  id: string;
  policyHost: string;
  policyAddress: string;
  /** True where the policy host serves (valid or not), so it can take TLS-RPT reports by HTTPS too. */
  reportsByHttps: boolean;
  /** The policy file (served only where `policy` is not `unreachable`). */
  text: string;
  spec: MtaStsSpec;
}

/**
 * A profile's MTA-STS publication, or null for a profile that declares nothing. The policy
 * host resolves to the profile's own address: per-profile addressing then makes an
 * unreachable policy host a refused connection on 443 of that address, as on the internet.
 */
export function stsPublication(spec: MtaStsSpec | undefined | null, names: { hostname: string; domain: string }, address: string): StsPublication | null {
  if (!spec) return null;
  const text = stsPolicyText(spec, names);
  return {
    id: stsPolicyId(text),
    policyHost: policyHostname(names.domain),
    policyAddress: address,
    reportsByHttps: spec.policy === 'served',
    text,
    spec,
  };
}
