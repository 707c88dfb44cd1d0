import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { BadmxError } from '../errors.js';
import { show } from '../files/json-issues.js';
import { validateTlsReport, type PolicyType, type ResultType, type TlsReport } from './tlsrpt-schema.js';

/**
 * TLS reports written, as a sending MTA sends them (RFC 8460): the report JSON (§4.4), and
 * the mail that carries it (§5.3). badmx's own built-in sender mails these to the domains
 * it delivers to, so that what it reports can be checked like anything else it does.
 */

export interface TlsFailureInput {
  /** A §4.3 result type, e.g. "certificate-expired". */
  resultType: ResultType;
  /** failed-session-count: the sessions this failure ended. */
  count: number;
  sendingMtaIp?: string;
  receivingMxHostname?: string;
  receivingMxHelo?: string;
  receivingIp?: string;
  /** A URI with more about the failure. */
  additionalInformation?: string;
  /** A TLS error code or message, e.g. "X509_V_ERR_CERT_HAS_EXPIRED". */
  failureReasonCode?: string;
}

export interface TlsPolicyInput {
  policyType: PolicyType;
  policyDomain: string;
  /** The TLSA records or MTA-STS policy lines applied. */
  policyString?: string[];
  /** The MX host patterns of the policy (RFC 8461 §4.1). */
  mxHost?: string[];
  /** total-successful-session-count. */
  successful: number;
  /** total-failure-session-count; default: the sum of the failures' counts. */
  failed?: number;
  failures?: TlsFailureInput[];
}

export interface TlsReportInput {
  organizationName: string;
  /** contact-info: an address or URI for the report's reader. */
  contactInfo: string;
  reportId: string;
  /** The period reported on; §4.1 suggests a whole UTC day. A string must be an RFC 3339 date-time. */
  start: Date | string;
  end: Date | string;
  policies: TlsPolicyInput[];
}

/**
 * A report as RFC 8460 §4.4 lays it out, keys in the RFC's order, optional fields only when
 * given, checked against the same schema reports are read with: a report badmx writes is
 * one badmx (and anyone else) reads. A negative count, a start after the end or an empty
 * domain is a BadmxError (ETLSRPT) naming the field.
 */
export function buildTlsReport(input: TlsReportInput): TlsReport {
  const raw = {
    'organization-name': input.organizationName,
    'date-range': { 'start-datetime': dateTime(input.start, 'start'), 'end-datetime': dateTime(input.end, 'end') },
    'contact-info': input.contactInfo,
    'report-id': input.reportId,
    policies: input.policies.map((p) => {
      const failures = p.failures ?? [];
      return {
        policy: {
          'policy-type': p.policyType,
          ...(p.policyString ? { 'policy-string': p.policyString } : {}),
          'policy-domain': p.policyDomain,
          ...(p.mxHost ? { 'mx-host': p.mxHost } : {}),
        },
        summary: {
          'total-successful-session-count': p.successful,
          'total-failure-session-count': p.failed ?? failures.reduce((sum, f) => sum + f.count, 0),
        },
        ...(failures.length > 0 ? { 'failure-details': failures.map(failureDetail) } : {}),
      };
    }),
  };
  return validateTlsReport(raw, 'the TLS report to build');
}

function failureDetail(f: TlsFailureInput): Record<string, unknown> {
  const optional = (key: string, value: string | undefined): Record<string, string> => (value === undefined ? {} : { [key]: value });
  return {
    'result-type': f.resultType,
    ...optional('sending-mta-ip', f.sendingMtaIp),
    ...optional('receiving-mx-hostname', f.receivingMxHostname),
    ...optional('receiving-mx-helo', f.receivingMxHelo),
    ...optional('receiving-ip', f.receivingIp),
    'failed-session-count': f.count,
    ...optional('additional-information', f.additionalInformation),
    ...optional('failure-reason-code', f.failureReasonCode),
  };
}

/** A Date as an RFC 3339 date-time in UTC, whole seconds without a fraction ("2016-04-01T00:00:00Z"); a string as given (the schema checks it). */
function dateTime(value: Date | string, what: string): string {
  if (typeof value === 'string') return value;
  if (Number.isNaN(value.getTime())) throw new BadmxError(`the TLS report to build: its ${what} is not a valid date`, 'ETLSRPT');
  return value.toISOString().replace(/\.000Z$/, 'Z');
}

export interface TlsReportFilenameInput {
  /** The reporting domain ("sender" in the ABNF). */
  submitter: string;
  policyDomain: string;
  start: string | Date;
  end: string | Date;
  /** Tells apart reports sent at once by different parts of one submitter: letters and digits only. */
  uniqueId?: string;
  gzip: boolean;
}

