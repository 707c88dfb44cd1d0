import type { Resolver } from 'node:dns/promises';
import { request } from 'node:https';
import { gzipSync } from 'node:zlib';
import { tlsReportMessage } from '../tlsrpt/build-tlsrpt.js';
import type { TlsReport } from '../tlsrpt/tlsrpt-schema.js';
import { SmtpClientSession } from './smtp-client.js';
import { resolverLookup } from './sts-fetch.js';

/**
 * Sending a TLS report where the policy domain asks for it (RFC 8460): its `_smtp._tls` TXT
 * record names the `rua` URIs (§3), and each gets the report: by mail (`mailto:`, §5.3) to the
 * address's MX, or by HTTPS POST (`https:`, §5.4). What badmx's own RFC 8461 sender uses.
 */

/** §3: "v=TLSRPTv1; rua=<uri>[,<uri>...]": the URIs, or an error when there is not exactly one such record. */
export function parseTlsRptRecord(records: string[][]): { rua: string[] } | { error: string } {
  const found = records.map((strings) => strings.join('')).filter((text) => /^v=TLSRPTv1\s*;/.test(text));
  if (found.length !== 1) return { error: found.length === 0 ? 'no _smtp._tls record begins with "v=TLSRPTv1;"' : `${found.length} _smtp._tls records (RFC 8460 §3: exactly one)` };
  const rua = /(?:^|;)\s*rua\s*=\s*([^;]*)/.exec(found[0] as string)?.[1];
  if (!rua) return { error: 'the _smtp._tls record has no rua=' };
  const uris = rua
    .split(',')
    .map((uri) => uri.trim())
    .filter((uri) => /^(mailto:[^@\s]+@[^@\s]+|https:\/\/\S+)$/i.test(uri));
  if (uris.length === 0) return { error: `the _smtp._tls record's rua names no mailto: or https: URI ("${rua}")` };
  return { rua: uris };
}

export interface ReportDelivery {
  uri: string;
  ok: boolean;
  detail: string;
}

/** Send one report to every `rua` URI; never throws: each URI's outcome is returned. */
export async function deliverTlsReport(
  report: TlsReport,
  rua: readonly string[],
  options: { resolver: Resolver; ca: string[]; helo: string; submitter: string; from: string; policyDomain: string; timeoutMs: number },
): Promise<ReportDelivery[]> {
  return Promise.all(
    rua.map(async (uri): Promise<ReportDelivery> => {
      try {
        if (uri.toLowerCase().startsWith('mailto:')) {
          const to = decodeURIComponent(uri.slice('mailto:'.length).split('?')[0] ?? '');
          const message = tlsReportMessage({ report, from: options.from, to, submitter: options.submitter, reportDomain: options.policyDomain, gzip: true, date: new Date() });
          await mailReport(message, to, options);
          return { uri, ok: true, detail: 'mailed' };
        }
        const status = await postReport(uri, gzipSync(JSON.stringify(report)), options);
        return { uri, ok: status >= 200 && status < 300, detail: `HTTP ${status}` };
      } catch (error) {
        return { uri, ok: false, detail: (error as Error).message };
      }
    }),
  );
}

/** To the lowest-preference MX of the address's domain (RFC 5321 §5.1), STARTTLS when offered, unverified: a report is not the secret. */
async function mailReport(message: string, to: string, options: { resolver: Resolver; helo: string; from: string; timeoutMs: number }): Promise<void> {
  const domain = to.slice(to.lastIndexOf('@') + 1);
  const mx = [...(await options.resolver.resolveMx(domain))].sort((a, b) => a.priority - b.priority)[0];
  if (!mx) throw new Error(`no MX for ${domain}`);
  const address = (await options.resolver.resolve4(mx.exchange))[0];
  if (!address) throw new Error(`no address for ${mx.exchange}`);
  const session = await SmtpClientSession.connect(address, 25, options.timeoutMs);
  try {
    const banner = await session.reply('banner');
    if (banner.code !== 220) throw new Error(`banner ${banner.lines.join(' / ')}`);
    await session.greet(options.helo);
    if (session.extensions.has('STARTTLS')) {
      await session.command('STARTTLS');
      await session.startTls({ servername: mx.exchange, rejectUnauthorized: false });
      await session.greet(options.helo);
    }
    await session.transaction(options.from, to, message);
  } finally {
    await session.quit();
  }
}

/** §5.4: POST the gzipped report as application/tlsrpt+gzip; the answer's status says whether it was taken. */
function postReport(uri: string, body: Buffer, options: { resolver: Resolver; ca: string[]; timeoutMs: number; helo: string }): Promise<number> {
  const url = new URL(uri);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port === '' ? 443 : Number(url.port),
        path: `${url.pathname}${url.search}`,
        method: 'POST',
        servername: url.hostname,
        ca: options.ca,
        rejectUnauthorized: true,
        agent: false,
        timeout: options.timeoutMs,
        // Named as the policy fetches are, so the policy host's record says whose report it was.
        headers: { 'content-type': 'application/tlsrpt+gzip', 'content-length': body.length, 'user-agent': `badmx-${options.helo}` },
        lookup: resolverLookup(options.resolver),
      },
      (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}
