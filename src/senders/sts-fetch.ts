import { request } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { Resolver } from 'node:dns/promises';
import { parseStsPolicy, type StsPolicy } from './sts-policy.js';

/** §3.3 lets senders bound the fetch; 64 KiB is what it suggests a policy fits in ("SHOULD ... 64 KB"). */
const MAX_POLICY_BYTES = 64 * 1024;
/** A policy host that has not answered in this long is a fetch failure (§3.3 suggests "a short timeout"). */
const FETCH_TIMEOUT_MS = 10_000;

export type FetchFailure =
  /** The TLS-RPT result type (RFC 8460 §4.3.2.2) this failure is reported as. */
  { kind: 'sts-policy-fetch-error' | 'sts-webpki-invalid' | 'sts-policy-invalid'; detail: string };

/**
 * Fetch `https://mta-sts.<domain>/.well-known/mta-sts.txt` as RFC 8461 §3.3 says: over
 * HTTPS with a certificate valid for the policy host under PKIX (`ca`: the roots the sender
 * trusts), with SNI, no redirects ("MUST NOT follow redirects"), only a 200 counts, the
 * media type must be text/plain, and the body is bounded. The policy host's address comes
 * from `resolver`, the sender's own DNS.
 */
export async function fetchStsPolicy(
  domain: string,
  options: { resolver: Resolver; ca: string[]; port?: number; userAgent: string },
): Promise<{ policy: StsPolicy } | { failure: FetchFailure }> {
  const host = `mta-sts.${domain}`;
  const lookup = resolverLookup(options.resolver);
  return new Promise((resolve) => {
    const fail = (kind: FetchFailure['kind'], detail: string): void => resolve({ failure: { kind, detail } });
    const req = request(
      {
        host,
        port: options.port ?? 443,
        path: '/.well-known/mta-sts.txt',
        method: 'GET',
        servername: host,
        ca: options.ca,
        rejectUnauthorized: true,
        lookup,
        headers: { 'user-agent': options.userAgent, accept: 'text/plain' },
        timeout: FETCH_TIMEOUT_MS,
        agent: false,
      },
      (response) => {
        const status = response.statusCode ?? 0;
        if (status !== 200) {
          response.resume();
          // §3.3: "Senders MUST NOT follow redirects": a 3xx is a failed fetch like any other non-200.
          return fail('sts-policy-fetch-error', `the policy host answered HTTP ${status}${status >= 300 && status < 400 ? ' (a redirect, which RFC 8461 §3.3 forbids following)' : ''}`);
        }
        const type = String(response.headers['content-type'] ?? '');
        if (!/^text\/plain\s*(;|$)/i.test(type)) {
          response.resume();
          return fail('sts-policy-invalid', `the policy is served as "${type}", not text/plain (RFC 8461 §3.3)`);
        }
        const chunks: Buffer[] = [];
        let bytes = 0;
        response.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (bytes > MAX_POLICY_BYTES) {
            req.destroy();
            return fail('sts-policy-invalid', `the policy is larger than ${MAX_POLICY_BYTES} bytes`);
          }
          chunks.push(chunk);
        });
        response.on('end', () => {
          const parsed = parseStsPolicy(Buffer.concat(chunks).toString('utf8'));
          if ('error' in parsed) return fail('sts-policy-invalid', parsed.error);
          resolve({ policy: parsed });
        });
        response.on('error', (error) => fail('sts-policy-fetch-error', error.message));
      },
    );
    req.on('timeout', () => {
      req.destroy();
      fail('sts-policy-fetch-error', `the policy host did not answer within ${FETCH_TIMEOUT_MS} ms`);
    });
    // The whole fetch, not only each silence: a host trickling octets does not hold a delivery for long.
    const deadline = setTimeout(() => {
      req.destroy();
      fail('sts-policy-fetch-error', `the policy was not fetched within ${FETCH_TIMEOUT_MS} ms`);
    }, FETCH_TIMEOUT_MS);
    deadline.unref();
    req.on('close', () => clearTimeout(deadline));
    req.on('error', (error: NodeJS.ErrnoException) => {
      // A certificate the sender cannot validate for the policy host: RFC 8460 §4.3.2.2 "sts-webpki-invalid".
      const webpki = /CERT|SELF_SIGNED|UNABLE_TO|ERR_TLS_CERT_ALTNAME_INVALID|DEPTH_ZERO/.test(error.code ?? '');
      fail(webpki ? 'sts-webpki-invalid' : 'sts-policy-fetch-error', `${error.code ? `${error.code}: ` : ''}${error.message}`);
    });
    req.end();
  });
}

/**
 * A `lookup` for node:net and node:https that asks the sender's own resolver (the harness DNS)
 * for A records instead of the system's; it answers both shapes Node asks for (`all`, as
 * happy-eyeballs connects do, or one address).
 */
export function resolverLookup(resolver: Resolver): LookupFunction {
  return (hostname, lookupOptions, callback) => {
    resolver.resolve4(hostname).then(
      (addresses) => {
        const address = addresses[0];
        if (!address) return callback(Object.assign(new Error(`no A record for ${hostname}`), { code: 'ENOTFOUND' }), '', 4);
        if (lookupOptions.all) return (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address, family: 4 }]);
        return callback(null, address, 4);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 4),
    );
  };
}