/**
 * The attachment's file name, RFC 8460 §5.1:
 *   sender "!" policy-domain "!" begin-timestamp "!" end-timestamp [ "!" unique-id ] "." ("json" / "json.gz")
 * the timestamps in whole seconds since 1970-01-01T00:00:00Z, e.g.
 * "mail.sender.example!example.com!1013662812!1013749130.json.gz".
 */
export function tlsReportFilename(input: TlsReportFilenameInput): string {
  domainName(input.submitter, 'submitter');
  domainName(input.policyDomain, 'policy domain');
  if (input.uniqueId !== undefined && !/^[A-Za-z0-9]+$/.test(input.uniqueId)) {
    throw new BadmxError(`TLS report file name: uniqueId must be letters and digits only (RFC 8460 §5.1), not ${show(input.uniqueId)}`, 'ETLSRPT');
  }
  const seconds = (value: string | Date, what: string): number => {
    const ms = typeof value === 'string' ? Date.parse(value) : value.getTime();
    if (Number.isNaN(ms) || ms < 0) throw new BadmxError(`TLS report file name: the ${what} ${show(String(value))} is not a date after 1970`, 'ETLSRPT');
    return Math.floor(ms / 1000);
  };
  const unique = input.uniqueId === undefined ? '' : `!${input.uniqueId}`;
  return `${input.submitter}!${input.policyDomain}!${seconds(input.start, 'start')}!${seconds(input.end, 'end')}${unique}.json${input.gzip ? '.gz' : ''}`;
}

export interface TlsReportMessageOptions {
  report: TlsReport;
  /** The From field: an address, or a display name and <address>. */
  from: string;
  /** The report's rua mailto: address(es). */
  to: string | readonly string[];
  /** The domain of the reporting organization: TLS-Report-Submitter, the Subject, the file name. */
  submitter: string;
  /** The Policy Domain: TLS-Report-Domain, the Subject, the file name; default the report's first policy-domain. */
  reportDomain?: string;
  /** Attach application/tlsrpt+gzip (RFC 8460 §5.2: SHOULD) or application/tlsrpt+json. */
  gzip: boolean;
  /** The Date field. */
  date: Date;
  /** The file name's unique-id (§5.1). */
  uniqueId?: string;
}

/**
 * The whole mail that carries a report, RFC 8460 §5.3, lines ended by CRLF, 7bit throughout:
 * - From, To, Date, Message-ID, the Subject of §5.3
 *   ("Report Domain: <domain> Submitter: <submitter> Report-ID: <<id>>", folded when long),
 *   the TLS-Report-Domain and TLS-Report-Submitter fields (§5.3), MIME-Version;
 * - Content-Type: multipart/report; report-type="tlsrpt" (RFC 6522, §5.3), whose first part is
 *   a short text/plain note for a person and whose second is the report,
 *   application/tlsrpt+gzip or application/tlsrpt+json, base64 in lines of 76 characters
 *   (RFC 2045 §6.8), with the §5.1 file name.
 * The Message-ID and boundary are derived from the report and the date, so the same report
 * sent at the same time is the same message, byte for byte.
 */
