import { z } from 'zod';
import { BadmxError } from '../errors.js';
import { describeIssues, show, typeError } from '../files/json-issues.js';

/**
 * An SMTP TLS report (TLS-RPT, RFC 8460 §4.4) as data: what a sending MTA says about the TLS
 * sessions it attempted to one Policy Domain's MX hosts over a day. The field names are the
 * RFC's own, kebab-case as they are on the wire, so a report read and written again is the
 * report that was sent.
 *
 * Objects are loose: a field this badmx does not know is kept, never an error. Reports come
 * from many implementations, and the RFC's registries (§6) are meant to grow; a reader that
 * refused what it did not know would lose the rest of an otherwise good report. For the same
 * reason a `result-type` outside the §4.3 list is kept as the string it is: the RFC has IANA
 * keep the list as a registry (§6, "STARTTLS Validation Result Types") so that it can grow.
 */

/** The result types of RFC 8460 §4.3: negotiation failures (§4.3.1), then DANE (§4.3.2.1) and MTA-STS (§4.3.2.2) policy failures. */
export const RESULT_TYPES = [
  'starttls-not-supported',
  'certificate-host-mismatch',
  'certificate-expired',
  'certificate-not-trusted',
  'validation-failure',
  'tlsa-invalid',
  'dnssec-invalid',
  'dane-required',
  'sts-policy-fetch-error',
  'sts-policy-invalid',
  'sts-webpki-invalid',
] as const;

export type KnownResultType = (typeof RESULT_TYPES)[number];
/** A §4.3 result type, or any other a reporter used (kept, see above). */
export type ResultType = KnownResultType | (string & {});

/** §4.2 policy-type: a DANE TLSA record, an MTA-STS policy, or neither was applied. */
export const POLICY_TYPES = ['tlsa', 'sts', 'no-policy-found'] as const;
export type PolicyType = (typeof POLICY_TYPES)[number];

export function isKnownResultType(value: string): value is KnownResultType {
  return (RESULT_TYPES as readonly string[]).includes(value);
}

/**
 * RFC 3339 §5.6 date-time: full-date "T" full-time, with "Z" or a numeric offset. §5.6
 * allows "t" and "z" in lower case too. The parts are checked for range (a 61st second is a
 * leap second, §5.7), and the calendar day must exist (no February 30th).
 */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))$/;

export function isRfc3339DateTime(value: string): boolean {
  const m = RFC3339.exec(value);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth) return false;
  if (hour > 23 || minute > 59 || second > 60) return false;
  if (m[9] !== undefined && (Number(m[9]) > 23 || Number(m[10]) > 59)) return false;
  return true;
}

const text = (what: string) => z.string({ error: typeError(what) });
const nonEmpty = (what: string) =>
  text(what).refine((value) => value.trim() !== '', { error: () => `must be ${what}, not an empty string` });

const dateTime = text('an RFC 3339 date-time such as "2016-04-01T00:00:00Z"').refine(isRfc3339DateTime, {
  error: (issue) => `must be an RFC 3339 date-time such as "2016-04-01T00:00:00Z", not ${show(issue.input)}`,
});

/** A count of sessions (§4.2, §4.4): an integer encoded as a JSON number, never negative. */
const count = z.number({ error: typeError('a non-negative integer') }).refine((n) => Number.isSafeInteger(n) && n >= 0, {
  error: (issue) => `must be a non-negative integer, not ${show(issue.input)}`,
});

const strings = (what: string) => z.array(text(what), { error: typeError(`a list of ${what}s`) });

/** §4.2 "policy": what the sending MTA applied, and to which domain. */
const policy = z.looseObject(
  {
    'policy-type': z.enum(POLICY_TYPES, {
      error: (issue) =>
        issue.input === undefined ? 'is missing: give "tlsa", "sts" or "no-policy-found"' : `must be "tlsa", "sts" or "no-policy-found", not ${show(issue.input)}`,
    }),
    /** The TLSA records or the MTA-STS policy applied, one string per record or line. */
    'policy-string': strings('string').optional(),
    'policy-domain': nonEmpty('a domain name'),
    /** The MX host patterns of the applied policy (RFC 8461 §4.1). */
    'mx-host': strings('host pattern').optional(),
  },
  { error: typeError('an object with "policy-type" and "policy-domain"') },
);

/** §4.3, §4.4: one kind of failure, and how many sessions it ended. */
const failureDetail = z.looseObject(
  {
    'result-type': nonEmpty('a result type such as "certificate-expired" (RFC 8460 §4.3)'),
    'sending-mta-ip': text('an IP address').optional(),
    'receiving-mx-hostname': text('a host name').optional(),
    'receiving-mx-helo': text('the HELO/EHLO name the MX announced').optional(),
    'receiving-ip': text('an IP address').optional(),
    'failed-session-count': count,
    'additional-information': text('a URI').optional(),
    'failure-reason-code': text('an error code or message').optional(),
  },
  { error: typeError('an object with "result-type" and "failed-session-count"') },
);

const policyReport = z.looseObject(
  {
    policy,
    summary: z.looseObject(
      {
        'total-successful-session-count': count,
        'total-failure-session-count': count,
      },
      { error: typeError('an object with "total-successful-session-count" and "total-failure-session-count"') },
    ),
    'failure-details': z.array(failureDetail, { error: typeError('a list of failure details') }).optional(),
  },
  { error: typeError('an object with "policy" and "summary"') },
);

export const tlsReportSchema = z
  .looseObject(
    {
      'organization-name': nonEmpty('the reporting organization\'s name'),
      'date-range': z.looseObject(
        { 'start-datetime': dateTime, 'end-datetime': dateTime },
        { error: typeError('an object with "start-datetime" and "end-datetime"') },
      ),
      'contact-info': text('contact information (an address or URI)'),
      'report-id': nonEmpty('the report\'s unique identifier'),
      policies: z
        .array(policyReport, { error: typeError('a list of policies') })
        .refine((list) => list.length > 0, { error: () => 'must list at least one policy (an empty report says nothing)' }),
    },
    { error: typeError('a JSON object (an RFC 8460 TLS report)') },
  )
  .superRefine((report, ctx) => {
    const { 'start-datetime': start, 'end-datetime': end } = report['date-range'];
    if (Date.parse(end) < Date.parse(start)) {
      ctx.addIssue({ code: 'custom', path: ['date-range', 'end-datetime'], message: `must not be before start-datetime (${start})` });
    }
  });

export type TlsReport = z.output<typeof tlsReportSchema>;
export type TlsPolicyReport = TlsReport['policies'][number];
export type TlsPolicy = TlsPolicyReport['policy'];
export type TlsFailureDetail = NonNullable<TlsPolicyReport['failure-details']>[number];

/**
 * Parsed JSON checked as a TLS report. Every problem is one line naming the JSON path:
 * `<label>: policies[0].summary.total-failure-session-count: must be a non-negative integer, not -1`.
 */
export function validateTlsReport(raw: unknown, label = 'TLS report'): TlsReport {
  const parsed = tlsReportSchema.safeParse(raw);
  if (!parsed.success) throw new BadmxError(`${label}: ${describeIssues(parsed.error)}`, 'ETLSRPT');
  return parsed.data;
}