export function tlsReportMessage(options: TlsReportMessageOptions): string {
  const { report, submitter, gzip, date } = options;
  const first = report.policies[0];
  const reportDomain = options.reportDomain ?? first?.policy['policy-domain'] ?? '';
  domainName(submitter, 'submitter');
  domainName(reportDomain, 'report domain');
  if (Number.isNaN(date.getTime())) throw new BadmxError('TLS report mail: its date is not a valid date', 'ETLSRPT');
  const from = headerText(options.from, 'from');
  const to = (typeof options.to === 'string' ? [options.to] : [...options.to]).map((address) => headerText(address, 'to'));
  if (to.length === 0) throw new BadmxError('TLS report mail: to: give at least one address (the policy domain\'s rua mailto:)', 'ETLSRPT');

  const json = Buffer.from(JSON.stringify(report), 'utf8');
  const attachment = gzip ? gzipSync(json) : json;
  const filename = tlsReportFilename({
    submitter,
    policyDomain: reportDomain,
    start: report['date-range']['start-datetime'],
    end: report['date-range']['end-datetime'],
    gzip,
    ...(options.uniqueId === undefined ? {} : { uniqueId: options.uniqueId }),
  });
  const digest = createHash('sha256').update(JSON.stringify([submitter, reportDomain, report['report-id'], date.toISOString()])).digest('hex');
  // "=_" never occurs in base64 nor in the text part, so the boundary cannot occur in the content (RFC 2046 §5.1.1).
  const boundary = `----=_tlsrpt_${digest.slice(0, 32)}`;
  const reportId = subjectReportId(report['report-id'], submitter);

  const header = [
    `From: ${from}`,
    `To: ${to.join(',\r\n ')}`,
    `Date: ${rfc5322Date(date)}`,
    `Message-ID: <tlsrpt.${digest.slice(32, 56)}@${submitter}>`,
    subject(reportDomain, submitter, reportId),
    `TLS-Report-Domain: ${reportDomain}`,
    `TLS-Report-Submitter: ${submitter}`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type="tlsrpt";\r\n boundary="${boundary}"`,
  ];
  const note = [
    `This is an aggregate TLS report from ${submitter} (RFC 8460).`,
    '',
    `Report domain: ${reportDomain}`,
    `Submitter:     ${submitter}`,
    `Report-ID:     ${ascii(report['report-id'])}`,
    `Period:        ${report['date-range']['start-datetime']} to ${report['date-range']['end-datetime']}`,
    ...report.policies.map(
      (p) =>
        `Policy:        ${ascii(p.policy['policy-domain'])} (${p.policy['policy-type']}): ${p.summary['total-successful-session-count']} successful, ${p.summary['total-failure-session-count']} failed sessions`,
    ),
  ];
  const lines = [
    ...header,
    '',
    'This is a multipart message in MIME format.',
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset="us-ascii"',
    'Content-Transfer-Encoding: 7bit',
    '',
    ...note,
    '',
    `--${boundary}`,
    `Content-Type: application/tlsrpt+${gzip ? 'gzip' : 'json'}`,
    'Content-Transfer-Encoding: base64',
    `Content-Disposition: attachment;\r\n filename="${filename}"`,
    '',
    ...base64Lines(attachment),
    '',
    `--${boundary}--`,
    '',
  ];
  return lines.join('\r\n');
}

/**
 * The Subject of RFC 8460 §5.3: "Report" "Domain:" domain "Submitter:" domain "Report-ID:"
 * "<" id-left "@" id-right ">". Folded (RFC 5322 §2.2.3) before "Submitter:" and
 * "Report-ID:" when one line would pass 78 characters (RFC 5322 §2.1.1).
 */
function subject(reportDomain: string, submitter: string, reportId: string): string {
  const parts = [`Subject: Report Domain: ${reportDomain}`, `Submitter: ${submitter}`, `Report-ID: <${reportId}>`];
  const oneLine = parts.join(' ');
  return oneLine.length <= 78 ? oneLine : parts.join('\r\n ');
}

/**
 * The Subject's Report-ID is an RFC 5322 msg-id, id-left "@" id-right, so that a receiver can
 * tell a resent report from a new one (§5.3). A report-id already of that form is used as it
 * is; any other becomes the id-left (characters outside RFC 5322 atext turned into ".") at the
 * submitter's domain, e.g. "2024-05-01T00:00:00Z_example.com" becomes
 * "2024-05-01T00.00.00Z_example.com@<submitter>". It stays the same for the same report-id.
 */
export function subjectReportId(reportId: string, submitter: string): string {
  const dotAtom = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
  const at = reportId.lastIndexOf('@');
  if (at > 0 && dotAtom.test(reportId.slice(0, at)) && dotAtom.test(reportId.slice(at + 1))) return reportId;
  const left = reportId
    .replace(/[^A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+/g, '.')
    .replace(/^\.+|\.+$/g, '')
    .slice(0, 200)
    .replace(/\.+$/, '');
  return `${left || 'report'}@${submitter}`;
}

/** RFC 5322 §3.3 date-time, in UTC: "Fri, 09 May 2017 16:54:30 +0000". */
export function rfc5322Date(date: Date): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${days[date.getUTCDay()]}, ${two(date.getUTCDate())} ${months[date.getUTCMonth()]} ${date.getUTCFullYear()} ${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`;
}

function base64Lines(bytes: Buffer): string[] {
  return bytes.toString('base64').match(/.{1,76}/g) ?? [];
}

/** A domain name as a header field and the file name carry it: letters, digits, "-" and "_" in dot-separated labels (no "!", which separates the file name's parts). */
function domainName(value: string, what: string): void {
  const label = '[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?';
  if (value.length > 253 || !new RegExp(`^${label}(?:\\.${label})*$`).test(value)) {
    throw new BadmxError(`TLS report mail: the ${what} must be a domain name such as "mail.example.com", not ${show(value)}`, 'ETLSRPT');
  }
}

/** A header field value given by the caller: one line of printable ASCII (the message is 7bit), so it cannot add a field of its own. */
function headerText(value: string, what: string): string {
  if (!/^[\x20-\x7e]+$/.test(value) || value.trim() === '') {
    throw new BadmxError(`TLS report mail: ${what} must be one line of printable ASCII, not ${show(value)}`, 'ETLSRPT');
  }
  return value.trim();
}

/** Report text shown in the us-ascii note: anything else becomes "?", and it is cut short. */
function ascii(value: string): string {
  const cut = value.length > 200 ? `${value.slice(0, 200)}...` : value;
  return cut.replace(/[^\x20-\x7e]/g, '?');
}
